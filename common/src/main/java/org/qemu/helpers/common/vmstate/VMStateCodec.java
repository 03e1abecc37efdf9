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

    /** A snapshot of the state to migrate. */
    byte[] save();

    /** Validates {@code payload} completely, with no side effects. */
    T decode(byte[] payload, int payloadVersion) throws InvalidStateException;

    /** Replaces the helper's state with {@code decoded}; must not fail. */
    void apply(T decoded);
}
