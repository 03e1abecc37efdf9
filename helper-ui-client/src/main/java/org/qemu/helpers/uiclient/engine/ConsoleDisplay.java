package org.qemu.helpers.uiclient.engine;

import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The client's picture of one QEMU console, built from the org.qemu.Display1.Listener calls
 * (Scanout, Update, Disable, CursorDefine, MouseSet). Free of I/O. Each call is validated in full
 * before it changes anything; a bad call throws {@link DisplayProtocolException}, is counted and
 * leaves the state as it was. Thread-safe: one listener thread writes, viewers read copies.
 */
public final class ConsoleDisplay {
    private final int id;
    private final List<DirtyRegion> viewers = new CopyOnWriteArrayList<>();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong updates = new AtomicLong();

    private int width;
    private int height;
    private int[] pixels = new int[0];
    private CursorImage cursor;
    private int mouseX;
    private int mouseY;
    private boolean mouseVisible;
    private long lastUpdateNanos;
    /**
     * Pixels drawn since the surface last changed size without a Scanout, or null when every
     * pixel is known. After such a resize the kept pixels belong to the old surface (the row
     * Updates of the new one are still on their way), so the frame is not yet the screen.
     */
    private BitSet covered;

    public ConsoleDisplay(int id) {
        this.id = id;
    }

    public int id() {
        return id;
    }

    /**
     * Scanout(u width, u height, u stride, u pixman_format, ay data): a whole new frame. QEMU 7.2
     * also sends it for every full-surface update, so a frame of the same size only marks the
     * pixels that changed; a new size replaces the framebuffer and resizes every viewer.
     */
    public void scanout(long w, long h, long stride, long format, byte[] data) throws DisplayProtocolException {
        scanout(w, h, stride, format, data, 0, data == null ? -1 : data.length);
    }

    /**
     * Scanout whose pixels are {@code data[offset .. offset+length)} (the listener's wire buffer,
     * which is reused: nothing here keeps a reference to {@code data} after the call).
     */
    public void scanout(long w, long h, long stride, long format, byte[] data, int offset, int length)
            throws DisplayProtocolException {
        PixelFormat fmt = checked("Scanout", w, h, stride, format, data, offset, length);
        Rect changed = null;
        boolean resized;
        synchronized (this) {
            resized = w != width || h != height;
            if (!resized) {
                changed = PixelBlock.convert(fmt, (int) w, (int) h, (int) stride, data, offset, pixels, width, 0, 0);
                lastUpdateNanos = System.nanoTime();
                covered = null;
            }
        }
        if (resized) {
            int[] next = new int[(int) (w * h)];
            PixelBlock.convert(fmt, (int) w, (int) h, (int) stride, data, offset, next, (int) w, 0, 0);
            synchronized (this) {
                width = (int) w;
                height = (int) h;
                pixels = next;
                lastUpdateNanos = System.nanoTime();
                covered = null;
            }
        }
        updates.incrementAndGet();
        for (DirtyRegion v : viewers) {
            if (resized) {
                v.resize((int) w, (int) h);
            } else if (changed != null) {
                v.add(changed);
            }
        }
    }

    /** Update(i x, i y, i width, i height, u stride, u pixman_format, ay data): a changed rectangle. */
    public void update(int x, int y, int w, int h, long stride, long format, byte[] data)
            throws DisplayProtocolException {
        update(x, y, w, h, stride, format, data, null);
    }

    /** Where the current surface size can be read when an Update does not fit (may do I/O). */
    @FunctionalInterface
    public interface SurfaceSize {
        /** {width, height} of the surface QEMU now shows. */
        long[] get() throws Exception;
    }

    /**
     * Update, and if the rectangle does not fit the known surface, ask {@code size} for the
     * current surface size once, resize to it if it differs, and retry: QEMU 7.2 sends Scanout
     * only for a full-surface update, so after a mode switch row Updates of the new surface
     * can come first (its size is published in the Console Width/Height properties).
     */
    public void update(int x, int y, int w, int h, long stride, long format, byte[] data, SurfaceSize size)
            throws DisplayProtocolException {
        update(x, y, w, h, stride, format, data, 0, data == null ? -1 : data.length, size);
    }

    /** Update whose pixels are {@code data[offset .. offset+length)} (see the Scanout of that form). */
    public void update(int x, int y, int w, int h, long stride, long format, byte[] data, int offset, int length,
                       SurfaceSize size) throws DisplayProtocolException {
        PixelFormat fmt = checked("Update", w, h, stride, format, data, offset, length);
        if (!fits(x, y, w, h) && size != null) {
            long[] now;
            try {
                now = size.get();
            } catch (Exception e) {
                now = null;
            }
            if (now != null && now.length == 2 && (now[0] != width() || now[1] != height())) {
                resize(now[0], now[1]);
            }
        }
        Rect r;
        synchronized (this) {
            if (!fits(x, y, w, h)) {
                rejected.incrementAndGet();
                throw new OutsideSurfaceException("Update: rectangle " + w + "x" + h + "+" + x + "+" + y
                        + " outside the " + width + "x" + height + " console");
            }
            r = PixelBlock.convert(fmt, w, h, (int) stride, data, offset, pixels, width, x, y);
            lastUpdateNanos = System.nanoTime();
            cover(x, y, w, h);
        }
        updates.incrementAndGet();
        if (r == null) {
            return; // nothing changed: viewers have nothing to fetch
        }
        for (DirtyRegion v : viewers) {
            v.add(r);
        }
    }

    /** Marks a drawn rectangle; the frame is complete once every pixel was drawn after the resize. */
    private void cover(int x, int y, int w, int h) {
        if (covered == null) {
            return;
        }
        for (int row = y; row < y + h; row++) {
            covered.set(row * width + x, row * width + x + w);
        }
        if (covered.cardinality() == width * height) {
            covered = null;
        }
    }

    private synchronized boolean fits(int x, int y, int w, int h) {
        return x >= 0 && y >= 0 && (long) x + w <= width && (long) y + h <= height;
    }

    /**
     * The console's surface changed size without a Scanout (QEMU 7.2 sends Scanout only for a
     * full-surface update; after a mode switch it may send only row Updates and publishes the new
     * size in the Console Width/Height properties). Keeps the overlapping pixels, black elsewhere,
     * and counts the frame incomplete until Updates have drawn every pixel of the new size.
     */
    public void resize(long w, long h) throws DisplayProtocolException {
        if (w < 1 || h < 1 || w > PixelBlock.MAX_DIMENSION || h > PixelBlock.MAX_DIMENSION
                || w * h > PixelBlock.MAX_PIXELS) {
            rejected.incrementAndGet();
            throw new DisplayProtocolException("resize: size " + w + "x" + h + " out of bounds");
        }
        synchronized (this) {
            if (w == width && h == height) {
                return;
            }
            int[] next = new int[(int) (w * h)];
            int cw = (int) Math.min(w, width);
            for (int row = 0; row < Math.min(h, height); row++) {
                System.arraycopy(pixels, row * width, next, row * (int) w, cw);
            }
            width = (int) w;
            height = (int) h;
            pixels = next;
            covered = new BitSet((int) (w * h));
        }
        for (DirtyRegion v : viewers) {
            v.resize((int) w, (int) h);
        }
    }

    /** Disable(): the console shows nothing (e.g. the guest switched its display off). */
    public void disable() {
        synchronized (this) {
            width = 0;
            height = 0;
            pixels = new int[0];
            covered = null;
        }
        for (DirtyRegion v : viewers) {
            v.resize(0, 0);
        }
    }

    /** CursorDefine(i width, i height, i hot_x, i hot_y, ay data). */
    public void cursorDefine(int w, int h, int hotX, int hotY, byte[] data) throws DisplayProtocolException {
        CursorImage c = count(() -> CursorImage.define(w, h, hotX, hotY, data));
        synchronized (this) {
            cursor = c;
        }
        viewers.forEach(DirtyRegion::cursorChanged);
    }

    /** MouseSet(i x, i y, i on): where the guest draws its pointer, and whether it shows it. */
    public void mouseSet(int x, int y, int on) {
        synchronized (this) {
            mouseX = x;
            mouseY = y;
            mouseVisible = on != 0;
        }
        viewers.forEach(DirtyRegion::cursorChanged);
    }

    /** A copy of the current frame, or null while disabled / before the first Scanout. */
    public synchronized Frame frame() {
        return width == 0 ? null : new Frame(width, height, pixels.clone());
    }

    /**
     * A copy of the current frame if every pixel of it is known (from a Scanout, or drawn by
     * Updates since the last resize), else null: after a resize without a Scanout the kept
     * pixels are the old surface's.
     */
    public synchronized Frame completeFrame() {
        return width == 0 || covered != null ? null : new Frame(width, height, pixels.clone());
    }

    /** Whether {@link #completeFrame()} would return a frame. */
    public synchronized boolean complete() {
        return width != 0 && covered == null;
    }

    /** A copy of the pixels of {@code r} (clipped to the console), or null if nothing is left. */
    public synchronized Frame region(Rect r) {
        Rect c = r.clip(width, height);
        if (c == null) {
            return null;
        }
        int[] out = new int[c.width() * c.height()];
        for (int row = 0; row < c.height(); row++) {
            System.arraycopy(pixels, (c.y() + row) * width + c.x(), out, row * c.width(), c.width());
        }
        return new Frame(c.width(), c.height(), out);
    }

    public synchronized int width() {
        return width;
    }

    public synchronized int height() {
        return height;
    }

    public synchronized CursorImage cursor() {
        return cursor;
    }

    /** Pointer position and visibility as last set by MouseSet. */
    public synchronized Pointer pointer() {
        return new Pointer(mouseX, mouseY, mouseVisible);
    }

    /** System.nanoTime() of the last applied Scanout/Update (0 if none). */
    public synchronized long lastUpdateNanos() {
        return lastUpdateNanos;
    }

    /** Messages rejected as malformed so far. */
    public long rejected() {
        return rejected.get();
    }

    /** Scanouts and Updates applied so far. */
    public long updates() {
        return updates.get();
    }

    /** Register a viewer; it starts with the whole current frame pending. */
    public DirtyRegion subscribe() {
        return subscribe(() -> { });
    }

    /** As {@link #subscribe()}, with {@code onPending} run whenever something becomes pending (see DirtyRegion). */
    public DirtyRegion subscribe(Runnable onPending) {
        DirtyRegion d;
        synchronized (this) {
            d = new DirtyRegion(width, height, onPending);
        }
        d.cursorChanged();
        viewers.add(d);
        return d;
    }

    public void unsubscribe(DirtyRegion d) {
        viewers.remove(d);
    }

    /** A frame copy: width*height 0x00RRGGBB pixels. */
    public record Frame(int width, int height, int[] rgb) {
    }

    /** The guest pointer as last reported. */
    public record Pointer(int x, int y, boolean visible) {
    }

    private interface Check<T> {
        T run() throws DisplayProtocolException;
    }

    private <T> T count(Check<T> c) throws DisplayProtocolException {
        try {
            return c.run();
        } catch (DisplayProtocolException e) {
            rejected.incrementAndGet();
            throw e;
        }
    }

    /** {@link PixelBlock#check} of {@code data[offset .. offset+length)}, counted when rejected. */
    private PixelFormat checked(String what, long w, long h, long stride, long format, byte[] data, int offset,
                                int length) throws DisplayProtocolException {
        try {
            if (data == null) {
                throw new DisplayProtocolException(what + ": no data");
            }
            if (offset < 0 || length < 0 || offset > data.length - length) {
                throw new DisplayProtocolException(what + ": data range " + offset + "+" + length
                        + " outside a buffer of " + data.length + " bytes");
            }
            return PixelBlock.check(what, w, h, stride, format, length);
        } catch (DisplayProtocolException e) {
            rejected.incrementAndGet();
            throw e;
        }
    }
}
