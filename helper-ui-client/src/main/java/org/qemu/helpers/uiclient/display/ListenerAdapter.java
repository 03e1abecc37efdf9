package org.qemu.helpers.uiclient.display;

import java.util.concurrent.atomic.AtomicLong;
import org.freedesktop.dbus.FileDescriptor;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.UInt64;
import org.qemu.helpers.uiclient.engine.ConsoleDisplay;
import org.qemu.helpers.uiclient.engine.DisplayProtocolException;

/**
 * The exported org.qemu.Display1.Listener of one console: hands each call to the engine. A
 * malformed call is dropped, counted by the engine and logged (the first few, then every 1000th,
 * so a hostile peer cannot flood the log); the client keeps running.
 */
final class ListenerAdapter implements Listener {
    private final ConsoleDisplay display;
    private final UiLog log;
    private final AtomicLong logged = new AtomicLong();

    private final ConsoleDisplay.SurfaceSize surfaceSize;

    ListenerAdapter(ConsoleDisplay display, ConsoleDisplay.SurfaceSize surfaceSize, UiLog log) {
        this.display = display;
        this.surfaceSize = surfaceSize;
        this.log = log;
    }

    @Override
    public void Scanout(UInt32 width, UInt32 height, UInt32 stride, UInt32 pixmanFormat, byte[] data) {
        try {
            display.scanout(width.longValue(), height.longValue(), stride.longValue(), pixmanFormat.longValue(), data);
        } catch (DisplayProtocolException e) {
            rejected(e.getMessage());
        }
    }

    @Override
    public void Update(int x, int y, int width, int height, UInt32 stride, UInt32 pixmanFormat, byte[] data) {
        try {
            display.update(x, y, width, height, stride.longValue(), pixmanFormat.longValue(), data, surfaceSize);
        } catch (DisplayProtocolException e) {
            rejected(e.getMessage());
        }
    }

    /**
     * The same calls for {@link PairTransport}'s wire-level path. A separate object: dbus-java
     * exports every interface of an exported object and refuses non-public ones.
     */
    PixelSink pixels() {
        return pixels;
    }

    private final PixelSink pixels = new PixelSink() {
        @Override
        public void scanout(long width, long height, long stride, long format, byte[] buffer, int offset,
                            int length) {
            try {
                display.scanout(width, height, stride, format, buffer, offset, length);
            } catch (DisplayProtocolException e) {
                rejected(e.getMessage());
            }
        }

        @Override
        public void update(int x, int y, int width, int height, long stride, long format, byte[] buffer, int offset,
                           int length) {
            try {
                display.update(x, y, width, height, stride, format, buffer, offset, length, surfaceSize);
            } catch (DisplayProtocolException e) {
                rejected(e.getMessage());
            }
        }

        @Override
        public void disable() {
            display.disable();
        }
    };

    @Override
    public void ScanoutDMABUF(FileDescriptor dmabuf, UInt32 width, UInt32 height, UInt32 stride, UInt32 fourcc,
                              UInt64 modifier, boolean yInverted) {
        rejected("ScanoutDMABUF: DMA-BUF scanouts need gl=on, which this client does not support");
    }

    @Override
    public void UpdateDMABUF(int x, int y, int width, int height) {
        rejected("UpdateDMABUF: DMA-BUF scanouts need gl=on, which this client does not support");
    }

    @Override
    public void Disable() {
        display.disable();
    }

    @Override
    public void MouseSet(int x, int y, int on) {
        display.mouseSet(x, y, on);
    }

    @Override
    public void CursorDefine(int width, int height, int hotX, int hotY, byte[] data) {
        try {
            display.cursorDefine(width, height, hotX, hotY, data);
        } catch (DisplayProtocolException e) {
            rejected(e.getMessage());
        }
    }

    @Override
    public String getObjectPath() {
        return Display1.LISTENER_PATH;
    }

    private void rejected(String reason) {
        long n = logged.incrementAndGet();
        if (n <= 10 || n % 1000 == 0) {
            log.warn("display-message-rejected", "console", display.id(), "count", n, "reason", reason);
        }
    }
}
