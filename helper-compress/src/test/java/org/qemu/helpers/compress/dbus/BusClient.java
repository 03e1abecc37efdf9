package org.qemu.helpers.compress.dbus;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.types.Variant;
import org.junit.jupiter.api.function.Executable;

/** A test's client of a real helper-compress process on a private bus. */
final class BusClient {
    final DBusConnection conn;
    final Compress1 svc;

    BusClient(DBusConnection conn) throws DBusException {
        this.conn = conn;
        this.svc = conn.getRemoteObject("org.qemu.Compress1", Compress1.PATH, Compress1.class);
    }

    DBusPath compress(String src, String dst, String format, Map<String, Variant<?>> opts) {
        return svc.Compress(src, dst, format, opts);
    }

    Map<String, Variant<?>> props(DBusPath job) throws DBusException {
        return conn.getRemoteObject("org.qemu.Compress1", job.getPath(), Properties.class)
                .GetAll(CompressJob1.INTERFACE);
    }

    String state(DBusPath job) throws DBusException {
        return (String) props(job).get("State").getValue();
    }

    long num(DBusPath job, String key) throws DBusException {
        return ((Number) props(job).get(key).getValue()).longValue();
    }

    /** Waits until the job reaches a final state; returns it. */
    String await(DBusPath job, long millis) throws Exception {
        long end = System.nanoTime() + millis * 1_000_000;
        while (System.nanoTime() < end) {
            String s = state(job);
            if (s.equals("done") || s.equals("failed") || s.equals("cancelled")) {
                return s;
            }
            Thread.sleep(10);
        }
        throw new AssertionError(job + " did not finish in " + millis + " ms: " + props(job));
    }

    void cancel(DBusPath job) throws DBusException {
        conn.getRemoteObject("org.qemu.Compress1", job.getPath(), CompressJob1.class).Cancel();
    }

    static String errorName(DBusExecutionException e) {
        return (e.getType() != null ? e.getType() : e.getClass().getName()).replace('$', '.');
    }

    /** Asserts the call fails with D-Bus error {@code name}; returns the message. */
    static String assertError(String name, Executable call) {
        DBusExecutionException e = assertThrows(DBusExecutionException.class, call);
        assertTrue(errorName(e).equals(name), "expected " + name + " but got " + errorName(e) + ": " + e.getMessage());
        return e.getMessage();
    }
}
