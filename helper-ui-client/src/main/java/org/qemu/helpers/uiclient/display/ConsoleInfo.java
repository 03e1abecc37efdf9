package org.qemu.helpers.uiclient.display;

/** A console's org.qemu.Display1.Console properties as read at attach time. */
public record ConsoleInfo(int id, String label, String type, long head, long width, long height,
                          String deviceAddress) {
}
