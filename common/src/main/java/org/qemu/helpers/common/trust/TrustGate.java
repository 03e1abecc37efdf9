package org.qemu.helpers.common.trust;

import java.util.concurrent.atomic.AtomicLong;
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
 * <p>
 * Nor may it delay anyone else's replies ({@link #refusal}): a denied call flagged NO_REPLY_EXPECTED gets no
 * error (D-Bus specification "Message Format": the reply should be omitted), and past the {@link DenialBudget}
 * a denied call gets no answer at all.
 */
public final class TrustGate {
    private final PeerTrust trust;
    private final EventLog auditLog;
    private volatile DenialBudget budget;
    private final AtomicLong silenced = new AtomicLong();

    /** What becomes of a denied call. */
    public enum Refusal {
        /** Reply org.freedesktop.DBus.Error.AccessDenied. */
        ANSWER,
        /** The caller asked for no reply: none is sent. */
        SILENT,
        /** The caller's budget of unwritten denials is spent: the call is left unanswered. */
        WITHHOLD
    }

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

    /**
     * Holds denials to {@code budget} from now on; set by the runtime once the connection's writer reports what
     * it wrote (without that, a count would never come down, so no budget is used and every denial is answered).
     */
    public void useBudget(DenialBudget budget) {
        this.budget = budget;
    }

    /** The budget denials are held to, or null when every denial is answered. */
    public DenialBudget budget() {
        return budget;
    }

    /**
     * What to do with the call on this thread, just refused AccessDenied for {@code member}: SILENT when it is
     * flagged NO_REPLY_EXPECTED (D-Bus specification "Message Format", flags: the reply should be omitted; dbus-java
     * 5.2.2 omits only method returns, its Error would still queue ahead of every trusted reply), WITHHOLD past the
     * budget, else ANSWER. Each is counted; a withheld one writes a rate-limited audit line.
     */
    public Refusal refusal(String member) {
        DBusCallInfo info = AbstractConnectionBase.getCallInfo();
        if (info != null && (info.getFlags() & DBusCallInfo.NO_REPLY) != 0) {
            silenced.incrementAndGet();
            return Refusal.SILENT;
        }
        DenialBudget b = budget;
        String sender = info == null ? null : info.getSource();
        if (b == null || sender == null) {
            return Refusal.ANSWER;
        }
        if (b.admit(sender) == DenialBudget.Verdict.ANSWER) {
            return Refusal.ANSWER;
        }
        auditLog.warn("denial-withheld", "sender", sender, "member", member, "withheld_total", b.withheld(),
                "queued", b.queued(), "reason", "too many denials unwritten for this sender or in all; the call gets no reply");
        return Refusal.WITHHOLD;
    }

    /** Denied calls flagged NO_REPLY_EXPECTED, left without an error, since start. */
    public long silenced() {
        return silenced.get();
    }

    /** One audit line, unless the rate limit is spent; the next line written says how many were left out. */
    private void denied(Object... kv) {
        auditLog.warn("access-denied", kv);
    }
}
