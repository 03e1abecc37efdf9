package org.qemu.helpers.common.text;

/**
 * The one way to show text a peer, a guest or a migration blob chose: in a log line
 * ({@link #quote}) or in an error message, a table, a status line ({@link #printable}). Either form
 * keeps printable ASCII and escapes everything else, so the text can neither forge nor split a
 * line nor smuggle terminal escapes, and bounds its length.
 */
public final class Untrusted {
    /** What {@link #quote} keeps of a value (a log line stays one readable line). */
    public static final int MAX_LOG_VALUE = 512;

    private Untrusted() {
    }

    /**
     * {@code v} as a log value: unchanged when it is a plain token (printable ASCII without space,
     * quote, backslash or '='), else in double quotes with quotes and backslashes escaped and other
     * characters as {@code \xNN} / {@code \\uNNNN}, at most {@value #MAX_LOG_VALUE} characters.
     */
    public static String quote(String v) {
        if (!v.isEmpty() && v.length() <= MAX_LOG_VALUE
                && v.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '=')) {
            return v;
        }
        StringBuilder sb = new StringBuilder(Math.min(v.length(), MAX_LOG_VALUE) + 8).append('"');
        escape(v, MAX_LOG_VALUE, true, sb);
        return sb.append('"').toString();
    }

    /**
     * {@code s} for a message or a table: printable ASCII (space included) kept, a backslash and
     * everything else escaped as {@code \\}, {@code \xNN} or {@code \\uNNNN}, at most {@code max}
     * characters of {@code s} followed by "..." when it was longer; null is "".
     */
    public static String printable(String s, int max) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(Math.min(s.length(), max) + 8);
        escape(s, max, false, sb);
        return sb.toString();
    }

    private static void escape(String s, int max, boolean quoted, StringBuilder sb) {
        int n = Math.min(s.length(), max);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c == '\\' || (quoted && c == '"')) {
                sb.append('\\').append(c);
            } else if (c >= 0x20 && c < 0x7f) {
                sb.append(c);
            } else if (c < 0x100) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(String.format("\\u%04x", (int) c));
            }
        }
        if (s.length() > max) {
            sb.append("...");
        }
    }
}
