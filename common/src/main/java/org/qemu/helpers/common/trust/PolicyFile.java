package org.qemu.helpers.common.trust;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a JSON trust policy. The format (documented in README):
 * <pre>{"default": "untrusted", "rules": [{"uid": 107, "level": "vmm"}, {"group": "kvm-admins", "level": "admin"}]}</pre>
 * Each rule has exactly one selector ({@code uid}, {@code user}, {@code gid}, {@code group},
 * {@code label}) and a {@code level}. Anything unknown or ill-typed is refused with the
 * file, the field and what is allowed: a policy that is half understood is not a policy (a key
 * given twice included). Read with jackson-core's streaming parser into maps, lists and values:
 * jackson-databind (about 470 classes loaded into every helper given --policy) is not needed for
 * a file this small.
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
        Object root;
        try (JsonParser p = JSON.createParser(text)) {
            root = p.nextToken() == null ? null : value(p, "");
            if (p.nextToken() != null) {
                throw new PolicyException(file, "(file)", "not valid JSON: text after the top-level value at line "
                        + p.currentLocation().getLineNr());
            }
        } catch (JsonProcessingException e) {
            throw new PolicyException(file, "(file)", "not valid JSON: " + e.getOriginalMessage()
                    + " at line " + e.getLocation().getLineNr());
        } catch (IOException e) {
            throw new PolicyException(file, "(file)", "cannot be read: " + e.getMessage());
        }
        if (!(root instanceof Map<?, ?> top)) {
            throw new PolicyException(file, "(top)", "must be a JSON object with keys " + TOP_KEYS);
        }
        rejectUnknownKeys(top, TOP_KEYS, "");
        TrustLevel def = top.containsKey("default") ? level(top.get("default"), "default") : TrustLevel.UNTRUSTED;
        if (!(top.get("rules") instanceof List<?> rulesNode)) {
            throw new PolicyException(file, "rules", "required, an array of rules like {\"uid\": 107, \"level\": \"vmm\"}");
        }
        List<PolicyRule> rules = new ArrayList<>();
        for (int i = 0; i < rulesNode.size(); i++) {
            rules.add(rule(rulesNode.get(i), "rules[" + i + "]"));
        }
        return new TrustPolicy(rules, def, true);
    }

    private static final JsonFactory JSON = new JsonFactory();

    /** The JSON value at the parser's current token: a Map, a List, a String, a Number, a Boolean or NULL. */
    private Object value(JsonParser p, String where) throws IOException, PolicyException {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String k = p.currentName();
                    p.nextToken();
                    String field = where.isEmpty() ? k : where + "." + k;
                    if (m.put(k, value(p, field)) != null) {
                        throw new PolicyException(file, field, "given twice");
                    }
                }
                return m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    l.add(value(p, where + "[" + l.size() + "]"));
                }
                return l;
            }
            case VALUE_STRING -> {
                return p.getText();
            }
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                return number(p, where);
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return t == JsonToken.VALUE_TRUE;
            }
            default -> {
                return NULL;
            }
        }
    }

    /**
     * A number as written. jackson refuses some that are valid JSON (an exponent of more digits than it converts,
     * found by fuzzing) with a NumberFormatException: that is a refusal of the field, not a crash of the reader.
     */
    private Object number(JsonParser p, String where) throws IOException, PolicyException {
        try {
            return p.currentToken() == JsonToken.VALUE_NUMBER_INT ? p.getBigIntegerValue() : p.getDecimalValue();
        } catch (NumberFormatException e) {
            String text = p.getText();
            throw new PolicyException(file, where.isEmpty() ? "(top)" : where, "a number too large to read: "
                    + text.substring(0, Math.min(40, text.length())) + "...");
        }
    }

    /** JSON null (a key given as null is present, unlike a missing one). */
    private static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    /** A value as JSON shows it, for messages. */
    private static String shown(Object v) {
        return v instanceof String s ? "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"" : String.valueOf(v);
    }

    private PolicyRule rule(Object node, String where) throws PolicyException {
        if (!(node instanceof Map<?, ?> m)) {
            throw new PolicyException(file, where, "must be an object with one of " + SELECTORS + " and \"level\"");
        }
        Set<String> allowed = new java.util.HashSet<>(SELECTORS);
        allowed.add("level");
        rejectUnknownKeys(m, allowed, where + ".");
        List<String> present = new ArrayList<>();
        for (Object k : m.keySet()) {
            if (SELECTORS.contains(k)) {
                present.add((String) k);
            }
        }
        if (present.size() != 1) {
            throw new PolicyException(file, where, "needs exactly one selector of " + SELECTORS + ", found " + present);
        }
        if (!m.containsKey("level")) {
            throw new PolicyException(file, where + ".level", "required; one of " + TrustLevel.allowed());
        }
        String key = present.get(0);
        Object value = m.get(key);
        String field = where + "." + key;
        PolicyRule.Selector selector = switch (key) {
            case "uid" -> new PolicyRule.Uid(id(value, field));
            case "gid" -> new PolicyRule.Gid(id(value, field));
            case "user" -> new PolicyRule.Uid(names.uidOf(text(value, field))
                    .orElseThrow(() -> new PolicyException(file, field, "no such user on this host: " + value)));
            case "group" -> new PolicyRule.Gid(names.gidOf(text(value, field))
                    .orElseThrow(() -> new PolicyException(file, field, "no such group on this host: " + value)));
            default -> new PolicyRule.Label(text(value, field));
        };
        return new PolicyRule(selector, level(m.get("level"), where + ".level"));
    }

    private void rejectUnknownKeys(Map<?, ?> node, Set<String> allowed, String prefix) throws PolicyException {
        for (Object k : node.keySet()) {
            if (!allowed.contains(k)) {
                throw new PolicyException(file, prefix + k, "unknown key; allowed keys are " + new java.util.TreeSet<>(allowed));
            }
        }
    }

    private long id(Object value, String field) throws PolicyException {
        if (!(value instanceof java.math.BigInteger n) || n.signum() < 0 || n.compareTo(java.math.BigInteger.valueOf(MAX_ID)) > 0) {
            throw new PolicyException(file, field, "must be a whole number from 0 to " + MAX_ID + ", got " + shown(value));
        }
        return n.longValue();
    }

    private String text(Object value, String field) throws PolicyException {
        if (!(value instanceof String s) || s.isEmpty()) {
            throw new PolicyException(file, field, "must be a non-empty string, got " + shown(value));
        }
        return s;
    }

    private TrustLevel level(Object value, String field) throws PolicyException {
        if (!(value instanceof String s)) {
            throw new PolicyException(file, field, "must be one of " + TrustLevel.allowed() + ", got " + shown(value));
        }
        return TrustLevel.parse(s).orElseThrow(() -> new PolicyException(file, field,
                "unknown level '" + s + "'; allowed: " + TrustLevel.allowed()));
    }
}
