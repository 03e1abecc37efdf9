package org.qemu.helpers.compress.engine;

import java.io.InterruptedIOException;

/** Thrown out of a codec's I/O when its job has been cancelled. */
public final class Cancelled extends InterruptedIOException {
    public Cancelled() { super("job cancelled"); }
}
