package org.qemu.helpers.common.trust;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reads a JSON trust policy. The format (documented in README):
 * <pre>{"default": "untrusted", "rules": [{"uid": 107, "level": "vmm"}, {"group": "kvm-admins", "level": "admin"}]}</pre>
 * Each rule has exactly one selector ({@code uid}, {@code user}, {@code gid}, {@code group},
 * {@code label}) and a {@code level}. Anything unknown or ill-typed is refused with the
 * file, the field and what is allowed: a policy that is half understood is not a policy.
 */
public final class PolicyFile {
    private static final Set<String> TOP_KEYS = Set.of("default", "rules");
    private static final Set<String> SELECTORS = Set.of("uid", "user", "gid", "group", "label");
    private static final long MAX_ID = 0xFFFF_FFFEL; // (uid_t) -1 is "no user"
    private static final long MAX_BYTES = 1 << 20;

    private final String file;
    private final NameResolver names;

    private PolicyFile(String file, NameResolver names) {
        this.file = file;
        this.names = names;
    }

    /** Loads and validates {@code path}, resolving user and group names with {@code names}. */
    public static TrustPolicy load(Path path, NameResolver names) throws PolicyException {
        PolicyFile pf = new PolicyFile(path.toString(), names);
        String text;
        try {
            if (Files.size(path) > MAX_BYTES) {
                throw new PolicyException(pf.file, "(file)", "larger than 1 MiB; a policy is a short list of rules");
            }
            text = Files.readString(path);
        } catch (IOException e) {
            throw new PolicyException(pf.file, "(file)", "cannot be read: " + e.getMessage());
        }
        return pf.parse(text);
    }

    /** Parses policy text; {@code file} names it in errors. */
    public static TrustPolicy parse(String file, String text, NameResolver names) throws PolicyException {
        return new PolicyFile(file, names).parse(text);
    }

    private TrustPolicy parse(String text) throws PolicyException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(text);
        } catch (JsonProcessingException e) {
            throw new PolicyException(file, "(file)", "not valid JSON: " + e.getOriginalMessage()
                    + " at line " + e.getLocation().getLineNr());
        }
        if (root == null || !root.isObject()) {
            throw new PolicyException(file, "(top)", "must be a JSON object with keys " + TOP_KEYS);
        }
        rejectUnknownKeys(root, TOP_KEYS, "");
        TrustLevel def = root.has("default") ? level(root.get("default"), "default") : TrustLevel.UNTRUSTED;
        JsonNode rulesNode = root.get("rules");
        if (rulesNode == null || !rulesNode.isArray()) {
            throw new PolicyException(file, "rules", "required, an array of rules like {\"uid\": 107, \"level\": \"vmm\"}");
        }
        List<PolicyRule> rules = new ArrayList<>();
        for (int i = 0; i < rulesNode.size(); i++) {
            rules.add(rule(rulesNode.get(i), "rules[" + i + "]"));
        }
        return new TrustPolicy(rules, def, true);
    }

    private PolicyRule rule(JsonNode node, String where) throws PolicyException {
        if (!node.isObject()) {
            throw new PolicyException(file, where, "must be an object with one of " + SELECTORS + " and \"level\"");
        }
        Set<String> allowed = new java.util.HashSet<>(SELECTORS);
        allowed.add("level");
        rejectUnknownKeys(node, allowed, where + ".");
        List<String> present = new ArrayList<>();
        node.fieldNames().forEachRemaining(k -> {
            if (SELECTORS.contains(k)) {
                present.add(k);
            }
        });
        if (present.size() != 1) {
            throw new PolicyException(file, where, "needs exactly one selector of " + SELECTORS + ", found " + present);
        }
        if (!node.has("level")) {
            throw new PolicyException(file, where + ".level", "required; one of " + TrustLevel.allowed());
        }
        String key = present.get(0);
        JsonNode value = node.get(key);
        String field = where + "." + key;
        PolicyRule.Selector selector = switch (key) {
            case "uid" -> new PolicyRule.Uid(id(value, field));
            case "gid" -> new PolicyRule.Gid(id(value, field));
            case "user" -> new PolicyRule.Uid(names.uidOf(text(value, field))
                    .orElseThrow(() -> new PolicyException(file, field, "no such user on this host: " + value.asText())));
            case "group" -> new PolicyRule.Gid(names.gidOf(text(value, field))
                    .orElseThrow(() -> new PolicyException(file, field, "no such group on this host: " + value.asText())));
            default -> new PolicyRule.Label(text(value, field));
        };
        return new PolicyRule(selector, level(node.get("level"), where + ".level"));
    }

    private void rejectUnknownKeys(JsonNode node, Set<String> allowed, String prefix) throws PolicyException {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!allowed.contains(k)) {
                throw new PolicyException(file, prefix + k, "unknown key; allowed keys are " + new java.util.TreeSet<>(allowed));
            }
        }
    }

    private long id(JsonNode value, String field) throws PolicyException {
        if (!value.isIntegralNumber() || value.asLong() < 0 || value.asLong() > MAX_ID || !value.canConvertToLong()) {
            throw new PolicyException(file, field, "must be a whole number from 0 to " + MAX_ID + ", got " + value);
        }
        return value.asLong();
    }

    private String text(JsonNode value, String field) throws PolicyException {
        if (!value.isTextual() || value.asText().isEmpty()) {
            throw new PolicyException(file, field, "must be a non-empty string, got " + value);
        }
        return value.asText();
    }

    private TrustLevel level(JsonNode value, String field) throws PolicyException {
        if (value == null || !value.isTextual()) {
            throw new PolicyException(file, field, "must be one of " + TrustLevel.allowed() + ", got " + value);
        }
        return TrustLevel.parse(value.asText()).orElseThrow(() -> new PolicyException(file, field,
                "unknown level '" + value.asText() + "'; allowed: " + TrustLevel.allowed()));
    }
}
