package org.qemu.helpers.uiclient.display;

/** No trusted QEMU display to show or send to: none on the bus, refused, or no such console. */
public final class DisplayUnavailableException extends Exception {
    public DisplayUnavailableException(String message) {
        super(message);
    }
}
