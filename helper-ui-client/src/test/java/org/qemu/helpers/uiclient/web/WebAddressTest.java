package org.qemu.helpers.uiclient.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.qemu.helpers.common.cli.ConfigException;

class WebAddressTest {
    @Test
    void loopbackAddressesAreAccepted() throws Exception {
        assertEquals(8090, WebAddress.parse("127.0.0.1:8090").port());
        assertTrue(WebAddress.parse("[::1]:0").host().isLoopbackAddress());
        assertTrue(WebAddress.parse("localhost:1").host().isLoopbackAddress());
        assertTrue(WebAddress.parse("127.1.2.3:5").host().isLoopbackAddress());
    }

    @Test
    void anythingButLoopbackIsRefusedNamingTheOption() {
        for (String bad : new String[] {"0.0.0.0:8090", "192.168.1.10:80", "example.com:80", "[::]:80", "8090",
                "127.0.0.1:99999", "127.0.0.1:http"}) {
            ConfigException e = assertThrows(ConfigException.class, () -> WebAddress.parse(bad), bad);
            assertTrue(e.getMessage().contains("--web"), e.getMessage());
        }
    }

    @Test
    void tokenFileIsPrivateAndTokensAreLongAndDistinct() throws Exception {
        Path dir = Files.createTempDirectory("token");
        try {
            String t = TokenFile.newToken();
            assertTrue(t.length() >= 43 && t.matches("[A-Za-z0-9_-]+"), t);
            assertTrue(!t.equals(TokenFile.newToken()));
            Path f = dir.resolve("web-token");
            TokenFile.write(f, t);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
            assertEquals(t, Files.readString(f).strip());
            TokenFile.write(f, "second");
            assertEquals("second", Files.readString(f).strip());
            try (var s = Files.list(dir)) {
                assertEquals(1, s.count(), "no temporary file left");
            }
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
