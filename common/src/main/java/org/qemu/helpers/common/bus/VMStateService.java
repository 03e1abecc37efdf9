package org.qemu.helpers.common.bus;

import org.qemu.helpers.common.log.HelperLog;
import org.qemu.helpers.common.vmstate.InvalidStateException;
import org.qemu.helpers.common.vmstate.VMState1;
import org.qemu.helpers.common.vmstate.VMStateCodec;
import org.qemu.helpers.common.vmstate.VMStateFrame;
import org.qemu.helpers.common.trust.TrustLevel;

/**
 * Serves a helper's {@link VMStateCodec} as org.qemu.VMState1: frames and checks the blob
 * ({@link VMStateFrame}) so that a truncated, oversized, corrupted, foreign or wrong-version
 * blob is refused before the helper's decode runs, and nothing changes.
 */
final class VMStateService<T> implements VMState1 {
    private final String id;
    private final VMStateCodec<T> codec;
    private final HelperLog log;

    public VMStateService(String id, VMStateCodec<T> codec, HelperLog log) {
        this.id = id;
        this.codec = codec;
        this.log = log;
    }

    public PropertyTable properties() {
        // QEMU (a vmm peer) reads Id with GetAll before Save and Load.
        return new PropertyTable(INTERFACE).readOnly("Id", "s", () -> id, TrustLevel.VMM);
    }

    @Override
    public byte[] Save() {
        byte[] payload = codec.save();
        try {
            byte[] blob = VMStateFrame.wrap(id, codec.payloadVersion(), payload);
            log.info("vmstate-saved", "id", id, "bytes", blob.length);
            return blob;
        } catch (InvalidStateException e) {
            log.error("vmstate-save-refused", "id", id, "reason", e.getMessage());
            throw new org.qemu.VMState1.Error.InvalidState(e.getMessage());
        }
    }

    @Override
    public void Load(byte[] data) {
        T decoded;
        try {
            VMStateFrame.Payload p = VMStateFrame.unwrap(id, data);
            if (p.version() < codec.oldestPayloadVersion() || p.version() > codec.payloadVersion()) {
                throw new InvalidStateException(id + " payload version " + p.version() + " is not one this helper reads ("
                        + codec.oldestPayloadVersion() + ".." + codec.payloadVersion() + ")");
            }
            decoded = codec.decode(p.bytes(), p.version());
        } catch (InvalidStateException e) {
            log.warn("vmstate-load-refused", "id", id, "bytes", data.length, "reason", e.getMessage());
            throw new org.qemu.VMState1.Error.InvalidState("state not loaded, nothing changed: " + e.getMessage());
        }
        codec.apply(decoded);
        log.info("vmstate-loaded", "id", id, "bytes", data.length);
    }

    @Override
    public String getObjectPath() {
        return PATH;
    }
}
