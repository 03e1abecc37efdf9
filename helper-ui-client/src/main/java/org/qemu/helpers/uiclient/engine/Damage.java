package org.qemu.helpers.uiclient.engine;

import java.util.List;

/**
 * What changed on a console since a viewer last looked: a new size (after Scanout or Disable),
 * changed rectangles, and whether the pointer changed. {@code width == 0} means disabled.
 * {@code sinceNanos} is System.nanoTime() of the oldest change included (0 if none): the
 * start of the Update-to-browser latency.
 */
public record Damage(boolean resized, int width, int height, List<Rect> rects, boolean cursorChanged,
                     long sinceNanos) {
    public boolean isEmpty() {
        return !resized && rects.isEmpty() && !cursorChanged;
    }
}
