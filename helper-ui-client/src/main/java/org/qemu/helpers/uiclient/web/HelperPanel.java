package org.qemu.helpers.uiclient.web;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.freedesktop.dbus.Struct;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.annotations.Position;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.interfaces.Introspectable;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.UInt64;
import org.freedesktop.dbus.types.Variant;
import org.qemu.helpers.common.discovery.HelperDirectory;
import org.qemu.helpers.common.discovery.HelperInfo;
import org.qemu.helpers.uiclient.display.UiLog;

/**
 * The side panel's data: every helper discovery finds, with its Status and live data read
 * through the helpers' own D-Bus APIs (CONTRACT.md): DHCP leases, compression jobs, TPM PCRs
 * 0-7. Everything here came from other processes (and leases from the guest): it is bounded
 * here and shown by the page as text only.
 */
final class HelperPanel implements AutoCloseable {
    private static final int MAX_ROWS = 64;
    private static final int MAX_TEXT = 256;
    private static final Pattern JOB_NODE = Pattern.compile("<node name=\"([0-9]{1,9})\"");

    private final DBusConnection bus;
    private final HelperDirectory directory;
    private final UiLog log;
    private final Thread poller;
    // nobody looks until a console says so: an idle helper neither polls its peers nor builds JSON
    private volatile java.util.function.BooleanSupplier demand = () -> false;
    private volatile String snapshot = "{\"helpers\":[]}";
    private volatile long version;
    private volatile Runnable onChange = () -> { };

    /** org.qemu.SlirpDhcp1 as far as the panel reads it. */
    @DBusInterfaceName("org.qemu.SlirpDhcp1")
    public interface SlirpDhcp1 extends DBusInterface {
        List<Lease> ListLeases();

        List<Flow> ListFlows();
    }

    /** A NAT flow: (s proto, s state, s guest, s remote, s host side, t bytes buffered). */
    public static final class Flow extends Struct {
        @Position(0)
        public final String proto;
        @Position(1)
        public final String state;
        @Position(2)
        public final String guest;
        @Position(3)
        public final String remote;
        @Position(4)
        public final String host;
        @Position(5)
        public final UInt64 buffered;

        public Flow(String proto, String state, String guest, String remote, String host, UInt64 buffered) {
            this.proto = proto;
            this.state = state;
            this.guest = guest;
            this.remote = remote;
            this.host = host;
            this.buffered = buffered;
        }
    }

    /** A lease: (s mac, s ip, s hostname, x expiry). */
    public static final class Lease extends Struct {
        @Position(0)
        public final String mac;
        @Position(1)
        public final String ip;
        @Position(2)
        public final String hostname;
        @Position(3)
        public final long expiry;

        public Lease(String mac, String ip, String hostname, long expiry) {
            this.mac = mac;
            this.ip = ip;
            this.hostname = hostname;
            this.expiry = expiry;
        }
    }

    /** org.qemu.TpmStub1 as far as the panel reads it. */
    @DBusInterfaceName("org.qemu.TpmStub1")
    public interface TpmStub1 extends DBusInterface {
        byte[] PcrRead(String bank, UInt32 index);
    }

    HelperPanel(DBusConnection bus, HelperDirectory directory, UiLog log) {
        this.bus = bus;
        this.directory = directory;
        this.log = log;
        directory.addListener(e -> refreshSoon());
        poller = new Thread(this::loop, "ui-client-helper-panel");
        poller.setDaemon(true);
        poller.start();
    }

    /** The latest JSON snapshot and its version (bumped whenever the JSON changes). */
    String snapshot() {
        return snapshot;
    }

    long version() {
        return version;
    }

    /** Poll the helpers only while {@code d} says someone looks (a viewer is connected). */
    void setDemand(java.util.function.BooleanSupplier d) {
        demand = d;
    }

    /** Run {@code r} (on the panel's thread) whenever the snapshot changes. */
    void onChange(Runnable r) {
        onChange = r;
    }

    /** Collect again now (e.g. a viewer connected, or discovery saw a change). */
    synchronized void refreshSoon() {
        notifyAll();
    }

    private void loop() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                if (demand.getAsBoolean()) {
                    String next = Json.mapper().writeValueAsString(Map.of("helpers", collect()));
                    if (!next.equals(snapshot)) {
                        snapshot = next;
                        version++;
                        onChange.run();
                    }
                }
                synchronized (this) {
                    wait(2000);
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                log.warn("helper-panel-failed", "error", e.toString());
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private List<Map<String, Object>> collect() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (HelperInfo h : directory.list()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("busName", bound(h.busName()));
            m.put("name", h.name());
            m.put("version", h.version());
            m.put("description", h.description());
            m.put("status", h.status());
            m.put("statusReason", h.statusReason());
            m.put("trust", h.level().wire());
            m.put("uid", h.uid());
            m.put("pid", h.pid());
            m.put("interfaces", h.interfaces());
            try {
                if (h.interfaces().contains("org.qemu.SlirpDhcp1")) {
                    m.put("leases", leases(h.uniqueName()));
                    m.put("flows", flows(h.uniqueName()));
                }
                if (h.interfaces().contains("org.qemu.Compress1")) {
                    m.put("jobs", jobs(h.uniqueName()));
                }
                if (h.interfaces().contains("org.qemu.TpmStub1")) {
                    m.put("pcrs", pcrs(h.uniqueName()));
                }
            } catch (Exception e) {
                m.put("error", bound(e.getMessage()));
            }
            out.add(m);
        }
        return out;
    }

    private List<Map<String, Object>> leases(String owner) throws Exception {
        return rows(bus.getRemoteObject(owner, "/org/qemu/SlirpDhcp1", SlirpDhcp1.class).ListLeases(), l -> Map.of(
                "mac", bound(l.mac), "ip", bound(l.ip), "hostname", bound(l.hostname), "expiry", l.expiry));
    }

    private List<Map<String, Object>> flows(String owner) throws Exception {
        return rows(bus.getRemoteObject(owner, "/org/qemu/SlirpDhcp1", SlirpDhcp1.class).ListFlows(), f -> Map.of(
                "proto", bound(f.proto), "state", bound(f.state), "guest", bound(f.guest), "remote", bound(f.remote),
                "host", bound(f.host), "buffered", f.buffered.longValue()));
    }

    /** At most MAX_ROWS rows of what a helper returned, each made by {@code row} from bounded values. */
    private static <T> List<Map<String, Object>> rows(List<T> items,
                                                      java.util.function.Function<T, Map<String, Object>> row) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (T item : items.subList(0, Math.min(items.size(), MAX_ROWS))) {
            rows.add(row.apply(item));
        }
        return rows;
    }

    private List<Map<String, Object>> jobs(String owner) throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        // No job exported yet means no /org/qemu/Compress1/Job node, and introspecting it is an error.
        String parent = bus.getRemoteObject(owner, "/org/qemu/Compress1", Introspectable.class).Introspect();
        if (!parent.contains("<node name=\"Job\"")) {
            return rows;
        }
        String xml = bus.getRemoteObject(owner, "/org/qemu/Compress1/Job", Introspectable.class).Introspect();
        Matcher mt = JOB_NODE.matcher(xml);
        while (mt.find() && rows.size() < MAX_ROWS) {
            String path = "/org/qemu/Compress1/Job/" + mt.group(1);
            Map<String, Variant<?>> p = bus.getRemoteObject(owner, path, Properties.class)
                    .GetAll("org.qemu.Compress1.Job");
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("id", mt.group(1));
            for (String k : List.of("State", "BytesIn", "BytesOut", "TotalBytes", "Error")) {
                Variant<?> v = p.get(k);
                Object o = v == null ? null : v.getValue();
                r.put(k, o instanceof Number n ? (Object) n.longValue() : bound(o == null ? "" : String.valueOf(o)));
            }
            rows.add(r);
        }
        return rows;
    }

    private Map<String, Object> pcrs(String owner) throws Exception {
        // ActiveBanks: the banks allocated in this TPM (Banks lists what it implements; PcrRead of another fails)
        Object banks = bus.getRemoteObject(owner, "/org/qemu/TpmStub1", Properties.class)
                .Get("org.qemu.TpmStub1", "ActiveBanks");
        Object list = banks instanceof Variant<?> v ? v.getValue() : banks;
        String bank = "sha256";
        if (list instanceof List<?> l && !l.isEmpty() && !l.contains("sha256")) {
            bank = bound(String.valueOf(l.get(0)));
        }
        TpmStub1 tpm = bus.getRemoteObject(owner, "/org/qemu/TpmStub1", TpmStub1.class);
        List<String> values = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            byte[] d = tpm.PcrRead(bank, new UInt32(i));
            values.add(java.util.HexFormat.of().formatHex(d, 0, Math.min(d.length, 64)));
        }
        return Map.of("bank", bank, "values", values);
    }

    private static String bound(String s) {
        if (s == null) {
            return "";
        }
        return s.length() <= MAX_TEXT ? s : s.substring(0, MAX_TEXT);
    }

    @Override
    public void close() {
        poller.interrupt();
    }
}
