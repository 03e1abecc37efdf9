package org.qemu.helpers.deploy.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A look inside a helper half way through the flood (load.sh's 4th argument given): {@code jcmd GC.class_histogram}
 * (a full GC first, so it counts live objects only) for the calls dbus-java has read but not yet run, and
 * {@code jcmd Thread.print} for what its method-call threads are doing. Both are written beside the logs.
 */
final class QueueProbe {
    /** Classes whose live count is a queue length: a read call waiting for a worker, a reply or signal not written. */
    private static final List<String> COUNTED = List.of("org.freedesktop.dbus.messages.MethodCall",
            "org.freedesktop.dbus.messages.MethodReturn", "org.freedesktop.dbus.messages.Error",
            "java.util.concurrent.LinkedBlockingQueue$Node");
    /** dbus-java 5.2.2 queues each message for its one sender thread as a lambda of this class (a smoke run showed). */
    private static final String SEND_TASK = "org.freedesktop.dbus.connections.base.AbstractConnectionBase$$Lambda";

    private QueueProbe() {
    }

    /** One line: live counts of {@link #COUNTED}, the states of the method-call threads. */
    static String sample(String name, Process helper, Path dir) {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        String pid = String.valueOf(helper.pid());
        try {
            String histo = run(jcmd, pid, "GC.class_histogram");
            String threads = run(jcmd, pid, "Thread.print");
            Files.writeString(dir.resolve(name + "-histogram.txt"), histo);
            Files.writeString(dir.resolve(name + "-threads.txt"), threads);
            Map<String, Long> counts = new TreeMap<>();
            for (String line : histo.lines().toList()) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 4 && COUNTED.contains(f[3])) {
                    counts.put(f[3].substring(f[3].lastIndexOf('.') + 1), Long.parseLong(f[1]));
                } else if (f.length >= 4 && f[3].startsWith(SEND_TASK)) {
                    counts.merge("AbstractConnectionBase lambdas (sends queued)", Long.parseLong(f[1]), Long::sum);
                }
            }
            return "queue: " + name + " (half way): live " + counts + "; dbus-java threads " + states(threads);
        } catch (IOException | InterruptedException | RuntimeException e) {
            return "queue: " + name + ": not sampled: " + e.getMessage();
        }
    }

    /** States of dbus-java's method-call workers and its sender thread, and the top frame each RUNNABLE one is in. */
    private static Map<String, Integer> states(String dump) {
        Map<String, Integer> m = new TreeMap<>();
        List<String> lines = dump.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (!l.startsWith("\"DBus-MethodCall") && !l.startsWith("\"DBus Sender")) {
                continue;
            }
            String who = l.startsWith("\"DBus Sender") ? "sender " : "method-call ";
            String state = i + 1 < lines.size() ? lines.get(i + 1).trim().replace("java.lang.Thread.State: ", "") : "?";
            String top = i + 2 < lines.size() ? lines.get(i + 2).trim().replace("at ", "") : "";
            String key = who + (state.startsWith("RUNNABLE") ? state + " in " + top.replaceAll("\\(.*", "") : state);
            m.merge(key, 1, Integer::sum);
        }
        return m;
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(new ArrayList<>(List.of(cmd))).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + ": " + out.strip().lines().findFirst().orElse(""));
        }
        return out;
    }
}
