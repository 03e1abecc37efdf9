package org.qemu.helpers.slirpdhcp.libvirt;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.qemu.helpers.common.log.EventLog;
import org.qemu.helpers.common.vmstate.InvalidStateException;
import org.qemu.helpers.common.vmstate.VMStateCodec;
import org.qemu.helpers.slirpdhcp.engine.DhcpEndpoint;
import org.qemu.helpers.slirpdhcp.engine.DhcpMessage;
import org.qemu.helpers.slirpdhcp.engine.DhcpReply;
import org.qemu.helpers.slirpdhcp.engine.MalformedException;

/**
 * An incoming migration or restore (libvirt's {@code --dbus-incoming}): the guest's DHCP messages get no answer
 * until QEMU's dbus-vmstate has called Load and the saved leases are in place. Else a guest (or its firmware) that
 * asks before the state arrives could be given an address that the saved state then gives to someone else. A
 * held message is dropped, counted and, the first time, logged; the client retransmits (RFC 2131 4.1) and is
 * answered once the hold is released. A Load that is refused (a bad blob) keeps the hold.
 */
public final class IncomingHold {
    private final EventLog log;
    private final AtomicLong held = new AtomicLong();
    private volatile boolean released;

    IncomingHold(EventLog log) {
        this.log = log;
        log.info("dhcp_held", "until", "vmstate-load");
    }

    /** {@code endpoint}, answering nothing while the hold lasts. */
    public DhcpEndpoint wrap(DhcpEndpoint endpoint) {
        return new DhcpEndpoint() {
            @Override
            public Optional<DhcpReply> serve(DhcpMessage m) throws MalformedException {
                if (!released) {
                    if (held.incrementAndGet() == 1) {
                        log.info("dhcp_held_message", "reason", "waiting for VMState Load");
                    }
                    return Optional.empty();
                }
                return endpoint.serve(m);
            }
        };
    }

    /** {@code codec}, releasing the hold after its apply. */
    public <T> VMStateCodec<T> releasingOnLoad(VMStateCodec<T> codec) {
        return new VMStateCodec<>() {
            @Override
            public int payloadVersion() {
                return codec.payloadVersion();
            }

            @Override
            public byte[] save() {
                return codec.save();
            }

            @Override
            public T decode(byte[] payload, int payloadVersion) throws InvalidStateException {
                return codec.decode(payload, payloadVersion);
            }

            @Override
            public void apply(T decoded) {
                codec.apply(decoded);
                release();
            }
        };
    }

    /** Lets DHCP through from now on. */
    void release() {
        if (!released) {
            released = true;
            log.info("dhcp_released", "after", "vmstate-load", "held_messages", held.get());
        }
    }

    /** True while DHCP is held. */
    public boolean holding() {
        return !released;
    }

    /** Messages dropped while held. */
    public long heldMessages() {
        return held.get();
    }
}
