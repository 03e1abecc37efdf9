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

    private final List<Process> started = new ArrayList<>();
    private DemoPage page;

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
            for (HelperKind k : kinds) {
                Files.createDirectories(vm.state(k));
                List<String> extra = demo != null && k == HelperKind.SLIRP_DHCP ? demo.slirpArgs() : List.of();
                ProcessBuilder pb = new ProcessBuilder(HelperArgs.helperCommand(k, vm, archives.get(k), address, web,
                        policy, extra)).redirectErrorStream(true).redirectOutput(vm.log(k.shortName()).toFile());
                pb.environment().putAll(HelperArgs.ENVIRONMENT);
                started.add(pb.start());
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
                List<String> extraQemu = new ArrayList<>(demo != null ? demo.qemuArgs() : List.of());
                extraQemu.addAll(qemuArgs);
                List<String> cmd = HelperArgs.qemuCommand(vm, kinds, extraQemu);
                started.add(new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectOutput(vm.log("qemu").toFile()).start());
                System.out.println("qemu: " + String.join(" ", cmd));
                System.out.println("qemu log: " + vm.log("qemu") + "  serial: " + vm.log("guest-serial"));
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
                    Process p = started.get(i + 1);
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

    private void stopAll() {
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
