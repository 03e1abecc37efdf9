package org.qemu.helpers.uiclient.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class DirtyRegionTest {
    @Test
    void touchingRectanglesMergeAndDistantOnesStaySeparate() {
        DirtyRegion d = new DirtyRegion(100, 100);
        d.take();
        d.add(new Rect(0, 0, 10, 10));
        d.add(new Rect(10, 0, 10, 10));
        d.add(new Rect(50, 50, 5, 5));
        List<Rect> rects = d.take().rects();
        assertEquals(2, rects.size());
        assertTrue(rects.contains(new Rect(0, 0, 20, 10)));
        assertTrue(rects.contains(new Rect(50, 50, 5, 5)));
    }

    @Test
    void manyRectanglesCollapseToTheirBoundingBox() {
        DirtyRegion d = new DirtyRegion(1000, 1000);
        d.take();
        for (int i = 0; i <= DirtyRegion.MAX_RECTS; i++) {
            d.add(new Rect(i * 20, i * 20, 5, 5));
        }
        assertEquals(List.of(new Rect(0, 0, DirtyRegion.MAX_RECTS * 20 + 5, DirtyRegion.MAX_RECTS * 20 + 5)),
                d.take().rects());
    }

    @Test
    void rectanglesAreClippedToTheConsole() {
        DirtyRegion d = new DirtyRegion(10, 10);
        d.take();
        d.add(new Rect(8, 8, 5, 5));
        d.add(new Rect(20, 20, 5, 5));
        assertEquals(List.of(new Rect(8, 8, 2, 2)), d.take().rects());
    }

    @Test
    void awaitReturnsEmptyAfterTimeoutAndAtOnceWhenDirty() throws Exception {
        DirtyRegion d = new DirtyRegion(10, 10);
        assertTrue(d.await(1000).resized());
        long t0 = System.nanoTime();
        assertTrue(d.await(50).isEmpty());
        assertTrue(System.nanoTime() - t0 >= 40_000_000L);
        Thread t = new Thread(() -> d.add(new Rect(1, 1, 1, 1)));
        t.start();
        assertEquals(List.of(new Rect(1, 1, 1, 1)), d.await(5000).rects());
        t.join();
    }
}
