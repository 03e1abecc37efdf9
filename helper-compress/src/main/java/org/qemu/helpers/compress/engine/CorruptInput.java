package org.qemu.helpers.compress.engine;

import java.io.IOException;

/** The compressed input is not valid for its format (bad header, checksum mismatch, truncated). */
public final class CorruptInput extends IOException {
    public CorruptInput(String message) { super(message); }
    public CorruptInput(String message, Throwable cause) { super(message, cause); }
}
