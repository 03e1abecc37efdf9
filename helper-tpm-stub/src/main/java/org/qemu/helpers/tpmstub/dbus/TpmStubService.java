package org.qemu.helpers.tpmstub.dbus;

import org.qemu.helpers.common.text.Untrusted;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import org.freedesktop.dbus.types.UInt32;
import org.qemu.TpmStub1.Error;
import org.qemu.helpers.common.bus.DBusErrors;
import org.qemu.helpers.common.bus.PropertyTable;
import org.qemu.helpers.tpmstub.device.DeviceView;
import org.qemu.helpers.tpmstub.device.TpmDevice;
import org.qemu.helpers.tpmstub.engine.HashAlg;

/**
 * The exported org.qemu.TpmStub1 object: validates arguments, then acts on the TPM through
 * ordinary TPM 2.0 commands (so PCR rules, locality and the update counter apply as for the guest).
 */
public final class TpmStubService implements TpmStub1 {
    public static final String INTERFACE = "org.qemu.TpmStub1";
    public static final int MAX_RANDOM = 4096;
    private static final int RC_INITIALIZE = 0x100;
    private static final int RC_FAILURE = 0x101;
    private static final int RC_LOCALITY = 0x907;

    public static final String PATH = "/org/qemu/TpmStub1";

    private final TpmDevice tpm;

    @Override
    public String getObjectPath() {
        return PATH;
    }

    public TpmStubService(TpmDevice tpm) {
        this.tpm = tpm;
    }

    /** Properties: Banks (implemented), ActiveBanks (allocated), Started, Locality, Established. */
    public PropertyTable properties() {
        return new PropertyTable(INTERFACE)
                .readOnly("Banks", "as", () -> Arrays.stream(HashAlg.values()).map(HashAlg::bankName).toList())
                .readOnly("ActiveBanks", "as", () -> tpm.status().banks())
                .readOnly("Started", "b", () -> tpm.status().started())
                .readOnly("Locality", "y", () -> (byte) tpm.status().locality())
                .readOnly("Established", "b", () -> tpm.status().established());
    }

    /** The properties a TpmDevice change may affect (for PropertiesChanged). */
    public static final String[] DYNAMIC = {"Started", "Locality", "Established"};

    private static HashAlg bank(String name) {
        return HashAlg.byBankName(name).orElseThrow(() -> DBusErrors.invalidArgs(
                "bank must be one of sha1, sha256, sha384, sha512; got '" + printable(name) + "'"));
    }

    private static int index(UInt32 index) {
        if (index == null || index.longValue() > 23) {
            throw DBusErrors.invalidArgs("PCR index must be 0-23");
        }
        return index.intValue();
    }

    /** Makes a caller-supplied string safe to echo in an error message. */
    static String printable(String s) {
        return Untrusted.printable(s, 64);
    }

    private static Error.NotStarted notStarted() {
        return new Error.NotStarted("the TPM has not been started (TPM2_Startup) or is stopped");
    }

    @Override
    public byte[] PcrRead(String bank, UInt32 index) {
        HashAlg alg = bank(bank);
        int i = index(index);
        // the published view: answered at once, also while a long TPM command runs (DeviceView)
        DeviceView view = tpm.view();
        if (!view.status().started()) {
            throw notStarted();
        }
        byte[] v = view.pcr(alg, i);
        if (v.length == 0) {
            throw new Error.BankNotActive("PCR bank " + alg.bankName() + " is not allocated; active: "
                    + String.join(",", view.status().banks()));
        }
        return v;
    }

    @Override
    public void PcrExtend(String bank, UInt32 index, byte[] digest) {
        HashAlg alg = bank(bank);
        int i = index(index);
        if (digest == null || digest.length != alg.digestSize()) {
            throw DBusErrors.invalidArgs("a " + alg.bankName() + " digest is " + alg.digestSize() + " bytes, got "
                    + (digest == null ? 0 : digest.length));
        }
        if (!tpm.status().banks().contains(alg.bankName())) {
            throw new Error.BankNotActive("PCR bank " + alg.bankName() + " is not allocated");
        }
        // TPM2_PCR_Extend with a password session (PCR authValues are empty)
        ByteBuffer b = ByteBuffer.allocate(10 + 4 + 4 + 9 + 4 + 2 + digest.length);
        b.putShort((short) 0x8002).putInt(b.capacity()).putInt(0x182).putInt(i);
        b.putInt(9).putInt(0x40000009).putShort((short) 0).put((byte) 1).putShort((short) 0);
        b.putInt(1).putShort((short) alg.algId()).put(digest);
        check(tpm.execute(b.array()), "PCR_Extend of PCR " + i);
    }

    @Override
    public byte[] GetRandom(UInt32 count) {
        if (count == null || count.longValue() > MAX_RANDOM) {
            throw DBusErrors.invalidArgs("count must be 0-" + MAX_RANDOM);
        }
        int n = count.intValue();
        byte[] out = new byte[n];
        int off = 0;
        while (off < n) {
            int want = Math.min(64, n - off);
            byte[] r = tpm.execute(ByteBuffer.allocate(12).putShort((short) 0x8001).putInt(12).putInt(0x17B)
                    .putShort((short) want).array());
            check(r, "GetRandom");
            int got = ((r[10] & 0xFF) << 8) | (r[11] & 0xFF);
            System.arraycopy(r, 12, out, off, Math.min(got, n - off));
            off += got;
        }
        return out;
    }

    private static void check(byte[] resp, String what) {
        int rc = ByteBuffer.wrap(resp, 6, 4).getInt();
        switch (rc) {
            case 0 -> { }
            case RC_INITIALIZE, RC_FAILURE -> throw notStarted();
            case RC_LOCALITY -> throw new Error.Locality(what + " is not allowed at the TPM's current locality");
            default -> throw new Error.Failed(what + " failed with TPM_RC 0x" + Integer.toHexString(rc));
        }
    }

    /** For the bus-level tests: the names of the dynamic properties. */
    public static List<String> dynamicProperties() {
        return List.of(DYNAMIC);
    }
}
