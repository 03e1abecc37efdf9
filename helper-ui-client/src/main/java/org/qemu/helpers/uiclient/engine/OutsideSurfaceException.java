package org.qemu.helpers.uiclient.engine;

/**
 * An Update that does not fit the surface this client knows: either hostile, or the surface was
 * resized without a Scanout (the caller may learn the new size and retry once).
 */
public final class OutsideSurfaceException extends DisplayProtocolException {
    public OutsideSurfaceException(String message) {
        super(message);
    }
}
