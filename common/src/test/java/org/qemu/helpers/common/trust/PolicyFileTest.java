package org.qemu.helpers.common.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PolicyFileTest {
    static final NameResolver NAMES = new NameResolver() {
        final Map<String, Long> users = Map.of("qemu", 107L);
        final Map<String, Long> groups = Map.of("helpers", 900L);

        public Optional<Long> uidOf(String user) {
            return Optional.ofNullable(users.get(user));
        }

        public Optional<Long> gidOf(String group) {
            return Optional.ofNullable(groups.get(group));
        }
    };

    static TrustPolicy parse(String json) throws PolicyException {
        return PolicyFile.parse("/etc/p.json", json, NAMES);
    }

    static PeerCredentials peer(long uid, long... gids) {
        return new PeerCredentials(uid, java.util.Arrays.stream(gids).boxed().toList(), 42, Optional.empty());
    }

    @Test
    void firstMatchingRuleWinsElseDefault() throws Exception {
        TrustPolicy p = parse("""
                {"default": "untrusted", "rules": [
                  {"user": "qemu", "level": "vmm"},
                  {"group": "helpers", "level": "helper"},
                  {"uid": 0, "level": "admin"},
                  {"label": "system_u:system_r:svirt_t:s0", "level": "vmm"}]}""");
        assertEquals(TrustLevel.VMM, p.classify(peer(107, 900)));
        assertEquals(TrustLevel.HELPER, p.classify(peer(1000, 5, 900)));
        assertEquals(TrustLevel.ADMIN, p.classify(peer(0)));
        assertEquals(TrustLevel.UNTRUSTED, p.classify(peer(1000, 5)));
        assertEquals(TrustLevel.VMM, p.classify(new PeerCredentials(5, List.of(), 1,
                Optional.of("system_u:system_r:svirt_t:s0"))));
    }

    @Test
    void unknownKeyIsRefusedNamingFileFieldAndAllowedKeys() {
        PolicyException e = assertThrows(PolicyException.class,
                () -> parse("{\"rules\": [{\"usr\": \"qemu\", \"level\": \"vmm\"}]}"));
        assertTrue(e.getMessage().startsWith("policy file /etc/p.json: field 'rules[0].usr': unknown key"), e.getMessage());
        assertTrue(e.getMessage().contains("user"), e.getMessage());
        PolicyException top = assertThrows(PolicyException.class, () -> parse("{\"rules\": [], \"defualt\": \"vmm\"}"));
        assertTrue(top.getMessage().contains("field 'defualt'"), top.getMessage());
    }

    @Test
    void aNumberTooLargeToReadIsRefusedNamingTheField() {
        PolicyException e = assertThrows(PolicyException.class,
                () -> parse("{\"rules\": [{\"uid\": 1e1111111111111111111111111111111111, \"level\": \"vmm\"}]}"));
        assertTrue(e.getMessage().startsWith("policy file /etc/p.json: field 'rules[0].uid': a number too large"),
                e.getMessage());
    }

    @Test
    void unknownLevelIsRefusedWithTheAllowedLevels() {
        PolicyException e = assertThrows(PolicyException.class,
                () -> parse("{\"rules\": [{\"uid\": 5, \"level\": \"root\"}]}"));
        assertTrue(e.getMessage().contains("field 'rules[0].level'"), e.getMessage());
        assertTrue(e.getMessage().contains("untrusted, vmm, helper, admin"), e.getMessage());
    }

    @Test
    void badUidsAreRefused() {
        for (String bad : List.of("-1", "\"107\"", "1.5", "4294967295", "99999999999")) {
            PolicyException e = assertThrows(PolicyException.class,
                    () -> parse("{\"rules\": [{\"uid\": " + bad + ", \"level\": \"vmm\"}]}"), bad);
            assertTrue(e.getMessage().contains("field 'rules[0].uid'"), e.getMessage());
            assertTrue(e.getMessage().contains("whole number"), e.getMessage());
        }
    }

    @Test
    void unknownUserAndTwoSelectorsAndMissingLevelAreRefused() {
        assertTrue(assertThrows(PolicyException.class,
                () -> parse("{\"rules\": [{\"user\": \"nobody-here\", \"level\": \"vmm\"}]}"))
                .getMessage().contains("no such user"));
        assertTrue(assertThrows(PolicyException.class,
                () -> parse("{\"rules\": [{\"uid\": 1, \"gid\": 2, \"level\": \"vmm\"}]}"))
                .getMessage().contains("exactly one selector"));
        assertTrue(assertThrows(PolicyException.class, () -> parse("{\"rules\": [{\"uid\": 1}]}"))
                .getMessage().contains("field 'rules[0].level': required"));
        assertTrue(assertThrows(PolicyException.class, () -> parse("{\"rules\": [")).getMessage().contains("not valid JSON"));
        assertTrue(assertThrows(PolicyException.class, () -> parse("{}")).getMessage().contains("field 'rules'"));
        // a key given twice was read last-wins (jackson-databind's tree): a half-understood policy
        assertTrue(assertThrows(PolicyException.class, () -> parse("{\"rules\": [{\"uid\": 1, \"level\": \"admin\","
                + " \"level\": \"vmm\"}]}")).getMessage().contains("field 'rules[0].level': given twice"));
        assertTrue(assertThrows(PolicyException.class, () -> parse("{\"rules\": []} {}")).getMessage()
                .contains("text after the top-level value"));
    }

    @Test
    void withoutAPolicyOwnUidIsAdminAndOthersUntrusted() {
        TrustPolicy p = TrustPolicy.ownUidOnly(1000);
        assertEquals(TrustLevel.ADMIN, p.classify(peer(1000)));
        assertEquals(TrustLevel.UNTRUSTED, p.classify(peer(0)));
    }

    @Test
    void systemResolverFindsRoot() {
        assertEquals(Optional.of(0L), NameResolver.system().uidOf("root"));
        assertEquals(Optional.empty(), NameResolver.system().uidOf("no such user; rm -rf /"));
    }
}
