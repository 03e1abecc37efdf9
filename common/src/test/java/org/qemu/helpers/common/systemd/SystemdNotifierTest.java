package org.qemu.helpers.common.systemd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qemu.helpers.common.log.HelperLog;

class SystemdNotifierTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream logged = new ByteArrayOutputStream();
    private final HelperLog log = new HelperLog("t", HelperLog.Level.INFO, new PrintStream(logged, true));

    @Test
    void aPathAddressIsTheFamilyThePathAndItsNul() {
        byte[] sa = NotifyAddress.parse("/run/x").bytes();
        assertArrayEquals(new byte[] {1, 0, '/', 'r', 'u', 'n', '/', 'x', 0}, sa);
    }

    @Test
    void anAbstractAddressStartsWithNulAndHasNoTerminator() {
        NotifyAddress a = NotifyAddress.parse("@sd/n");
        assertTrue(a.isAbstract());
        assertArrayEquals(new byte[] {1, 0, 0, 's', 'd', '/', 'n'}, a.bytes());
    }

    @Test
    void malformedValuesAreRefusedWithTheReason() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NotifyAddress.parse("run/x")).getMessage()
                .contains("neither an absolute path"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NotifyAddress.parse("/" + "a".repeat(107)))
                .getMessage().contains("longer than"));
        NotifyAddress.parse("/" + "a".repeat(106)); // 107 bytes + NUL: fits exactly
        assertThrows(IllegalArgumentException.class, () -> NotifyAddress.parse("vsock:2:1234"));
        assertThrows(IllegalArgumentException.class, () -> NotifyAddress.parse(""));
    }

    @Test
    void noSocketMeansNothingIsSentAndNothingLogged() {
        SystemdNotifier n = SystemdNotifier.forSocket(null, log);
        assertFalse(n.enabled());
        n.ready("ready");
        assertEquals("", logged.toString());
    }

    @Test
    void aMalformedSocketIsLoggedOnceAndIgnored() {
        SystemdNotifier n = SystemdNotifier.forSocket("relative", log);
        assertFalse(n.enabled());
        n.ready("x");
        assertTrue(logged.toString().startsWith("t warn sd-notify-off "), logged.toString());
        assertEquals(1, logged.toString().lines().count());
    }

    @Test
    void readyAndStoppingReachAFileSystemSocket() throws Exception {
        Path p = dir.resolve("notify");
        roundTrip(p.toString());
        assertTrue(Files.exists(p));
    }

    @Test
    void readyAndStoppingReachAnAbstractSocket() throws Exception {
        roundTrip("@qemu-dbus-helpers-test/" + ProcessHandle.current().pid() + "/" + System.nanoTime());
    }

    @Test
    void anUnreachableSocketIsLoggedNotThrown() {
        SystemdNotifier.forSocket(dir.resolve("nobody").toString(), log).ready("ready");
        assertTrue(logged.toString().startsWith("t warn sd-notify-failed "), logged.toString());
    }

    private void roundTrip(String socket) throws Exception {
        try (UnixDatagramSocket manager = UnixDatagramSocket.bind(NotifyAddress.parse(socket))) {
            SystemdNotifier n = SystemdNotifier.forSocket(socket, log);
            assertTrue(n.enabled());
            n.ready("ready: two\nlines");
            byte[] got = manager.receive(4096, 5000);
            assertNotNull(got);
            assertEquals("READY=1\nSTATUS=ready: two lines\n", new String(got, StandardCharsets.UTF_8));
            n.stopping("stopping");
            assertEquals("STOPPING=1\nSTATUS=stopping\n", new String(manager.receive(4096, 5000), StandardCharsets.UTF_8));
            assertNull(manager.receive(4096, 100), "nothing else was sent");
        }
        assertEquals("", logged.toString());
    }
}
