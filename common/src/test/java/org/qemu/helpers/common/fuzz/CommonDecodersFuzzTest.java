package org.qemu.helpers.common.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.qemu.helpers.common.trust.NameResolver;
import org.qemu.helpers.common.trust.PolicyException;
import org.qemu.helpers.common.trust.PolicyFile;
import org.qemu.helpers.common.vmstate.InvalidStateException;
import org.qemu.helpers.common.vmstate.VMStateFrame;

/**
 * Coverage-guided fuzz targets (Jazzer) for common's decoders of untrusted bytes: a migration
 * blob's VMState framing and the policy file. The test suite replays the committed corpus
 * (src/test/resources/.../CommonDecodersFuzzTestInputs/METHOD); {@code deploy/fuzz.sh MINUTES}
 * fuzzes for real. Anything but the typed refusal is a finding.
 */
class CommonDecodersFuzzTest {
    private static final NameResolver NO_NAMES = new NameResolver() {
        public Optional<Long> uidOf(String user) {
            return user.equals("qemu") ? Optional.of(64055L) : Optional.empty();
        }

        public Optional<Long> gidOf(String group) {
            return group.equals("kvm") ? Optional.of(104L) : Optional.empty();
        }
    };

    @FuzzTest
    void vmStateFrame(byte[] blob) {
        try {
            VMStateFrame.Payload p = VMStateFrame.unwrap("sample", blob);
            if (p.bytes().length > blob.length) {
                throw new IllegalStateException("payload longer than the blob");
            }
        } catch (InvalidStateException expected) {
            // refused: the only allowed failure
        }
    }

    @FuzzTest
    void policyFile(byte[] text) {
        try {
            PolicyFile.parse("fuzz.json", new String(text, StandardCharsets.UTF_8), NO_NAMES);
        } catch (PolicyException expected) {
            // refused with a message naming the field: the only allowed failure
        }
    }
}
