package org.qemu.helpers.common.vmstate;

/**
 * What a helper gives to be migrated by QEMU's dbus-vmstate: its state as bytes, and a
 * two-step load so that a bad blob changes nothing (decode validates everything without side
 * effects; apply cannot fail).
 *
 * @param <T> the decoded, validated state
 */
public interface VMStateCodec<T> {
    /** The version of the payload format this helper writes and reads. */
    int payloadVersion();

    /**
     * The oldest payload version {@link #decode} reads; common refuses a blob of a version outside
     * oldest..{@link #payloadVersion} before decode runs, so a codec need not check it.
     */
    default int oldestPayloadVersion() {
        return payloadVersion();
    }

    /** A snapshot of the state to migrate. */
    byte[] save();

    /** Validates {@code payload} (of a version this codec reads) completely, with no side effects. */
    T decode(byte[] payload, int payloadVersion) throws InvalidStateException;

    /** Replaces the helper's state with {@code decoded}; must not fail. */
    void apply(T decoded);

    /** How a codec made with {@link #of} validates a payload (no side effects). */
    @FunctionalInterface
    interface Decoder<T> {
        T decode(byte[] payload) throws InvalidStateException;
    }

    /** A codec of one payload version from its three parts: save, decode (validating), apply. */
    static <T> VMStateCodec<T> of(int version, java.util.function.Supplier<byte[]> save, Decoder<T> decode,
                                  java.util.function.Consumer<T> apply) {
        return new VMStateCodec<>() {
            @Override
            public int payloadVersion() {
                return version;
            }

            @Override
            public byte[] save() {
                return save.get();
            }

            @Override
            public T decode(byte[] payload, int payloadVersion) throws InvalidStateException {
                return decode.decode(payload);
            }

            @Override
            public void apply(T decoded) {
                apply.accept(decoded);
            }
        };
    }

    /** {@code payload} as strict UTF-8 of at most {@code maxChars} characters, for a codec whose state is text. */
    static String utf8(byte[] payload, int maxChars) throws InvalidStateException {
        if (payload.length > maxChars * 4L) {
            throw new InvalidStateException("text longer than " + maxChars + " characters");
        }
        try {
            String s = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(payload)).toString();
            if (s.length() > maxChars) {
                throw new InvalidStateException("text longer than " + maxChars + " characters");
            }
            return s;
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new InvalidStateException("text is not valid UTF-8");
        }
    }
}
