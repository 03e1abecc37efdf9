package org.qemu.helpers.uiclient.display;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.freedesktop.dbus.FileDescriptor;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DirectConnection;
import org.freedesktop.dbus.connections.impl.DirectConnectionBuilder;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.types.UInt16;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.Variant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.FileDescriptorCast;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.uiclient.engine.ConsoleDisplay;
import org.qemu.helpers.uiclient.engine.PixelFormat;
import org.qemu.helpers.uiclient.testutil.VmDisplay;

/**
 * A hostile "QEMU" on the bus (this test plays it; a real QEMU never sends these) owns
 * org.qemu, accepts the listener over the real socket pair and peer-to-peer D-Bus connection,
 * and sends malformed Scanout/Update/CursorDefine calls. Each is rejected and counted, the
 * connection stays up, and a valid frame afterwards is shown.
 */
@Timeout(120)
class HostileListenerPeerTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    /** The hostile peer's Console_0 and VM objects (with hand-written Properties). */
    static final class FakeConsole implements Display1.Console, Properties {
        volatile CompletableFuture<Listener> listener = new CompletableFuture<>();
        volatile DirectConnection peer;
        final java.util.concurrent.atomic.AtomicInteger registrations = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public void RegisterListener(FileDescriptor fd) {
            registrations.incrementAndGet();
            CompletableFuture<Listener> listener = new CompletableFuture<>();
            this.listener = listener;
            try {
                AFUNIXSocketChannel ch = FileDescriptorCast.unsafeUsing(fd.getIntFileDescriptor())
                        .as(AFUNIXSocketChannel.class);
                peer = DirectConnectionBuilder.forAddress(PairTransport.ADDRESS + ",guid=0123456789abcdef0123456789abcdef")
                        .transportConfig().withAdditionalConfig(PairTransport.CHANNEL_KEY, ch)
                        .withAdditionalConfig(PairTransport.SASL_SERVER_KEY, Boolean.TRUE).back()
                        .build();
                CompletableFuture.runAsync(() -> {
                    try {
                        peer.listen();
                        listener.complete(peer.getRemoteObject(Display1.LISTENER_PATH, Listener.class));
                    } catch (Exception e) {
                        listener.completeExceptionally(e);
                    }
                });
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void SetUIInfo(UInt16 w, UInt16 h, int x, int y, UInt32 width, UInt32 height) {
        }

        @SuppressWarnings("unchecked")
        @Override
        public <A> A Get(String iface, String name) {
            return (A) GetAll(iface).get(name);
        }

        @Override
        public <A> void Set(String iface, String name, A value) {
        }

        @Override
        public Map<String, Variant<?>> GetAll(String iface) {
            if (iface.equals(Display1.VM_IFACE)) {
                return Map.of("Name", new Variant<>("hostile"), "UUID", new Variant<>("u"),
                        "ConsoleIDs", new Variant<>(List.of(new UInt32(0)), "au"));
            }
            return Map.of("Label", new Variant<>("evil"), "Type", new Variant<>("Graphic"),
                    "Head", new Variant<>(new UInt32(0)), "Width", new Variant<>(new UInt32(4)),
                    "Height", new Variant<>(new UInt32(4)), "DeviceAddress", new Variant<>(""));
        }

        @Override
        public String getObjectPath() {
            return Display1.consolePath(0);
        }
    }

    /** The VM object: only Properties. */
    static final class FakeVm implements Properties {
        final FakeConsole console;

        FakeVm(FakeConsole console) {
            this.console = console;
        }

        @Override
        public <A> A Get(String iface, String name) {
            return console.Get(iface, name);
        }

        @Override
        public <A> void Set(String iface, String name, A value) {
        }

        @Override
        public Map<String, Variant<?>> GetAll(String iface) {
            return console.GetAll(iface);
        }

        @Override
        public String getObjectPath() {
            return Display1.VM_PATH;
        }
    }

    @Test
    void malformedListenerCallsAreRejectedAndTheClientKeepsRunning() throws Exception {
        DBusConnection qemuSide = BUS.connect();
        FakeConsole fake = new FakeConsole();
        qemuSide.exportObject(Display1.consolePath(0), fake);
        qemuSide.exportObject(Display1.VM_PATH, new FakeVm(fake));
        qemuSide.requestBusName(Display1.BUS_NAME);
        try (DisplayClient client = new DisplayClient(BUS.connect(), owner -> Optional.empty(), UiLog.stderr())) {
            client.start();
            assertEquals(DisplayClient.State.ATTACHED, client.await(Duration.ofSeconds(20)));
            Listener l = fake.listener.get(20, TimeUnit.SECONDS);
            ConsoleDisplay d = client.display(0).orElseThrow();
            UInt32 xrgb = new UInt32(PixelFormat.X8R8G8B8.code());
            // oversized width
            l.Scanout(new UInt32(1_000_000), new UInt32(1), new UInt32(4_000_000), xrgb, new byte[16]);
            // stride smaller than a row
            l.Scanout(new UInt32(4), new UInt32(4), new UInt32(8), xrgb, new byte[64]);
            // data shorter than stated
            l.Scanout(new UInt32(4), new UInt32(4), new UInt32(16), xrgb, new byte[63]);
            // unknown format
            l.Scanout(new UInt32(4), new UInt32(4), new UInt32(16), new UInt32(0x01234567), new byte[64]);
            // update outside even the published 4x4 surface, cursor with a short image
            l.Update(8, 8, 1, 1, new UInt32(4), xrgb, new byte[4]);
            l.CursorDefine(64, 64, 0, 0, new byte[10]);
            assertEquals(6, d.rejected());
            // (the Update made the client adopt the published 4x4 surface size, but drew nothing)
            assertTrue(d.frame() == null || java.util.Arrays.stream(d.frame().rgb()).allMatch(p -> p == 0));
            // the connection survived: a valid frame is shown
            byte[] px = new byte[4 * 4 * 4];
            px[0] = (byte) 0x33;
            px[1] = (byte) 0x22;
            px[2] = (byte) 0x11;
            l.Scanout(new UInt32(4), new UInt32(4), new UInt32(16), xrgb, px);
            assertEquals(4, d.width());
            assertEquals(0x112233, d.frame().rgb()[0]);
            // and an update past the (published 4x4) surface is still refused
            l.Update(2, 2, 4, 4, new UInt32(16), xrgb, new byte[64]);
            assertEquals(7, d.rejected());
            assertArrayEquals(new int[] {0x112233, 0, 0, 0}, java.util.Arrays.copyOf(d.frame().rgb(), 4));
            assertEquals(DisplayClient.State.ATTACHED, client.state());

            // The hostile peer drops the listener connection but stays on the bus: the client
            // registers a new listener and shows the next frame.
            assertEquals(1, fake.registrations.get());
            fake.peer.disconnect();
            assertTrue(VmDisplay.waitFor(Duration.ofSeconds(20), () -> fake.registrations.get() == 2));
            Listener again = fake.listener.get(20, TimeUnit.SECONDS);
            px[2] = (byte) 0x77;
            again.Scanout(new UInt32(4), new UInt32(4), new UInt32(16), xrgb, px);
            assertEquals(0x772233, d.frame().rgb()[0]);
        } finally {
            if (fake.peer != null) {
                fake.peer.disconnect();
            }
        }
    }
}
