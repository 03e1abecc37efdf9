package org.qemu.helpers.uiclient.display;

/**
 * The events this module logs (one line each, key=value). Main backs it with common's
 * HelperLog; tests may back it with stderr.
 */
public interface UiLog {
    void info(String event, Object... kv);

    void warn(String event, Object... kv);

    /** A log writing {@code helper-ui-client LEVEL event k=v} lines to stderr. */
    static UiLog stderr() {
        return new UiLog() {
            @Override
            public void info(String event, Object... kv) {
                System.err.println(line("info", event, kv));
            }

            @Override
            public void warn(String event, Object... kv) {
                System.err.println(line("warn", event, kv));
            }
        };
    }

    private static String line(String level, String event, Object... kv) {
        StringBuilder sb = new StringBuilder("ui-client ").append(level).append(' ').append(event);
        for (int i = 0; i + 1 < kv.length; i += 2) {
            String v = String.valueOf(kv[i + 1]);
            boolean plain = v.chars().allMatch(ch -> ch > 0x20 && ch < 0x7f && ch != '"' && ch != '\\');
            sb.append(' ').append(kv[i]).append('=');
            if (plain && !v.isEmpty()) {
                sb.append(v);
            } else {
                sb.append('"');
                v.chars().forEach(ch -> sb.append(ch < 0x20 || ch == 0x7f ? String.format("\\x%02x", ch)
                        : ch == '"' || ch == '\\' ? "\\" + (char) ch : String.valueOf((char) ch)));
                sb.append('"');
            }
        }
        return sb.toString();
    }
}
