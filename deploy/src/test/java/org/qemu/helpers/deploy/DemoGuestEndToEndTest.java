package org.qemu.helpers.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.qemu.helpers.common.testing.Chromium;
import org.qemu.helpers.common.testing.Tools;

/**
 * The demo as a user meets it, every part real: the launcher with --guest (what deploy/demo.sh runs after its
 * build) boots the Linux guest on the four helpers; headless Chromium opens the web console, sees the guest's
 * screen and the panel's lease with the guest's hostname, and types into the guest's shell; 'qemu-helpers
 * migrate' moves the VM to a fresh QEMU and fresh helpers, the console re-attaches by itself and the shell
 * still has its variable; SIGINT (Ctrl-C) leaves no process of the demo.
 */
class DemoGuestEndToEndTest {
    private static final Pattern URL = Pattern.compile("web console: (http://\\S+)");
    Process launcher;
    Chromium browser;
    Path dir;

    @AfterEach
    void cleanUp() throws Exception {
        if (browser != null) {
            browser.close();
        }
        if (launcher != null && launcher.isAlive()) {
            launcher.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theGuestBootsTakesTypedCommandsSurvivesMigrationAndCtrlCStopsEverything() throws Exception {
        Tools.require("qemu-system-x86_64", "qemu-system-x86");
        Tools.require("busybox", "busybox-static");
        dir = Files.createTempDirectory("qdh-demo-guest");
        Path vm = dir.resolve("vm");
        Path out = dir.resolve("launcher.out");
        // env --default-signal=INT: when the build runs in a background job its SIGINT is ignored, which children
        // inherit; Ctrl-C in a terminal reaches the launcher with the default disposition, as here.
        List<String> cmd = new java.util.ArrayList<>(List.of("env", "--default-signal=INT",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "launch", "--dir=" + vm,
                "--jars=" + LaunchDemoTest.REPO, "--qemu", "--guest", "--web=127.0.0.1:" + LaunchDemoTest.freePort(),
                "--duration=900"));
        launcher = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        Path serial = vm.resolve("log/guest-serial.log");
        String boot = awaitSerial(serial, "demo-guest: ready", Duration.ofSeconds(240));
        assertTrue(boot.contains("demo-guest: lease 10.0.2.15/24 hostname demo-guest"), boot);
        assertTrue(boot.contains("demo-guest: dns demo-guest.vm.internal is 10.0.2.15"), boot);
        assertTrue(boot.contains("says: " + DemoPage.TEXT), "the host page through the gateway:\n" + boot);
        // SeaBIOS (QEMU 7.2's firmware) extends its separator event, the four bytes FF FF FF FF, into PCRs 0-7 at
        // boot and measures nothing else into 0 and 7 on this machine type: both must read the one extend of it
        // (EV_SEPARATOR, TCG PC Client Platform Firmware Profile), which shows firmware and kernel reached
        // the helper's TPM and PCR_Extend/PCR_Read agree with the TPM 2.0 Part 1 extend rule.
        String separatorOnce = seaBiosSeparatorExtendedOnce();
        assertTrue(boot.contains("demo-guest: pcr-sha256 0 " + separatorOnce), boot);
        assertTrue(boot.contains("demo-guest: pcr-sha256 7 " + separatorOnce), boot);
        Matcher url = URL.matcher(Files.readString(out));
        assertTrue(url.find(), Files.readString(out));

        browser = Chromium.start();
        browser.navigate(url.group(1));
        assertTrue(browser.waitFor(nonBlankCanvas(), Duration.ofSeconds(60)), "canvas stayed blank");
        assertTrue(browser.waitFor("document.body.innerText.includes('demo-guest')", Duration.ofSeconds(30)),
                "no lease with the guest's hostname in the panel: " + browser.eval("document.body.innerText"));
        type("echo typed-in-browser\n");
        awaitSerial(serial, Pattern.compile("(?m)^typed-in-browser\\r?$"), Duration.ofSeconds(60));
        type("demovar=kept\n");
        Thread.sleep(2000); // TCG: let the shell take the line before the VM moves

        Path migrateOut = dir.resolve("migrate.out");
        Process migrate = LaunchDemoTest.java(migrateOut, "migrate", "--dir=" + vm);
        assertTrue(migrate.waitFor(300, TimeUnit.SECONDS), "migrate did not finish");
        String m = Files.readString(migrateOut);
        assertEquals(0, migrate.exitValue(), m);
        assertTrue(m.contains("migrate: done; downtime"), m);
        System.out.println(m);

        // The page re-attaches to the new QEMU by itself; "set" prints the variable quoted, as typing never does.
        type("set\n");
        awaitSerial(serial, Pattern.compile("demovar='kept'"), Duration.ofSeconds(120));

        long pid = launcher.pid();
        Runtime.getRuntime().exec(new String[] {"kill", "-INT", Long.toString(pid)}).waitFor();
        assertTrue(launcher.waitFor(60, TimeUnit.SECONDS), "the launcher did not stop on SIGINT");
        List<String> left = ProcessHandle.allProcesses().filter(p -> p.info().commandLine()
                .map(c -> c.contains(vm.toString())).orElse(false)).map(p -> p.pid() + " " + p.info().commandLine()
                .orElse("")).toList();
        assertEquals(List.of(), left, "processes of the demo left after Ctrl-C");
    }

    private void type(String text) throws Exception {
        BrowserKeys.type(browser, text);
    }

    private static String nonBlankCanvas() {
        return "(() => { const c = document.getElementById('screen'); if (!c || !c.width) return false;"
                + " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;"
                + " for (let i = 0; i < d.length; i += 4) { if (d[i] | d[i + 1] | d[i + 2]) n++; } return n > 500; })()";
    }

    private String awaitSerial(Path serial, String text, Duration timeout) throws Exception {
        return awaitSerial(serial, Pattern.compile(Pattern.quote(text)), timeout);
    }

    private String awaitSerial(Path serial, Pattern p, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        String s = "";
        while (System.nanoTime() < end) {
            s = Files.exists(serial) ? Files.readString(serial) : "";
            if (p.matcher(s).find()) {
                return s;
            }
            assertTrue(launcher.isAlive(), "launcher exited:\n" + s);
            Thread.sleep(200);
        }
        throw new AssertionError("no " + p + " in the serial log within " + timeout + ":\n" + s);
    }

    /** SHA-256(0^32 || SHA-256(FF FF FF FF)) in the kernel's upper-case hex: a zero PCR after one separator extend. */
    private static String seaBiosSeparatorExtendedOnce() throws NoSuchAlgorithmException {
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        byte[] event = sha256.digest(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
        sha256.update(new byte[32]);
        return HexFormat.of().withUpperCase().formatHex(sha256.digest(event));
    }
}
