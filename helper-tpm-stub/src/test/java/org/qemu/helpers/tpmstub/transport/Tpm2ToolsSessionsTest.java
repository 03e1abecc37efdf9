package org.qemu.helpers.tpmstub.transport;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.qemu.helpers.tpmstub.Tpm2Tools;

/**
 * Salted and bound HMAC sessions and parameter encryption (AES-128-CFB, tpm2-tools' default) as
 * tpm2-tools 5.4 uses them, against swtpm and this helper in the same test: what the tools print
 * (unsealed secrets, NV data, error codes) must be equal; random bytes only in their length.
 */
class Tpm2ToolsSessionsTest {
    private static List<String> sessions(Tpm2Tools t) throws Exception {
        List<String> out = new ArrayList<>();
        Files.writeString(Path.of(t.file("secret")), "the disk key");
        Files.writeString(Path.of(t.file("nvdata")), "nv data through an encrypted session");
        t.ok("tpm2_startup", "-c");
        t.ok("tpm2_createprimary", "-C", "o", "-c", t.file("prim.ctx"));
        t.flush();
        // salted with the RSA primary (OAEP "SECRET") and bound to it, decrypt + encrypt
        t.ok("tpm2_startauthsession", "--hmac-session", "-c", t.file("prim.ctx"), "-S", t.file("enc.ctx"));
        t.ok("tpm2_flushcontext", "-t");
        out.add("session " + t.ok("tpm2_sessionconfig", t.file("enc.ctx")).lines()
                .filter(l -> l.startsWith("Session-Attributes")).toList());
        out.add("getrandom hex length " + t.ok("tpm2_getrandom", "-S", t.file("enc.ctx"), "16", "--hex").strip().length());
        t.ok("tpm2_flushcontext", "-t");
        // the session as the second (non-authorising) session: inSensitive and outPrivate encrypted
        t.ok("tpm2_create", "-C", t.file("prim.ctx"), "-i", t.file("secret"), "-u", t.file("s.pub"),
                "-r", t.file("s.priv"), "-S", t.file("enc.ctx"));
        t.ok("tpm2_flushcontext", "-t");
        t.ok("tpm2_load", "-C", t.file("prim.ctx"), "-u", t.file("s.pub"), "-r", t.file("s.priv"), "-c", t.file("s.ctx"));
        t.ok("tpm2_flushcontext", "-t");
        // the session authorising the object (its authValue in the HMAC key), outData encrypted
        out.add("unseal hmac session " + t.ok("tpm2_unseal", "-c", t.file("s.ctx"), "-p", "session:" + t.file("enc.ctx")));
        t.ok("tpm2_flushcontext", "-t");
        out.add("unseal aux session " + t.ok("tpm2_unseal", "-c", t.file("s.ctx"), "-S", t.file("enc.ctx")));
        t.ok("tpm2_flushcontext", "-t");
        // NV_Write's data and NV_Read's answer through the session
        t.ok("tpm2_nvdefine", "-C", "o", "-s", "64", "-a", "ownerread|ownerwrite", "0x1500016");
        t.ok("tpm2_nvwrite", "-C", "o", "-i", t.file("nvdata"), "-P", "session:" + t.file("enc.ctx"), "0x1500016");
        out.add("nvread " + t.ok("tpm2_nvread", "-C", "o", "-s", "36", "-P", "session:" + t.file("enc.ctx"), "0x1500016"));
        // Unseal has no TPM2B parameter to decrypt: a decrypt-only session is refused (0xA82)
        t.ok("tpm2_sessionconfig", t.file("enc.ctx"), "--disable-encrypt");
        out.add("decrypt only " + t.fails("tpm2_unseal", "-c", t.file("s.ctx"), "-S", t.file("enc.ctx")));
        t.flush();

        // salted with an ECC primary (ECDH + KDFe "SECRET"), an object with a password
        t.ok("tpm2_createprimary", "-C", "o", "-G", "ecc", "-c", t.file("eprim.ctx"));
        t.flush();
        t.ok("tpm2_startauthsession", "--hmac-session", "-c", t.file("eprim.ctx"), "-S", t.file("eenc.ctx"));
        t.ok("tpm2_flushcontext", "-t");
        t.ok("tpm2_create", "-C", t.file("prim.ctx"), "-i", t.file("secret"), "-p", "pw1", "-u", t.file("pw.pub"),
                "-r", t.file("pw.priv"), "-S", t.file("eenc.ctx"));
        t.ok("tpm2_flushcontext", "-t");
        t.ok("tpm2_load", "-C", t.file("prim.ctx"), "-u", t.file("pw.pub"), "-r", t.file("pw.priv"), "-c", t.file("pw.ctx"));
        t.ok("tpm2_flushcontext", "-t");
        out.add("unseal password ecc-salted " + t.ok("tpm2_unseal", "-c", t.file("pw.ctx"), "-p", "pw1",
                "-S", t.file("eenc.ctx")));
        t.flush();
        // bound to the object itself (its authValue given at bind time stays out of the HMAC key)
        // and salted with the RSA primary
        t.ok("tpm2_startauthsession", "--hmac-session", "--bind-context", t.file("pw.ctx"), "--bind-auth", "pw1",
                "--tpmkey-context", t.file("prim.ctx"), "-S", t.file("bound.ctx"));
        t.ok("tpm2_flushcontext", "-t");
        out.add("unseal bound " + t.ok("tpm2_unseal", "-c", t.file("pw.ctx"), "-p", "session:" + t.file("bound.ctx")));
        t.flush();

        // a salted policy session with encryption: PolicyPCR, then Unseal's answer encrypted
        t.ok("tpm2_createpolicy", "--policy-pcr", "-l", "sha256:7", "-L", t.file("pcr.policy"));
        t.flush();
        t.ok("tpm2_create", "-C", t.file("prim.ctx"), "-i", t.file("secret"), "-L", t.file("pcr.policy"),
                "-u", t.file("p.pub"), "-r", t.file("p.priv"));
        t.ok("tpm2_flushcontext", "-t");
        t.ok("tpm2_load", "-C", t.file("prim.ctx"), "-u", t.file("p.pub"), "-r", t.file("p.priv"), "-c", t.file("p.ctx"));
        t.ok("tpm2_flushcontext", "-t");
        t.ok("tpm2_startauthsession", "--policy-session", "-c", t.file("prim.ctx"), "-S", t.file("pol.ctx"));
        t.ok("tpm2_flushcontext", "-t");
        t.ok("tpm2_policypcr", "-S", t.file("pol.ctx"), "-l", "sha256:7");
        out.add("unseal salted policy " + t.ok("tpm2_unseal", "-c", t.file("p.ctx"), "-p", "session:" + t.file("pol.ctx")));
        t.flush();

        // a key that cannot decrypt cannot salt a session: TPM_RC_ATTRIBUTES for handle 1
        t.ok("tpm2_create", "-C", t.file("prim.ctx"), "-G", "ecc", "-a",
                "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign", "-u", t.file("k.pub"),
                "-r", t.file("k.priv"), "-c", t.file("k.ctx"));
        t.ok("tpm2_flushcontext", "-t");
        out.add("salt with a signing key " + t.fails("tpm2_startauthsession", "--hmac-session",
                "--tpmkey-context", t.file("k.ctx"), "-S", t.file("bad.ctx")));
        t.flush();
        return out;
    }

    @Test
    void saltedBoundAndEncryptingSessionsWorkWithTpm2ToolsAsOnSwtpm() throws Exception {
        List<String> theirs = Tpm2Tools.equalOnSwtpmAndHelper("tpm2_startauthsession", Tpm2ToolsSessionsTest::sessions);
        assertTrue(theirs.contains("unseal hmac session the disk key"), theirs.toString());
        assertTrue(theirs.contains("unseal bound the disk key"), theirs.toString());
        assertTrue(theirs.contains("unseal salted policy the disk key"), theirs.toString());
        assertTrue(theirs.contains("decrypt only Esys_Unseal(0xA82)"), theirs.toString());
    }

    /** PolicyOR of two PCR policies (Part 3 23.6): either branch unseals, a branch no longer true is refused. */
    private static List<String> policyOr(Tpm2Tools t) throws Exception {
        List<String> out = new ArrayList<>();
        Files.writeString(Path.of(t.file("secret")), "either branch");
        t.ok("tpm2_startup", "-c");
        t.ok("tpm2_createpolicy", "--policy-pcr", "-l", "sha256:7", "-L", t.file("p7.policy"));
        t.ok("tpm2_createpolicy", "--policy-pcr", "-l", "sha256:8", "-L", t.file("p8.policy"));
        t.ok("tpm2_startauthsession", "-S", t.file("trial.ctx"));
        t.ok("tpm2_policyor", "-S", t.file("trial.ctx"), "-L", t.file("or.policy"),
                "-l", "sha256:" + t.file("p7.policy") + "," + t.file("p8.policy"));
        out.add("or digest " + org.qemu.helpers.tpmstub.Hex.str(Files.readAllBytes(Path.of(t.file("or.policy")))));
        t.flush();
        t.ok("tpm2_createprimary", "-C", "o", "-c", t.file("prim.ctx"));
        t.flush();
        t.ok("tpm2_create", "-C", t.file("prim.ctx"), "-i", t.file("secret"), "-L", t.file("or.policy"),
                "-u", t.file("s.pub"), "-r", t.file("s.priv"));
        t.ok("tpm2_flushcontext", "-t");
        t.ok("tpm2_load", "-C", t.file("prim.ctx"), "-u", t.file("s.pub"), "-r", t.file("s.priv"), "-c", t.file("s.ctx"));
        t.ok("tpm2_flushcontext", "-t");
        for (String pcr : List.of("7", "8")) {
            t.ok("tpm2_startauthsession", "--policy-session", "-S", t.file("s" + pcr + ".ctx"));
            t.ok("tpm2_policypcr", "-S", t.file("s" + pcr + ".ctx"), "-l", "sha256:" + pcr);
            t.ok("tpm2_policyor", "-S", t.file("s" + pcr + ".ctx"),
                    "-l", "sha256:" + t.file("p7.policy") + "," + t.file("p8.policy"));
            out.add("unseal via pcr " + pcr + " " + t.ok("tpm2_unseal", "-c", t.file("s.ctx"), "-p",
                    "session:" + t.file("s" + pcr + ".ctx")));
            t.ok("tpm2_flushcontext", "-t");
        }
        t.ok("tpm2_pcrextend", "7:sha256=" + "00".repeat(31) + "01");
        t.ok("tpm2_startauthsession", "--policy-session", "-S", t.file("sx.ctx"));
        t.ok("tpm2_policypcr", "-S", t.file("sx.ctx"), "-l", "sha256:7");
        out.add("or after extend " + t.fails("tpm2_policyor", "-S", t.file("sx.ctx"),
                "-l", "sha256:" + t.file("p7.policy") + "," + t.file("p8.policy")));
        t.flush();
        return out;
    }

    @Test
    void policyOrOfTwoPcrPoliciesUnsealsThroughEitherBranchAsOnSwtpm() throws Exception {
        List<String> theirs = Tpm2Tools.equalOnSwtpmAndHelper("tpm2_policyor", Tpm2ToolsSessionsTest::policyOr);
        assertTrue(theirs.contains("unseal via pcr 8 either branch"), theirs.toString());
    }

    /** TPM2_Clear (Part 3 24.6) with lockoutAuth and with platformAuth: what the tools see afterwards. */
    private static List<String> clear(Tpm2Tools t) throws Exception {
        List<String> out = new ArrayList<>();
        t.ok("tpm2_startup", "-c");
        t.ok("tpm2_changeauth", "-c", "o", "ownerpw");
        t.ok("tpm2_changeauth", "-c", "l", "lockpw");
        String before = t.ok("tpm2_createprimary", "-C", "o", "-P", "ownerpw", "-c", t.file("srk.ctx"));
        out.add("evict " + t.ok("tpm2_evictcontrol", "-C", "o", "-P", "ownerpw", "-c", t.file("srk.ctx"), "0x81000001"));
        t.flush();
        t.ok("tpm2_nvdefine", "-C", "o", "-P", "ownerpw", "-s", "8", "-a", "ownerread|ownerwrite", "0x1500016");
        t.ok("tpm2_nvdefine", "-C", "p", "-s", "8", "-a", "ppread|ppwrite|platformcreate", "0x1500017");
        out.add("wrong lockout auth " + t.fails("tpm2_clear", "-c", "l", "wrong"));
        // a failed lockoutAuth disables it: platformAuth clears instead
        out.add("clear by lockout in lockout " + t.fails("tpm2_clear", "-c", "l", "lockpw"));
        t.ok("tpm2_clear", "-c", "p");
        out.add("persistent " + t.ok("tpm2_getcap", "handles-persistent"));
        out.add("nv " + t.ok("tpm2_getcap", "handles-nv-index"));
        String after = t.ok("tpm2_createprimary", "-C", "o", "-c", t.file("srk2.ctx"));
        t.flush();
        out.add("new storage seed " + !before.equals(after));
        out.add("lockout auth empty " + t.run("tpm2_clear", "-c", "l").exitCode());
        out.add("lockout counter " + t.ok("tpm2_getcap", "properties-variable").lines()
                .filter(l -> l.contains("LOCKOUT_COUNTER") || l.contains("ownerAuthSet") || l.contains("lockoutAuthSet"))
                .toList());
        return out;
    }

    @Test
    void clearForgetsTheOwnerAndKeepsWhatThePlatformMadeAsOnSwtpm() throws Exception {
        List<String> theirs = Tpm2Tools.equalOnSwtpmAndHelper("tpm2_clear", Tpm2ToolsSessionsTest::clear);
        assertTrue(theirs.contains("new storage seed true"), theirs.toString());
    }
}
