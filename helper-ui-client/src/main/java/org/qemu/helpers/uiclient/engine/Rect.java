package org.qemu.helpers.uiclient.engine;

/** A rectangle of framebuffer pixels; width and height are at least 1 once validated. */
public record Rect(int x, int y, int width, int height) {

    /** Exclusive right edge. */
    public int right() {
        return x + width;
    }

    /** Exclusive bottom edge. */
    public int bottom() {
        return y + height;
    }

    public long area() {
        return (long) width * height;
    }

    /** True if the two rectangles overlap or touch along an edge (so merging them wastes little). */
    public boolean touches(Rect o) {
        return x <= o.right() && o.x <= right() && y <= o.bottom() && o.y <= bottom();
    }

    /** The smallest rectangle holding both. */
    public Rect union(Rect o) {
        int nx = Math.min(x, o.x);
        int ny = Math.min(y, o.y);
        return new Rect(nx, ny, Math.max(right(), o.right()) - nx, Math.max(bottom(), o.bottom()) - ny);
    }

    /** This rectangle cut to {@code [0,w) x [0,h)}, or null if nothing is left. */
    public Rect clip(int w, int h) {
        int nx = Math.max(0, x);
        int ny = Math.max(0, y);
        int r = Math.min(w, right());
        int b = Math.min(h, bottom());
        return r > nx && b > ny ? new Rect(nx, ny, r - nx, b - ny) : null;
    }
}
