package org.qemu.helpers.uiclient.engine;

import java.util.List;

/**
 * What changed on a console since a viewer last looked: a new size (after Scanout or Disable),
 * changed rectangles, and whether the pointer changed. {@code width == 0} means disabled.
 */
public record Damage(boolean resized, int width, int height, List<Rect> rects, boolean cursorChanged) {
    public boolean isEmpty() {
        return !resized && rects.isEmpty() && !cursorChanged;
    }
}
