package org.qemu.helpers.slirpdhcp.dbus;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.qemu.helpers.common.vmstate.InvalidStateException;
import org.qemu.helpers.slirpdhcp.engine.NetworkConfig;

/**
 * Fuzz target (Jazzer) for slirp-dhcp's migration blob (org.qemu.VMState1 Load hands it whatever the source's
 * QEMU sent): leases, static leases, host records and forwards, payload versions 1 and 2. A typed refusal is the
 * only allowed failure; an accepted blob must save again (what Load applies can be migrated onward). The test
 * suite replays the committed corpus; {@code deploy/fuzz.sh MINUTES} fuzzes for real.
 */
class SlirpStateFuzzTest {
    private static final NetStateVMState CODEC =
            new NetStateVMState(null, NetworkConfig.slirpDefaults("vm.internal"), null); // decode only

    @FuzzTest
    void stateBlob(FuzzedDataProvider in) {
        int version = in.consumeBoolean() ? NetStateVMState.VERSION : in.consumeInt(0, 3);
        byte[] payload = in.consumeRemainingAsBytes();
        try {
            NetStateVMState.Saved saved = CODEC.decode(payload, version);
            if (saved.state() == null || saved.forwards() == null) {
                throw new IllegalStateException("accepted a blob without state");
            }
        } catch (InvalidStateException refused) {
            // the only allowed failure
        }
    }
}
