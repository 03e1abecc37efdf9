package org.qemu.helpers.uiclient.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * Accumulates the rectangles a viewer has not seen yet, merging as it goes so a slow viewer gets
 * a few larger rectangles instead of an unbounded queue. Thread-safe: the display listener adds,
 * one viewer thread takes.
 */
public final class DirtyRegion {
    /** Rectangles kept before they collapse into their bounding box. */
    public static final int MAX_RECTS = 16;

    private final List<Rect> rects = new ArrayList<>();
    private boolean resized;
    private boolean cursorChanged;
    private int width;
    private int height;
    private long sinceNanos;
    private final Runnable onPending;

    /** Start with a full frame of the given size pending (what a new viewer needs). */
    public DirtyRegion(int width, int height) {
        this(width, height, () -> { });
    }

    /**
     * As {@link #DirtyRegion(int, int)}; {@code onPending} runs (on the display's thread, under
     * this region's lock: it must only signal) whenever something becomes pending, so a viewer
     * can sleep on its own condition instead of polling this region.
     */
    public DirtyRegion(int width, int height, Runnable onPending) {
        this.onPending = onPending;
        resize(width, height);
    }

    /** The console was resized (Scanout) or disabled (0x0): the whole frame is pending. */
    public synchronized void resize(int newWidth, int newHeight) {
        width = newWidth;
        height = newHeight;
        resized = true;
        markSince();
        rects.clear();
        if (width > 0 && height > 0) {
            rects.add(new Rect(0, 0, width, height));
        }
        pending();
    }

    /** Add a changed rectangle (clipped to the console), merging with ones it touches. */
    public synchronized void add(Rect r) {
        Rect c = r.clip(width, height);
        if (c == null) {
            return;
        }
        markSince();
        boolean merged = true;
        while (merged) {
            merged = false;
            for (int i = 0; i < rects.size(); i++) {
                if (rects.get(i).touches(c)) {
                    c = c.union(rects.remove(i));
                    merged = true;
                    break;
                }
            }
        }
        rects.add(c);
        if (rects.size() > MAX_RECTS) {
            Rect all = rects.get(0);
            for (Rect x : rects) {
                all = all.union(x);
            }
            rects.clear();
            rects.add(all);
        }
        pending();
    }

    public synchronized void cursorChanged() {
        markSince();
        cursorChanged = true;
        pending();
    }

    private void pending() {
        notifyAll();
        onPending.run();
    }

    private void markSince() {
        if (sinceNanos == 0) {
            sinceNanos = System.nanoTime();
        }
    }

    /** Take everything pending and start empty. */
    public synchronized Damage take() {
        Damage d = new Damage(resized, width, height, List.copyOf(rects), cursorChanged, sinceNanos);
        sinceNanos = 0;
        rects.clear();
        resized = false;
        cursorChanged = false;
        return d;
    }

    /** Wait up to {@code millis} for something to be pending, then take it (possibly empty). */
    public synchronized Damage await(long millis) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000L;
        while (rects.isEmpty() && !resized && !cursorChanged) {
            long left = (end - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                break;
            }
            wait(left);
        }
        return take();
    }
}
