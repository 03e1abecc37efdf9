package org.qemu.helpers.deploy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.qemu.helpers.common.cli.CommonOptions;
import org.qemu.helpers.common.discovery.HelperDirectory;
import org.qemu.helpers.common.discovery.HelperInfo;
import org.qemu.helpers.common.trust.PeerTrust;
import org.qemu.helpers.common.trust.TrustPolicy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * {@code launch}: one VM's private bus in a directory, the helpers on it, optionally QEMU
 * wired to them; waits until every helper is ready, prints what discovery sees, and on
 * Ctrl-C (or after --duration) stops everything it started, in reverse order.
 */
@Command(name = "launch", mixinStandardHelpOptions = true,
        description = "Start a VM's private bus, its helpers and (with --qemu) QEMU; Ctrl-C stops them all.")
final class LaunchCommand implements Callable<Integer> {
    @Option(names = "--dir", defaultValue = "state/vm", description = "The VM's directory (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--helpers", split = ",", defaultValue = "slirp-dhcp,compress,tpm-stub,ui-client",
            description = "Helpers to start (default: ${DEFAULT-VALUE}).")
    List<String> helperNames;

    @Option(names = "--qemu", description = "Also start QEMU with -display dbus, dbus-vmstate, a NIC and a TPM on the helpers.")
    boolean qemu;

    @Option(names = "--guest", description = "With --qemu: boot the demo's Linux guest (deploy/guest/) and serve its"
            + " host page on 127.0.0.1; the NIC is restricted to that page.")
    boolean guest;

    @Option(names = "--qemu-arg", description = "Extra QEMU argument (repeatable).")
    List<String> qemuArgs = new ArrayList<>();

    @Option(names = "--jars", description = "Directory holding helper-*/target/helper-*.jar (default: this jar's checkout).")
    Path jars;

    @Option(names = "--web", defaultValue = "127.0.0.1:5980", description = "The UI client's web console (default: ${DEFAULT-VALUE}).")
    String web;

    @Option(names = "--policy", description = "Trust policy passed to every helper.")
    Path policy;

    @Option(names = "--ready-timeout", defaultValue = "60", description = "Seconds to wait for each helper (default: ${DEFAULT-VALUE}).")
    int readyTimeout;

    @Option(names = "--duration", defaultValue = "0", description = "Stop after this many seconds (0: until Ctrl-C).")
    int duration;

    /** Everything started, in start order (stopped in reverse); replaced processes are swapped in place. */
    private final List<Process> started = new ArrayList<>();
    private final Map<HelperKind, Process> helpers = new LinkedHashMap<>();
    private Process qemuProcess;
    private DemoPage page;
    private DemoGuest demoGuest;
    private ControlChannel control;
    private String busAddress;
    private int generation;
    private volatile boolean stopping;

    @Override
    public Integer call() throws Exception {
        VmLayout vm = new VmLayout(dir.toAbsolutePath().normalize());
        if (vm.dir().toString().contains(",")) {
            System.err.println("qemu-helpers launch: option --dir: " + vm.dir() + " contains a comma, which QEMU's option"
                    + " syntax cannot take in these paths; choose another directory");
            return 2;
        }
        List<HelperKind> kinds;
        try {
            kinds = helperNames.stream().map(HelperKind::byName).toList();
        } catch (IllegalArgumentException e) {
            System.err.println("qemu-helpers launch: option --helpers: " + e.getMessage());
            return 2;
        }
        Path repo = jars != null ? jars : HelperKind.checkout();
        for (HelperKind k : kinds) {
            if (!Files.isRegularFile(repo.resolve(k.jar()))) {
                System.err.println("qemu-helpers launch: " + repo.resolve(k.jar()) + " is missing; run 'mvn package' first"
                        + " or give --jars");
                return 2;
            }
        }
        if (guest && !qemu) {
            System.err.println("qemu-helpers launch: option --guest: needs --qemu");
            return 2;
        }
        Map<HelperKind, CdsArchive> archives = new LinkedHashMap<>();
        kinds.forEach(k -> archives.put(k, new CdsArchive(repo.resolve(k.jar()), vm.cdsArchive(k))));
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        try {
            for (Path p : List.of(vm.run(), vm.log("x").getParent(), vm.compressRoot(), vm.cdsArchive(HelperKind.COMPRESS)
                    .getParent())) {
                Files.createDirectories(p);
            }
            DemoGuest demo = null;
            if (guest) {
                page = DemoPage.start();
                demo = DemoGuest.build(repo, page.port());
                System.out.println("guest: " + demo.kernel() + " " + demo.initrd() + "  host page: http://127.0.0.1:"
                        + page.port() + "/ (the guest's http://10.0.2.2:" + page.port() + "/)");
            }
            String address = startBus(vm);
            System.out.println("bus: " + address);
            busAddress = address;
            demoGuest = demo;
            for (HelperKind k : kinds) {
                startHelper(k, vm, vm.state(k), archives.get(k));
            }
            List<HelperInfo> ready = awaitReady(address, kinds, vm);
            for (CdsArchive cds : archives.values()) {
                cds.markStarted();
            }
            System.out.print(HelperTable.format(ready));
            kinds.forEach(k -> System.out.println("log " + k.shortName() + ": " + vm.log(k.shortName())));
            if (kinds.contains(HelperKind.UI_CLIENT)) {
                // The UI client prints its tokened URL once, on its own output (its log here).
                Files.readAllLines(vm.log(HelperKind.UI_CLIENT.shortName())).stream()
                        .filter(l -> l.startsWith("web console: ")).findFirst().ifPresent(System.out::println);
            }
            if (qemu) {
                Files.deleteIfExists(vm.log("guest-serial"));
                List<String> cmd = startQemu(vm, kinds, List.of());
                System.out.println("qemu: " + String.join(" ", cmd));
                System.out.println("qemu log: " + vm.log("qemu") + "  serial: " + vm.log("guest-serial"));
                Path compressJar = repo.resolve(HelperKind.COMPRESS.jar());
                control = ControlChannel.listen(vm.control(), new VmOperations(vm, address, compressJar,
                        (raw, out) -> replaceVm(vm, kinds, archives, raw, out)));
                String self = "java -jar " + repo.resolve("deploy/target/deploy.jar") + " ";
                System.out.println("operator verbs (another terminal): " + self + "save --dir " + vm.dir()
                        + " --out vm.save | " + self + "restore --dir " + vm.dir() + " vm.save | " + self
                        + "migrate --dir " + vm.dir());
            }
            System.out.println("export " + CommonOptions.BUS_ENV + "='" + address + "'  # then: qemu-helpers status");
            System.out.println(duration > 0 ? "running for " + duration + " s" : "running; Ctrl-C stops everything");
            if (duration > 0) {
                stop.await(duration, TimeUnit.SECONDS);
            } else {
                stop.await();
            }
            return 0;
        } catch (LaunchException e) {
            System.err.println("qemu-helpers launch: " + e.getMessage());
            return 1;
        } finally {
            if (control != null) {
                control.close();
            }
            stopAll();
            if (page != null) {
                page.close();
            }
            buildCdsArchives(archives);
        }
    }

    /**
     * After a run that recorded class lists (the first, or the first after a rebuild): builds each
     * helper's AppCDS archive for the next start, two at a time.
     */
    private void buildCdsArchives(Map<HelperKind, CdsArchive> archives) {
        List<Map.Entry<HelperKind, CdsArchive>> pending = archives.entrySet().stream()
                .filter(e -> e.getValue().pending()).toList();
        if (pending.isEmpty()) {
            return;
        }
        System.out.println("building AppCDS archives for the next start: " + pending.stream()
                .map(e -> e.getKey().shortName()).collect(Collectors.joining(" ")));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (Map.Entry<HelperKind, CdsArchive> e : pending) {
                results.add(pool.submit(() -> e.getValue().build(HelperArgs.JAVA)));
            }
            for (int i = 0; i < pending.size(); i++) {
                String error = results.get(i).get();
                System.out.println("cds " + pending.get(i).getKey().shortName() + ": "
                        + (error == null ? pending.get(i).getValue().archive() : "not built: " + error));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            System.out.println("cds: not built: " + e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    private String startBus(VmLayout vm) throws IOException, LaunchException {
        Files.deleteIfExists(vm.busSocket());
        Files.writeString(vm.busConfig(), BusConfig.oneUid(vm.busSocket()));
        Process daemon = new ProcessBuilder("dbus-daemon", "--config-file=" + vm.busConfig(), "--nofork",
                "--print-address=1").redirectError(vm.log("dbus-daemon").toFile()).start();
        started.add(daemon);
        String address = new BufferedReader(new InputStreamReader(daemon.getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        if (address == null) {
            throw new LaunchException("dbus-daemon did not start; see " + vm.log("dbus-daemon"));
        }
        Files.writeString(vm.addressFile(), address.trim() + "\n");
        return address.trim();
    }

    private List<HelperInfo> awaitReady(String address, List<HelperKind> kinds, VmLayout vm) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(readyTimeout).toNanos();
        try (DBusConnection c = DBusConnectionBuilder.forAddress(address).withShared(false).build();
             PeerTrust trust = new PeerTrust(c, TrustPolicy.ownUidOnly(CommonOptions.ownUid()));
             HelperDirectory d = HelperDirectory.open(c, trust)) {
            while (true) {
                boolean all = true;
                for (int i = 0; i < kinds.size(); i++) {
                    HelperKind k = kinds.get(i);
                    Process p = helpers.get(k);
                    if (!p.isAlive()) {
                        throw new LaunchException("helper " + k.shortName() + " exited with " + p.exitValue() + ": "
                                + tail(vm.log(k.shortName())));
                    }
                    all &= d.find(k.busName()).map(h -> h.status().equals("ready")).orElse(false);
                }
                if (all) {
                    return d.list();
                }
                if (System.nanoTime() > end) {
                    throw new LaunchException("helpers not ready within " + readyTimeout + " s: " + d.list());
                }
                Thread.sleep(50);
            }
        }
    }

    private synchronized void startHelper(HelperKind k, VmLayout vm, Path stateDir, CdsArchive cds) throws IOException {
        Files.createDirectories(stateDir);
        List<String> extra = demoGuest != null && k == HelperKind.SLIRP_DHCP ? demoGuest.slirpArgs() : List.of();
        List<String> cmd = HelperArgs.helperCommand(k, vm, cds, busAddress, web, policy, stateDir, extra);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(logRedirect(vm.log(k.shortName())));
        pb.environment().putAll(HelperArgs.ENVIRONMENT);
        track(helpers.put(k, pb.start()), helpers.get(k));
    }

    private synchronized List<String> startQemu(VmLayout vm, List<HelperKind> kinds, List<String> incoming)
            throws IOException {
        List<String> extraQemu = new ArrayList<>(demoGuest != null ? demoGuest.qemuArgs() : List.of());
        extraQemu.addAll(qemuArgs);
        extraQemu.addAll(incoming);
        List<String> cmd = HelperArgs.qemuCommand(vm, kinds, extraQemu);
        Files.deleteIfExists(vm.qmp());
        Process old = qemuProcess;
        qemuProcess = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(logRedirect(vm.log("qemu"))).start();
        track(old, qemuProcess);
        return cmd;
    }

    /** A fresh log at launch; after a migration the replacements append to their predecessor's. */
    private ProcessBuilder.Redirect logRedirect(Path log) throws IOException {
        if (generation == 0) {
            Files.deleteIfExists(log);
        }
        return ProcessBuilder.Redirect.appendTo(log.toFile());
    }

    /** Puts {@code now} where {@code old} was in the stop order, or last when it is new. */
    private void track(Process old, Process now) {
        if (stopping) {
            now.destroyForcibly(); // Ctrl-C came while a migration was starting processes: none may outlive us
        }
        int i = old == null ? -1 : started.indexOf(old);
        if (i >= 0) {
            started.set(i, now);
        } else {
            started.add(now);
        }
    }

    /**
     * The second half of a migration: the source QEMU (paused, its state in {@code raw}) and the helpers that
     * migrate stop; fresh ones start with empty state directories (state/NAME.N), so what they know afterwards
     * came through the migration stream; then QEMU with {@code -incoming} loads {@code raw} and runs on.
     */
    private void replaceVm(VmLayout vm, List<HelperKind> kinds, Map<HelperKind, CdsArchive> archives, Path raw,
                           java.io.PrintStream out) throws Exception {
        generation++;
        stop(qemuProcess);
        List<HelperKind> fresh = kinds.stream().filter(HelperKind::migrates).toList();
        for (HelperKind k : fresh) {
            stop(helpers.get(k));
        }
        out.println("migrate: source QEMU and " + fresh.stream().map(HelperKind::shortName)
                .collect(Collectors.joining(", ")) + " stopped; starting fresh ones");
        for (HelperKind k : fresh) {
            Path stateDir = vm.state(k).resolveSibling(k.shortName() + "." + generation);
            startHelper(k, vm, stateDir, archives.get(k));
        }
        awaitReady(busAddress, fresh, vm);
        startQemu(vm, kinds, List.of("-incoming", "exec:cat '" + raw + "'"));
        try (org.qemu.helpers.common.qmp.Qmp q = org.qemu.helpers.common.qmp.Qmp.connect(vm.qmp(),
                Duration.ofSeconds(30))) {
            long end = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            String status = "";
            while (!status.equals("running")) {
                if (!qemuProcess.isAlive() || System.nanoTime() > end) {
                    throw new IOException("the incoming QEMU did not run (status '" + status + "'); see "
                            + vm.log("qemu"));
                }
                Thread.sleep(20);
                status = q.execute("query-status", Map.of()).path("status").asText();
            }
        }
        out.println("migrate: the incoming QEMU runs the guest; fresh helpers hold its state");
    }

    private static void stop(Process p) throws InterruptedException {
        if (p == null) {
            return;
        }
        p.destroy();
        if (!p.waitFor(15, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    private synchronized void stopAll() {
        stopping = true;
        for (int i = started.size() - 1; i >= 0; i--) {
            Process p = started.get(i);
            p.destroy();
            try {
                if (!p.waitFor(15, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        System.out.println("stopped " + started.size() + " processes");
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static final class LaunchException extends Exception {
        LaunchException(String m) {
            super(m);
        }
    }
}
