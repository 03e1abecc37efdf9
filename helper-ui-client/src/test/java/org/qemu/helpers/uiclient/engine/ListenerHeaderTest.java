package org.qemu.helpers.uiclient.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MessageFactory;
import org.freedesktop.dbus.messages.constants.Flags;
import org.freedesktop.dbus.types.UInt32;
import org.junit.jupiter.api.Test;
import org.qemu.helpers.uiclient.engine.ListenerHeader.Kind;

/** Headers as dbus-java itself marshals them (both byte orders), then altered one field at a time. */
class ListenerHeaderTest {
    private static final String PATH = "/org/qemu/Display1/Listener";
    private static final String IFACE = "org.qemu.Display1.Listener";

    private static byte[] wire(byte endian, String path, String iface, String member, byte flags, String sig,
                               Object... args) throws Exception {
        Message m = new MessageFactory(endian).createMethodCall(null, null, path, iface, member, flags, sig, args);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : m.getWireData()) {
            if (part != null) {
                out.write(part);
            }
        }
        return out.toByteArray();
    }

    private static Kind classify(byte[] msg) {
        boolean big = msg[0] == 'B';
        int n = (int) ListenerHeader.u32(msg, 12, big);
        Kind separate = ListenerHeader.classify(Arrays.copyOf(msg, 12), Arrays.copyOfRange(msg, 16, 16 + n), n);
        // the transport's form: the whole message in one buffer, the fields at offset 16
        assertEquals(separate, ListenerHeader.classify(msg, msg, 16, n), "same answer on the whole message");
        return separate;
    }

    private static byte[] update(byte endian, String member, byte flags) throws Exception {
        return wire(endian, PATH, IFACE, member, flags, "iiiiuuay", 0, 0, 1, 1, new UInt32(4),
                new UInt32(0x20020888), new byte[4]);
    }

    @Test
    void recognisesQemusPixelCallsInEitherByteOrder() throws Exception {
        byte nr = (byte) Flags.NO_REPLY_EXPECTED;
        for (byte e : new byte[] {'l', 'B'}) {
            assertEquals(Kind.UPDATE, classify(update(e, "Update", nr)));
            assertEquals(Kind.SCANOUT, classify(wire(e, PATH, IFACE, "Scanout", nr, "uuuuay", new UInt32(1),
                    new UInt32(1), new UInt32(4), new UInt32(0x20020888), new byte[4])));
            assertEquals(Kind.DISABLE, classify(wire(e, PATH, IFACE, "Disable", nr, null)));
        }
    }

    @Test
    void leavesEverythingElseToDbusJava() throws Exception {
        byte nr = (byte) Flags.NO_REPLY_EXPECTED;
        assertEquals(Kind.OTHER, classify(update((byte) 'l', "Update", (byte) 0)), "reply expected");
        assertEquals(Kind.OTHER, classify(update((byte) 'l', "Updat", nr)), "other member");
        assertEquals(Kind.OTHER, classify(wire((byte) 'l', PATH + "2", IFACE, "Update", nr, "iiiiuuay", 0, 0, 1, 1,
                new UInt32(4), new UInt32(0x20020888), new byte[4])), "other path");
        assertEquals(Kind.OTHER, classify(wire((byte) 'l', PATH, "org.qemu.Display1.Listener2", "Update", nr,
                "iiiiuuay", 0, 0, 1, 1, new UInt32(4), new UInt32(0x20020888), new byte[4])), "other interface");
        assertEquals(Kind.OTHER, classify(wire((byte) 'l', PATH, IFACE, "Update", nr, "iiiiuuayay", 0, 0, 1, 1,
                new UInt32(4), new UInt32(0x20020888), new byte[4], new byte[0])), "other signature");
        assertEquals(Kind.OTHER, classify(wire((byte) 'l', PATH, IFACE, "Scanout", nr, "iiiiuuay", 0, 0, 1, 1,
                new UInt32(4), new UInt32(0x20020888), new byte[4])), "Update's signature on Scanout");
        assertEquals(Kind.OTHER, classify(wire((byte) 'l', PATH, IFACE, "Disable", nr, "u", new UInt32(1))),
                "Disable with arguments");
        assertEquals(Kind.OTHER, classify(wire((byte) 'l', PATH, IFACE, "MouseSet", nr, "iii", 1, 2, 1)));
        byte[] signal = update((byte) 'l', "Update", nr);
        signal[1] = 4;
        assertEquals(Kind.OTHER, classify(signal), "a signal, not a method call");
    }

    @Test
    void hostileHeadersAreOtherNeverAnException() throws Exception {
        byte[] good = update((byte) 'l', "Update", (byte) Flags.NO_REPLY_EXPECTED);
        int n = (int) ListenerHeader.u32(good, 12, false);
        byte[] fixed = Arrays.copyOf(good, 12);
        byte[] fields = Arrays.copyOfRange(good, 16, 16 + n);
        for (int cut = 0; cut < n; cut++) {
            assertEquals(Kind.OTHER, ListenerHeader.classify(fixed, fields, cut), "truncated at " + cut);
        }
        assertEquals(Kind.OTHER, ListenerHeader.classify(fixed, fields, n + 1), "length beyond the array");
        assertEquals(Kind.OTHER, ListenerHeader.classify(fixed, fields, -1));
        Random r = new Random(Long.getLong("fuzz.seed", 17));
        for (int i = 0; i < 20000; i++) {
            byte[] f = fields.clone();
            for (int k = 0; k < 1 + r.nextInt(4); k++) {
                int at = r.nextInt(f.length);
                f[at] = r.nextBoolean() ? (byte) r.nextInt() : (byte) (r.nextBoolean() ? 0xff : 0);
            }
            Kind k = ListenerHeader.classify(fixed, f, r.nextInt(n + 1));
            // any answer but a crash; UPDATE only if every field that matters is still intact
            if (k == Kind.UPDATE) {
                assertEquals(Kind.UPDATE, ListenerHeader.classify(fixed, fields, n));
            }
        }
        byte[] big = new byte[64];
        Arrays.fill(big, (byte) 0xff);
        assertEquals(Kind.OTHER, ListenerHeader.classify(fixed, big, 64), "all 0xff");
    }
}
