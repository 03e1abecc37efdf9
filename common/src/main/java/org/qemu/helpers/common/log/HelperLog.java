package org.qemu.helpers.common.log;

import java.io.PrintStream;
import java.util.Locale;
import org.qemu.helpers.common.text.Untrusted;

/**
 * One line per event on stderr, journald and grep friendly:
 * {@code NAME LEVEL EVENT key=value ...}. Values that are not plain tokens are quoted with
 * control characters escaped ({@link Untrusted#quote}), so a guest-chosen string cannot forge or
 * split a log line. Under systemd (stderr is the journal stream named by {@code $JOURNAL_STREAM})
 * each line starts with its syslog priority, {@code <N>}, which journald strips and records
 * (sd-daemon(3), "SD_WARNING" and friends; systemd.exec(5), $JOURNAL_STREAM).
 */
public final class HelperLog implements EventLog {
    /** Severity, ordered; each with its syslog priority (RFC 5424 6.2.1). */
    public enum Level {
        DEBUG(7), INFO(6), WARN(4), ERROR(3);

        private final int priority;

        Level(int priority) {
            this.priority = priority;
        }

        /** The syslog priority journald records for a line of this level. */
        public int priority() {
            return priority;
        }

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
    private final boolean priorityPrefix;
    private volatile Level threshold;

    public HelperLog(String name, Level threshold, PrintStream out) {
        this(name, threshold, out, false);
    }

    /** With {@code priorityPrefix}, each line starts with {@code <N>}, its level's syslog priority. */
    public HelperLog(String name, Level threshold, PrintStream out, boolean priorityPrefix) {
        this.name = name;
        this.threshold = threshold;
        this.out = out;
        this.priorityPrefix = priorityPrefix;
    }

    /** A log for {@code name} on stderr at INFO, with priority prefixes when stderr is the journal. */
    public static HelperLog stderr(String name) {
        return new HelperLog(name, Level.INFO, System.err, stderrIsJournal(System.getenv("JOURNAL_STREAM")));
    }

    /**
     * True when {@code journalStream} ("DEVICE:INODE", set by systemd for a unit whose stderr goes to
     * the journal) names this process's stderr; a wrapper that redirected stderr elsewhere keeps the
     * variable, so it is checked against fd 2 rather than trusted.
     */
    static boolean stderrIsJournal(String journalStream) {
        if (journalStream == null || !journalStream.matches("[0-9]+:[0-9]+")) {
            return false;
        }
        try {
            java.nio.file.Path fd2 = java.nio.file.Path.of("/proc/self/fd/2");
            long dev = ((Number) java.nio.file.Files.getAttribute(fd2, "unix:dev")).longValue();
            long ino = ((Number) java.nio.file.Files.getAttribute(fd2, "unix:ino")).longValue();
            return journalStream.equals(dev + ":" + ino);
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    public void setThreshold(Level level) {
        this.threshold = level;
    }

    /** Logs an unexpected failure: one line, then the stack trace (it is a bug to look at). */
    public void unexpected(String event, Throwable t, Object... kv) {
        log(Level.ERROR, event, append(kv, "error", String.valueOf(t)));
        t.printStackTrace(out);
    }

    /** Writes {@code event} with key/value pairs ({@code kv} alternates keys and values). */
    @Override
    public void log(Level level, String event, Object... kv) {
        if (level.compareTo(threshold) < 0) {
            return;
        }
        out.println(format(level, event, kv));
    }

    String format(Level level, String event, Object... kv) {
        StringBuilder sb = new StringBuilder(64);
        if (priorityPrefix) {
            sb.append('<').append(level.priority()).append('>');
        }
        sb.append(name).append(' ').append(level.name().toLowerCase(Locale.ROOT)).append(' ');
        return appendLine(sb, event, kv).toString();
    }

    /** The part of a line after name and level, {@code EVENT key=value ...}, values quoted as in every line. */
    public static String line(String event, Object... kv) {
        return appendLine(new StringBuilder(64), event, kv).toString();
    }

    private static StringBuilder appendLine(StringBuilder sb, String event, Object... kv) {
        sb.append(event);
        for (int i = 0; i + 1 < kv.length; i += 2) {
            sb.append(' ').append(kv[i]).append('=').append(Untrusted.quote(String.valueOf(kv[i + 1])));
        }
        return sb;
    }

    private static Object[] append(Object[] kv, Object k, Object v) {
        Object[] r = java.util.Arrays.copyOf(kv, kv.length + 2);
        r[kv.length] = k;
        r[kv.length + 1] = v;
        return r;
    }
}
