package org.qemu.helpers.common.log;

import java.io.PrintStream;
import java.util.Locale;

/**
 * One line per event on stderr, journald and grep friendly:
 * {@code NAME LEVEL EVENT key=value ...}. Values that are not plain tokens are quoted with
 * control characters escaped, so a guest-chosen string cannot forge or split a log line.
 */
public final class HelperLog {
    /** Severity, ordered. */
    public enum Level {
        DEBUG, INFO, WARN, ERROR;

        public static Level parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown log level '" + s + "'; allowed: debug, info, warn, error");
            }
        }
    }

    private final String name;
    private final PrintStream out;
    private volatile Level threshold;

    public HelperLog(String name, Level threshold, PrintStream out) {
        this.name = name;
        this.threshold = threshold;
        this.out = out;
    }

    /** A log for {@code name} on stderr at INFO. */
    public static HelperLog stderr(String name) {
        return new HelperLog(name, Level.INFO, System.err);
    }

    public void setThreshold(Level level) {
        this.threshold = level;
    }

    public void debug(String event, Object... kv) {
        log(Level.DEBUG, event, kv);
    }

    public void info(String event, Object... kv) {
        log(Level.INFO, event, kv);
    }

    public void warn(String event, Object... kv) {
        log(Level.WARN, event, kv);
    }

    public void error(String event, Object... kv) {
        log(Level.ERROR, event, kv);
    }

    /** Logs an unexpected failure: one line, then the stack trace (it is a bug to look at). */
    public void unexpected(String event, Throwable t, Object... kv) {
        log(Level.ERROR, event, append(kv, "error", String.valueOf(t)));
        t.printStackTrace(out);
    }

    /** Writes {@code event} with key/value pairs ({@code kv} alternates keys and values). */
    public void log(Level level, String event, Object... kv) {
        if (level.compareTo(threshold) < 0) {
            return;
        }
        out.println(format(level, event, kv));
    }

    String format(Level level, String event, Object... kv) {
        StringBuilder sb = new StringBuilder(64).append(name).append(' ')
                .append(level.name().toLowerCase(Locale.ROOT)).append(' ').append(event);
        for (int i = 0; i + 1 < kv.length; i += 2) {
            sb.append(' ').append(kv[i]).append('=').append(quote(String.valueOf(kv[i + 1])));
        }
        return sb.toString();
    }

    /** Quotes {@code v} unless it is a plain token; escapes quotes, backslashes and controls. */
    public static String quote(String v) {
        if (!v.isEmpty() && v.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '=')) {
            return v;
        }
        StringBuilder sb = new StringBuilder(v.length() + 2).append('"');
        int max = Math.min(v.length(), 512);
        for (int i = 0; i < max; i++) {
            char c = v.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (v.length() > max) {
            sb.append("...");
        }
        return sb.append('"').toString();
    }

    private static Object[] append(Object[] kv, Object k, Object v) {
        Object[] r = java.util.Arrays.copyOf(kv, kv.length + 2);
        r[kv.length] = k;
        r[kv.length + 1] = v;
        return r;
    }
}
