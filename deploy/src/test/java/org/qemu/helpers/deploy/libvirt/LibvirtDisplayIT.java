package org.qemu.helpers.deploy.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.testing.Chromium;
import org.qemu.helpers.common.testing.ProcResult;
import org.qemu.helpers.deploy.BrowserKeys;

/**
 * An integration test (failsafe, after package: it runs the packaged jars and deploy/bin's scripts). helper-ui-client
 * on libvirt's D-Bus display: a domain with {@code <graphics type='dbus'/>}, a VGA console and one
 * {@code <interface type='user'>} (so the domain's bus also has a slirp helper, as in README's domain XML) under a
 * real libvirtd 9.0. The UI client is run the way README tells a user to: {@code java -jar helper-ui-client.jar ...
 * --libvirt-domain NAME} inside libvirtd's mount namespace, where virsh's default URI and libvirt's
 * /run/libvirt/qemu/dbus paths are the real ones. The guest (the busybox Linux guest, TCG) runs an interactive shell
 * on its VGA console (tty1) whose output is copied to the serial console, as the demo's guest does; what is typed
 * through the display shows up there.
 *
 * <p>Screens are compared with {@code virsh screenshot} (QEMU's screendump through libvirt: PNG with this QEMU, PPM
 * with one before 7.1) pixel by pixel as 0xRRGGBB ({@link ScreenImage}: RGB of either format, alpha dropped); they
 * may differ in one character cell only, the text cursor's, which QEMU's VGA blinks between the two shots.
 */
class LibvirtDisplayIT {
    static final Path UI_JAR = Path.of("../helper-ui-client/target/helper-ui-client.jar").toAbsolutePath().normalize();
    static final Path QEMU_HELPERS = Path.of("bin/qemu-helpers").toAbsolutePath();
    static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    static final String MAC = "52:54:00:aa:bb:31";
    static final String NAME = "lvdisplay";
    static final Pattern WEB_URL = Pattern.compile("web console: (http://\\S+)");

    @RegisterExtension
    static final Libvirtd LIBVIRT = new Libvirtd(LibvirtSlirpIT.HELPER);

    /** /test.sh: a prompt on the serial console says the shell on tty1 is up; the guest never powers off. */
    static final String PROMPT = "lvdisplay# ";
    static final String GUEST = "export PS1='" + PROMPT + "'\ncd /\n"
            + "while true; do setsid sh -c 'exec </dev/tty1; sh -i 2>&1 | tee /dev/ttyS0 >/dev/tty1'; done\n";

    static Domain domain;
    Process uiServer;
    Chromium browser;

    @BeforeAll
    static void bootTheDomain() throws Exception {
        assertTrue(Files.isRegularFile(UI_JAR), UI_JAR + " missing: run mvn package");
        domain = Domain.of(LIBVIRT.dir(), NAME, GUEST, List.of(MAC), true);
        domain.define(LIBVIRT);
        LIBVIRT.virshOk("start", NAME);
        domain.awaitLine(PROMPT, Duration.ofSeconds(240));
    }

    @AfterAll
    static void destroyTheDomain() throws Exception {
        LIBVIRT.destroyAll();
    }

    @AfterEach
    void stopClients() throws Exception {
        if (browser != null) {
            browser.close();
        }
        if (uiServer != null && uiServer.isAlive()) {
            uiServer.destroy();
            if (!uiServer.waitFor(15, TimeUnit.SECONDS)) {
                uiServer.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void oneShotsThroughLibvirtDomainTypeIntoTheShellAndScreenshotEqualsVirshScreenshot() throws Exception {
        // $((40+2)): the line the shell prints is not the typed text (which its line editor echoes too); Shift keys
        ProcResult typed = ui("type", "--libvirt-domain", NAME, "echo libvirt-typed-$((40+2))\n");
        assertTrue(typed.ok() && typed.stdout().contains("typed 29 characters"), typed.toString());
        domain.await(s -> Pattern.compile("(?m)^libvirt-typed-42\\r?$").matcher(s).find(), Duration.ofSeconds(90),
                "the typed command's output");

        Thread.sleep(2000); // TCG: the echo reaches tty1 after ttyS0
        Path png = LIBVIRT.dir().resolve("ui.png");
        ProcResult shot = ui("screenshot", "--libvirt-domain", NAME, "--out", png.toString());
        assertTrue(shot.ok() && shot.stdout().contains("(720x400)"), shot.toString());
        ScreenImage fromUi = ScreenImage.png(Files.readAllBytes(png));
        ScreenImage fromVirsh = virshScreenshot("virsh-1.img");
        assertEquals(720 * 400, fromUi.rgb().length);
        assertTrue(fromUi.lit() > 2000, "the screen shows text: " + fromUi.lit() + " lit pixels");
        List<String> cells = fromUi.differingCells(fromVirsh);
        System.out.println("UI client screenshot vs virsh screenshot: differing cells " + cells);
        assertTrue(onlyTheCursorCell(cells), "the UI client's screenshot differs from virsh screenshot in more than"
                + " the cursor's cell (column " + PROMPT.length() + ", after the prompt): cells (col,row) " + cells);
    }

    @Test
    void theWebConsoleThroughLibvirtDomainShowsTheScreenTakesTypingAndStatusListsEveryHelper() throws Exception {
        Path out = LIBVIRT.dir().resolve("ui-serve.out");
        uiServer = LIBVIRT.startInNamespace(out, JAVA, "-jar", UI_JAR.toString(), "--libvirt-domain", NAME,
                "--web=127.0.0.1:0");
        String url = awaitUrl(out);

        // status on the same bus, as README shows it: the UI client and the NIC's helper by its full instance name
        ProcResult status = LIBVIRT.inNamespace(Duration.ofSeconds(60), QEMU_HELPERS.toString(), "status",
                "--libvirt-domain", NAME);
        assertTrue(status.ok(), status.toString());
        String instance = "org.qemu.SlirpDhcp1.slirp_" + MAC.replace(':', '_');
        assertTrue(status.stdout().lines().anyMatch(l -> l.startsWith(instance + " ") && l.contains(" ready ")),
                status.stdout());
        assertTrue(status.stdout().lines().anyMatch(l -> l.startsWith("org.qemu.UiClient1 ") && l.contains(" ready ")),
                status.stdout());

        browser = Chromium.start();
        browser.navigate(url);
        assertTrue(browser.waitFor("document.body.dataset.size === '720x400' && Number(document.body.dataset.drawn) > 0",
                Duration.ofSeconds(60)), "no frame drawn: " + browser.eval("document.body.innerText"));
        BrowserKeys.type(browser, "basename /web/typed-in-browser\n");
        domain.await(s -> Pattern.compile("(?m)^typed-in-browser\\r?$").matcher(s).find(), Duration.ofSeconds(90),
                "the command typed in the browser");

        // the canvas follows the screen with the web console's push delay: compare until it has caught up
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<String> cells;
        ScreenImage canvas;
        int round = 0;
        do {
            Thread.sleep(1000);
            String data = browser.eval("document.getElementById('screen').toDataURL('image/png')").asText();
            canvas = ScreenImage.png(Base64.getDecoder().decode(data.substring(data.indexOf(',') + 1)));
            cells = canvas.differingCells(virshScreenshot("virsh-web-" + round++ + ".img"));
        } while (!onlyTheCursorCell(cells) && System.nanoTime() < deadline);
        System.out.println("web console canvas vs virsh screenshot, round " + round + ": differing cells " + cells);
        assertTrue(canvas.lit() > 2000, "the canvas shows text: " + canvas.lit() + " lit pixels");
        assertTrue(onlyTheCursorCell(cells), "the web console's canvas differs from virsh screenshot in more than the"
                + " cursor's cell (column " + PROMPT.length() + ", after the prompt): cells (col,row) " + cells);
        assertTrue(uiServer.isAlive(), Files.readString(out));
    }

    /** No cell differs, or only the one the blinking cursor is in: right after the idle shell's prompt. */
    static boolean onlyTheCursorCell(List<String> cells) {
        return cells.isEmpty() || (cells.size() == 1 && cells.get(0).startsWith(PROMPT.length() + ","));
    }

    /** helper-ui-client.jar run in libvirtd's namespace, as README's commands run it. */
    static ProcResult ui(String... args) throws Exception {
        String[] cmd = new String[args.length + 3];
        cmd[0] = JAVA;
        cmd[1] = "-jar";
        cmd[2] = UI_JAR.toString();
        System.arraycopy(args, 0, cmd, 3, args.length);
        return LIBVIRT.inNamespace(Duration.ofSeconds(90), cmd);
    }

    static ScreenImage virshScreenshot(String file) throws Exception {
        Path shot = LIBVIRT.dir().resolve(file);
        LIBVIRT.virshOk("screenshot", NAME, shot.toString());
        byte[] data = Files.readAllBytes(shot);
        System.out.println("virsh screenshot " + file + ": " + ScreenImage.format(data) + ", " + data.length + " bytes");
        return ScreenImage.read(data);
    }

    private String awaitUrl(Path out) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            Matcher m = WEB_URL.matcher(Files.readString(out));
            if (m.find()) {
                return m.group(1);
            }
            assertTrue(uiServer.isAlive(), "the UI client exited: " + Files.readString(out));
            Thread.sleep(200);
        }
        throw new AssertionError("no web console URL within 60 s: " + Files.readString(out));
    }
}
