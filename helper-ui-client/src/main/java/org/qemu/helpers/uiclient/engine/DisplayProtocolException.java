package org.qemu.helpers.uiclient.engine;

/**
 * A display message from QEMU that is malformed or out of bounds (bad size, stride, length or
 * format). The message is dropped and counted; the client keeps running.
 */
public class DisplayProtocolException extends Exception {
    public DisplayProtocolException(String message) {
        super(message);
    }
}
