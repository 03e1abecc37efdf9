package org.qemu.helpers.tpmstub.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.qemu.helpers.tpmstub.Hex;

/**
 * TPM2_MakeCredential in the engine for what tpm2-tools cannot send: a loaded RSA public key whose
 * modulus the JDK refuses (TPM_RC_KEY, and RSA_Encrypt with it TPM_RC_FAILURE, never an exception), and
 * the round trip with this TPM's own storage keys (RSA and ECC) as the keys and their Names.
 */
class MakeCredentialTest {
    private static final String PW = "00000009 40000009 0000 01 0000";
    /** An unrestricted RSA decryption key's public area with the modulus 1 (256 bytes). */
    private static final String WEAK_RSA_PUB = "0116 0001 000b 00060072 0000 0010 0010 0800 00000000 0100"
            + "00".repeat(255) + "01";
    private static final String WEAK_RSA_EK_PUB = "011a 0001 000b 000300b2 0000 0006 0080 0043 0010 0800 00000000 0100"
            + "00".repeat(255) + "01";

    private static TpmEngine started() {
        TpmEngine e = TestEngines.allBanks();
        assertEquals(0, e.execute(Hex.cmd("8001 00000000 00000144 0000"), 0).rc());
        return e;
    }

    @Test
    void aModulusTheJdkRefusesIsTpmRcKeyNotACrash() {
        TpmEngine e = started();
        assertEquals(0, e.execute(Hex.cmd("8001 00000000 00000167 0000 " + WEAK_RSA_EK_PUB + " 4000000b"), 0).rc());
        assertEquals(TpmRc.KEY, e.execute(Hex.cmd("8001 00000000 00000168 80000000 0004 01020304 0022 000b"
                + "ab".repeat(32)), 0).rc());
        assertEquals(0, e.execute(Hex.cmd("8001 00000000 00000167 0000 " + WEAK_RSA_PUB + " 40000007"), 0).rc());
        assertEquals(TpmRc.FAILURE, e.execute(Hex.cmd("8001 00000000 00000174 80000001 0004 01020304 0010 0000"), 0)
                .rc());
    }

    @Test
    void aCredentialMadeForAStorageKeyAndItsOwnNameActivatesWithIt() {
        for (String template : new String[] {HostileCommands.RSA_TEMPLATE, HostileCommands.ECC_TEMPLATE}) {
            TpmEngine e = started();
            assertEquals(0, e.execute(Hex.cmd("8002 00000000 00000131 40000001" + PW + " 0004 0000 0000 " + template
                    + " 0000 00000000"), 0).rc());
            byte[] pub = e.execute(Hex.cmd("8001 00000000 00000173 80000000"), 0).response();
            TpmReader r = new TpmReader(pub, 10, pub.length);
            byte[] name;
            try {
                r.bytes(r.u16());
                name = r.tpm2b(ObjectCommands.MAX_NAME);
            } catch (TpmFormatException ex) {
                throw new AssertionError(ex);
            }
            String credential = "0010" + "5c".repeat(16);
            TpmEngine.Result made = e.execute(Hex.cmd("8001 00000000 00000168 80000000 " + credential + " "
                    + Hex.str(new TpmWriter(2 + name.length).tpm2b(name).toByteArray())), 0);
            assertEquals(0, made.rc(), template);
            byte[] blobAndSecret = Arrays.copyOfRange(made.response(), 10, made.response().length);
            String activate = "8002 00000000 00000147 80000000 80000000 00000012 40000009 0000 01 0000 40000009 0000 01 0000 ";
            TpmEngine.Result activated = e.execute(Hex.cmd(activate + Hex.str(blobAndSecret)), 0);
            if (activated.rc() == TpmRc.RETRY) { // the first DA-protected authorisation after Startup
                activated = e.execute(Hex.cmd(activate + Hex.str(blobAndSecret)), 0);
            }
            assertEquals(0, activated.rc(), template);
            // parameterSize, then certInfo
            assertEquals(credential, Hex.str(Arrays.copyOfRange(activated.response(), 14, 14 + 18)), template);
            // the same blob for another Name: the integrity check fails
            byte[] other = blobAndSecret.clone();
            other[4] ^= 1; // a byte of the integrity HMAC
            assertEquals(TpmRc.withParameter(TpmRc.INTEGRITY, 1),
                    e.execute(Hex.cmd(activate + Hex.str(other)), 0).rc(), template);
        }
    }
}
