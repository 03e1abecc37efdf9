package org.qemu.helpers.common.trust;

import org.freedesktop.DBus;
import org.freedesktop.dbus.DBusCallInfo;
import org.freedesktop.dbus.connections.base.AbstractConnectionBase;
import org.qemu.helpers.common.log.EventLog;
import org.qemu.helpers.common.log.EventRateLimit;
import org.qemu.helpers.common.log.HelperLog;

/**
 * The check every exported member passes before any work: who is calling (from the bus
 * daemon, never from the message) and whether their level is enough. A denial replies
 * org.freedesktop.DBus.Error.AccessDenied and writes one audit line, rate-limited ({@link EventRateLimit#forAudit}):
 * a caller may be refused as often as it asks, but a flood of refusals must not fill the disk.
 */
public final class TrustGate {
    private final PeerTrust trust;
    private final EventLog auditLog;

    public TrustGate(PeerTrust trust, HelperLog log) {
        this(trust, log, EventRateLimit.forAudit());
    }

    public TrustGate(PeerTrust trust, HelperLog log, EventRateLimit audit) {
        this.trust = trust;
        this.auditLog = audit.limit(log);
    }

    public PeerTrust trust() {
        return trust;
    }

    /** The classified sender of the call being handled on this thread, if it holds {@code needed}. */
    public Caller require(TrustLevel needed, String member) {
        DBusCallInfo info = AbstractConnectionBase.getCallInfo();
        String sender = info == null ? null : info.getSource();
        if (sender == null) {
            denied("sender", "(none)", "member", member, "needed", needed.wire(), "held", "unknown");
            throw new DBus.Error.AccessDenied(member + ": the sender of this call is unknown");
        }
        Caller caller;
        try {
            caller = trust.classify(sender);
        } catch (PeerTrust.PeerUnknownException e) {
            denied("sender", sender, "member", member, "needed", needed.wire(), "held", "unknown");
            throw new DBus.Error.AccessDenied(member + ": " + e.getMessage());
        }
        if (!caller.has(needed)) {
            PeerCredentials c = caller.credentials();
            denied("sender", sender, "uid", c.uid(), "pid", c.pid(), "member", member, "needed", needed.wire(),
                    "held", caller.level().wire());
            throw new DBus.Error.AccessDenied(member + " needs trust level " + needed.wire()
                    + "; the caller (uid " + c.uid() + ") has " + caller.level().wire());
        }
        return caller;
    }

    /** One audit line, unless the rate limit is spent; the next line written says how many were left out. */
    private void denied(Object... kv) {
        auditLog.warn("access-denied", kv);
    }
}
