package org.qemu.helpers.uiclient.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.qemu.helpers.uiclient.engine.ConsoleDisplay;
import org.qemu.helpers.uiclient.engine.DisplayProtocolException;
import org.qemu.helpers.uiclient.engine.ListenerHeader;
import org.qemu.helpers.uiclient.engine.ListenerWire;

/**
 * Fuzz targets (Jazzer) for what QEMU's display listener sends (QEMU runs guest-facing code: a vmm peer, less
 * trusted than the helper): the raw message headers and bodies read from the wire (ListenerHeader, ListenerWire)
 * and the console surface they drive (Scanout, Update, resize, cursor, disable in any order, any sizes, any
 * formats). The test suite replays the committed corpus; {@code deploy/fuzz.sh MINUTES} fuzzes for real. A
 * DisplayProtocolException is the only allowed failure, and the surface must stay what it says it is.
 */
class DisplayMessagesFuzzTest {
    @FuzzTest
    void listenerWire(FuzzedDataProvider in) {
        byte[] fixed = in.consumeBytes(12);
        byte[] fields = in.consumeBytes(in.consumeInt(0, 512));
        int length = in.consumeInt(-1, fields.length + 1);
        ListenerHeader.Kind kind = ListenerHeader.classify(fixed, fields, length);
        if (kind == null) {
            throw new IllegalStateException("classify returned null");
        }
        byte[] body = in.consumeRemainingAsBytes();
        boolean big = fixed.length > 0 && fixed[0] == 'B';
        ListenerWire.Scanout s = ListenerWire.scanout(body, big);
        if (s != null && s.data().length != body.length - 20) {
            throw new IllegalStateException("scanout data of " + s.data().length + " from a body of " + body.length);
        }
        ListenerWire.Update u = ListenerWire.update(body, big);
        if (u != null && u.data().length != body.length - 28) {
            throw new IllegalStateException("update data of " + u.data().length + " from a body of " + body.length);
        }
    }

    @FuzzTest
    void consoleSurface(FuzzedDataProvider in) {
        ConsoleDisplay d = new ConsoleDisplay(0);
        for (int step = 0; step < 12 && in.remainingBytes() > 0; step++) {
            try {
                switch (in.consumeInt(0, 5)) {
                    case 0 -> d.scanout(in.consumeLong(0, 5000), in.consumeLong(0, 5000), in.consumeLong(0, 1L << 33),
                            format(in), in.consumeBytes(in.consumeInt(0, 70_000)));
                    case 1 -> d.update(in.consumeInt(), in.consumeInt(), in.consumeInt(-2, 2000),
                            in.consumeInt(-2, 2000), in.consumeLong(0, 1L << 33), format(in),
                            in.consumeBytes(in.consumeInt(0, 70_000)));
                    case 2 -> d.resize(in.consumeLong(0, 1L << 33), in.consumeLong(0, 1L << 33));
                    case 3 -> d.cursorDefine(in.consumeInt(-1, 300), in.consumeInt(-1, 300), in.consumeInt(),
                            in.consumeInt(), in.consumeBytes(in.consumeInt(0, 400_000)));
                    case 4 -> d.mouseSet(in.consumeInt(), in.consumeInt(), in.consumeInt());
                    default -> d.disable();
                }
            } catch (DisplayProtocolException refused) {
                // refused and counted: the only allowed failure
            }
            ConsoleDisplay.Frame f = d.frame();
            if (f != null && f.rgb() != null && f.rgb().length < (long) f.width() * f.height()) {
                throw new IllegalStateException("frame " + f.width() + "x" + f.height() + " with " + f.rgb().length
                        + " pixels");
            }
        }
    }

    /** Mostly the pixman formats QEMU sends (x8r8g8b8, a8r8g8b8, r5g6b5), sometimes anything. */
    private static long format(FuzzedDataProvider in) {
        return in.consumeBoolean() ? in.pickValue(new Long[] {0x20020888L, 0x20028888L, 0x10020565L})
                : in.consumeLong(0, 0xffffffffL);
    }
}
