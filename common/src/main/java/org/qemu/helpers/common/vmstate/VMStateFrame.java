package org.qemu.helpers.common.vmstate;

import org.qemu.helpers.common.text.Untrusted;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The envelope around a helper's migration payload, pure and I/O free:
 * <pre>
 *   "QHVS"  magic (4)           frame version (1) = 1
 *   id length (1), id (ASCII)   payload version (4, big-endian)
 *   payload length (4)          payload
 *   CRC-32C (4) over all bytes before it
 * </pre>
 * The Id is inside so a blob saved by one helper is never loaded by another; the whole frame
 * is at most {@link #MAX_BYTES} (CONTRACT.md: at most 1 MiB).
 */
public final class VMStateFrame {
    public static final int MAX_BYTES = 1 << 20;
    static final byte[] MAGIC = {'Q', 'H', 'V', 'S'};
    static final int FRAME_VERSION = 1;

    /** A checked, unwrapped payload. */
    public record Payload(int version, byte[] bytes) {
    }

    private VMStateFrame() {
    }

    /** Frames {@code payload}; fails when the result would exceed 1 MiB. */
    public static byte[] wrap(String id, int payloadVersion, byte[] payload) throws InvalidStateException {
        byte[] idBytes = id.getBytes(StandardCharsets.US_ASCII);
        int total = overhead(idBytes.length) + payload.length;
        if ((long) overhead(idBytes.length) + payload.length > MAX_BYTES) {
            throw new InvalidStateException("state of " + payload.length + " bytes exceeds the 1 MiB migration limit");
        }
        ByteBuffer b = ByteBuffer.allocate(total);
        b.put(MAGIC).put((byte) FRAME_VERSION).put((byte) idBytes.length).put(idBytes)
                .putInt(payloadVersion).putInt(payload.length).put(payload);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.array();
    }

    /** Checks size, magic, frame version, Id, length and checksum, and returns the payload. */
    public static Payload unwrap(String expectedId, byte[] blob) throws InvalidStateException {
        if (blob.length > MAX_BYTES) {
            throw new InvalidStateException("blob of " + blob.length + " bytes exceeds the 1 MiB limit");
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(blob);
            byte[] magic = new byte[4];
            b.get(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) {
                throw new InvalidStateException("not a qemu-dbus-helpers state blob (bad magic)");
            }
            int frameVersion = b.get() & 0xff;
            if (frameVersion != FRAME_VERSION) {
                throw new InvalidStateException("frame version " + frameVersion + " is not supported (want " + FRAME_VERSION + ")");
            }
            byte[] id = new byte[b.get() & 0xff];
            b.get(id);
            String idText = new String(id, StandardCharsets.US_ASCII);
            if (!idText.equals(expectedId)) {
                throw new InvalidStateException("blob belongs to Id '" + escape(idText) + "', not '" + expectedId + "'");
            }
            int payloadVersion = b.getInt();
            int length = b.getInt();
            if (length < 0 || length != b.remaining() - 4) {
                throw new InvalidStateException("payload length " + Integer.toUnsignedString(length)
                        + " does not match the blob (" + Math.max(0, b.remaining() - 4) + " bytes present)");
            }
            byte[] payload = new byte[length];
            b.get(payload);
            CRC32C crc = new CRC32C();
            crc.update(blob, 0, b.position());
            if ((int) crc.getValue() != b.getInt()) {
                throw new InvalidStateException("checksum mismatch: the blob is corrupted");
            }
            return new Payload(payloadVersion, payload);
        } catch (BufferUnderflowException e) {
            throw new InvalidStateException("blob is truncated (" + blob.length + " bytes)");
        }
    }

    private static int overhead(int idLength) {
        return 4 + 1 + 1 + idLength + 4 + 4 + 4;
    }

    private static String escape(String s) {
        return Untrusted.printable(s, 256);
    }
}
