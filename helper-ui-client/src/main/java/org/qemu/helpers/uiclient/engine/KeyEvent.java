package org.qemu.helpers.uiclient.engine;

/** One key transition to send to org.qemu.Display1.Keyboard: Press or Release of a qnum. */
public record KeyEvent(int qnum, boolean press) {
    public static KeyEvent press(int qnum) {
        return new KeyEvent(qnum, true);
    }

    public static KeyEvent release(int qnum) {
        return new KeyEvent(qnum, false);
    }
}
