package org.qemu.helpers.tpmstub.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.qemu.helpers.common.testing.Tools;
import org.qemu.helpers.tpmstub.Hex;
import org.qemu.helpers.tpmstub.InProcessTpm;
import org.qemu.helpers.tpmstub.Swtpm;
import org.qemu.helpers.tpmstub.Tpm2Tools;
import org.qemu.helpers.tpmstub.transport.Endpoint;

/**
 * Keys, sealing and attestation with tpm2-tools against this helper and against swtpm in the same
 * test: deterministic outputs (policy digests, unsealed data, error codes, handle lists, public-area
 * structure) must be equal; random ones (keys, signatures) must verify the same way.
 */
class Tpm2ToolsKeysTest {
    private static final String PCRS = "sha256:0,1,2,3,4,5,6,7";
    private static final String ONE = "00".repeat(31) + "01";

    /** Issue 16 acceptance 2 (sealing) and EvictControl; returns what both TPMs must print alike. */
    private static List<String> sealing(Tpm2Tools t) throws Exception {
        List<String> out = new ArrayList<>();
        Files.writeString(Path.of(t.file("secret")), "the disk key");
        t.ok("tpm2_startup", "-c");
        t.sealUnderSrk("sha256:7");
        out.add("policy " + Hex.str(Files.readAllBytes(Path.of(t.file("pcr.policy")))));
        // tpm2_create -c (CreateLoaded) makes a loaded key whose Name tpm2_load of its files gives again
        t.ok("tpm2_create", "-C", t.file("srk.ctx"), "-G", "ecc", "-u", t.file("key.pub"),
                "-r", t.file("key.priv"), "-c", t.file("key.ctx"));
        t.flush();
        String created = t.ok("tpm2_readpublic", "-c", t.file("key.ctx"));
        t.flush();
        String loaded = t.ok("tpm2_load", "-C", t.file("srk.ctx"), "-u", t.file("key.pub"), "-r", t.file("key.priv"),
                "-c", t.file("key2.ctx"));
        t.flush();
        out.add("createloaded name " + created.lines().filter(l -> l.startsWith("name:")).toList()
                .equals(loaded.lines().filter(l -> l.startsWith("name:")).toList()));
        out.add("readpublic " + t.ok("tpm2_readpublic", "-c", t.file("seal.ctx")).lines()
                .filter(l -> !l.startsWith("name:") && !l.startsWith("qualified name:") && !l.startsWith("keyedhash:"))
                .toList());
        t.flush();
        out.add("unseal pcr " + t.ok("tpm2_unseal", "-c", t.file("seal.ctx"), "-p", "pcr:sha256:7"));
        t.flush();
        // a policy session kept in a context file between tools (ContextSave/ContextLoad of a session)
        t.ok("tpm2_startauthsession", "--policy-session", "-S", t.file("session.ctx"));
        t.ok("tpm2_policypcr", "-S", t.file("session.ctx"), "-l", "sha256:7", "-L", t.file("session.policy"));
        out.add("session policy " + Hex.str(Files.readAllBytes(Path.of(t.file("session.policy")))));
        out.add("unseal session " + t.ok("tpm2_unseal", "-c", t.file("seal.ctx"), "-p", "session:" + t.file("session.ctx")));
        t.ok("tpm2_flushcontext", "-t");
        // the policy session starts over once it has authorised (Part 1 19.7.1): a second use fails
        out.add("unseal again " + t.fails("tpm2_unseal", "-c", t.file("seal.ctx"), "-p", "session:" + t.file("session.ctx")));
        t.ok("tpm2_flushcontext", t.file("session.ctx"));
        t.flush();
        // no userWithAuth: the authValue cannot stand in for the policy
        out.add("unseal password " + t.fails("tpm2_unseal", "-c", t.file("seal.ctx"), "-p", ""));
        t.flush();
        out.add("evict " + t.ok("tpm2_evictcontrol", "-C", "o", "-c", t.file("seal.ctx"), "0x81000001"));
        t.flush();
        out.add("persistent " + t.ok("tpm2_getcap", "handles-persistent"));
        out.add("evict twice " + t.fails("tpm2_evictcontrol", "-C", "o", "-c", t.file("seal.ctx"), "0x81000001"));
        t.flush();
        out.add("unseal persistent " + t.ok("tpm2_unseal", "-c", "0x81000001", "-p", "pcr:sha256:7"));
        t.flush();
        t.ok("tpm2_pcrextend", "7:sha256=" + ONE);
        out.add("unseal after extend " + t.fails("tpm2_unseal", "-c", "0x81000001", "-p", "pcr:sha256:7"));
        t.flush();
        out.add("evict delete " + t.ok("tpm2_evictcontrol", "-C", "o", "-c", "0x81000001"));
        out.add("persistent after " + t.ok("tpm2_getcap", "handles-persistent"));
        // a password-sealed object is under dictionary-attack protection: 3 wrong tries, then lockout
        t.ok("tpm2_create", "-C", t.file("srk.ctx"), "-i", t.file("secret"), "-p", "pw1", "-u", t.file("pw.pub"),
                "-r", t.file("pw.priv"));
        t.flush();
        t.ok("tpm2_load", "-C", t.file("srk.ctx"), "-u", t.file("pw.pub"), "-r", t.file("pw.priv"), "-c", t.file("pw.ctx"));
        t.flush();
        out.add("unseal password " + t.ok("tpm2_unseal", "-c", t.file("pw.ctx"), "-p", "pw1"));
        t.flush();
        for (int i = 0; i < 4; i++) {
            out.add("wrong password " + t.fails("tpm2_unseal", "-c", t.file("pw.ctx"), "-p", "wrong"));
            t.flush();
        }
        out.add("right password in lockout " + t.fails("tpm2_unseal", "-c", t.file("pw.ctx"), "-p", "pw1"));
        t.flush();
        out.add("lockout counter " + t.ok("tpm2_getcap", "properties-variable").lines()
                .filter(l -> l.contains("LOCKOUT_COUNTER")).toList());
        return out;
    }

    @Test
    void aSecretSealedToPcr7UnsealsUntilPcr7ChangesAndPersistsLikeOnSwtpm() throws Exception {
        Tools.require("tpm2_unseal", "tpm2-tools");
        Path tmp = Files.createTempDirectory("tpm2seal");
        try {
            List<List<String>> both = Tpm2Tools.onSwtpmAndHelper(tmp, Tpm2ToolsKeysTest::sealing);
            List<String> theirs = both.get(0);
            List<String> ours = both.get(1);
            assertEquals(String.join("\n", theirs), String.join("\n", ours));
            assertTrue(ours.contains("unseal pcr the disk key"), ours.toString());
            assertTrue(ours.contains("createloaded name true"), ours.toString());
            assertTrue(ours.contains("right password in lockout Esys_Unseal(0x921)"), ours.toString());
            assertTrue(ours.contains("unseal after extend Esys_Unseal(0x99D)"), ours.toString());
        } finally {
            Tpm2ToolsTest.deleteTree(tmp);
        }
    }

    /** The public area printed by tpm2_createprimary/readpublic without its key (rsa:, x:, y:) lines. */
    private static String structure(String yaml) {
        StringBuilder b = new StringBuilder();
        for (String line : yaml.split("\n")) {
            if (!line.startsWith("rsa:") && !line.startsWith("x:") && !line.startsWith("y:")) {
                b.append(line).append('\n');
            }
        }
        return b.toString();
    }

    private static List<String> primaries(Tpm2Tools t) throws Exception {
        List<String> out = new ArrayList<>();
        out.add(t.ok("tpm2_createprimary", "-C", "o", "-c", t.file("srk.ctx")));
        t.flush();
        out.add(t.ok("tpm2_createprimary", "-C", "o", "-G", "ecc", "-c", t.file("srk-ecc.ctx")));
        t.flush();
        out.add(t.ok("tpm2_createek", "-c", t.file("ek.ctx"), "-G", "rsa", "-u", t.file("ek.pub"), "-f", "tss")
                + Hex.str(Files.readAllBytes(Path.of(t.file("ek.pub")))));
        t.flush();
        out.add(t.ok("tpm2_createek", "-c", t.file("ek-ecc.ctx"), "-G", "ecc", "-u", t.file("ek-ecc.pub"), "-f", "tss")
                + Hex.str(Files.readAllBytes(Path.of(t.file("ek-ecc.pub")))));
        t.flush();
        out.add(t.ok("tpm2_createprimary", "-C", "e", "-c", t.file("e.ctx")));
        t.flush();
        return out;
    }

    @Test
    void primaryKeysComeFromTheSeedsTheSameAfterARestartAndHaveSwtpmsStructure() throws Exception {
        Tools.require("tpm2_createprimary", "tpm2-tools");
        Path tmp = Files.createTempDirectory("tpm2primary");
        Path state = Files.createTempDirectory("tpm2primary-state");
        try {
            int port = Swtpm.freePortPair();
            List<String> first;
            List<String> again;
            Endpoint data = new Endpoint.Tcp("127.0.0.1", port);
            Endpoint ctrl = new Endpoint.Tcp("127.0.0.1", port + 1);
            try (InProcessTpm tpm = InProcessTpm.start(state, data, ctrl)) {
                Tpm2Tools t = Tpm2Tools.tcp(port, tmp);
                t.ok("tpm2_startup", "-c");
                first = primaries(t);
                assertEquals(first, primaries(t), "the same template gives the same key");
            }
            try (InProcessTpm tpm = InProcessTpm.start(state, data, ctrl)) {
                again = primaries(Tpm2Tools.tcp(port, tmp));
            }
            assertEquals(first, again, "the seeds are in the permanent state");
            assertNotEquals(structure(first.get(0)), first.get(0), "an RSA key was printed");
            // the owner and the endorsement hierarchy have their own seeds
            assertEquals(structure(first.get(0)), structure(first.get(4)));
            assertNotEquals(first.get(0), first.get(4));
            List<String> theirs;
            try (Swtpm sw = Swtpm.start("not-need-init")) {
                Tpm2Tools t = Tpm2Tools.tcp(sw.port, tmp);
                t.ok("tpm2_startup", "-c");
                theirs = primaries(t);
            }
            for (int i = 0; i < theirs.size(); i++) {
                if (i == 2 || i == 3) {
                    // tpm2_createek -f tss: the TPM2B_PUBLIC; its template part (up to the key) equals swtpm's
                    String o = first.get(i);
                    String s = theirs.get(i);
                    int hex = o.lastIndexOf('\n') + 1;
                    assertEquals(s.substring(0, s.lastIndexOf('\n') + 1), o.substring(0, hex));
                    int templateEnd = i == 2 ? 2 * (2 + 0x3a) : 2 * (2 + 0x3a);
                    assertEquals(s.substring(s.lastIndexOf('\n') + 1).substring(0, templateEnd - 8),
                            o.substring(hex).substring(0, templateEnd - 8));
                } else {
                    assertEquals(structure(theirs.get(i)), structure(first.get(i)));
                }
            }
        } finally {
            Tpm2ToolsTest.deleteTree(tmp);
            Tpm2ToolsTest.deleteTree(state);
        }
    }

    /** Issue 16 acceptance 1 (attestation) for one key type; the outcomes both TPMs must share. */
    private static List<String> attestation(Tpm2Tools t, String alg) throws Exception {
        List<String> out = new ArrayList<>();
        String scheme = alg.equals("rsa") ? "rsassa" : "ecdsa";
        t.ok("tpm2_createek", "-c", t.file("ek.ctx"), "-G", alg, "-u", t.file("ek.pub"));
        t.flush();
        t.ok("tpm2_createak", "-C", t.file("ek.ctx"), "-c", t.file("ak.ctx"), "-G", alg, "-g", "sha256", "-s", scheme,
                "-u", t.file("ak.pub"), "-n", t.file("ak.name"), "-f", "pem");
        t.flush();
        String nonce = alg.equals("rsa") ? "f00dcafe01" : "0123456789abcdef";
        t.ok("tpm2_quote", "-c", t.file("ak.ctx"), "-l", PCRS, "-q", nonce, "-m", t.file("quote.msg"),
                "-s", t.file("quote.sig"), "-o", t.file("quote.pcrs"), "-g", "sha256");
        t.flush();
        org.qemu.helpers.common.testing.ProcResult good = t.offline("tpm2_checkquote", "-u", t.file("ak.pub"), "-m",
                t.file("quote.msg"), "-s", t.file("quote.sig"), "-f", t.file("quote.pcrs"), "-g", "sha256", "-q", nonce);
        out.add("checkquote " + good.exitCode() + (good.exitCode() == 0 ? "" : " " + good));
        out.add("wrong nonce " + t.offline("tpm2_checkquote", "-u", t.file("ak.pub"), "-m", t.file("quote.msg"),
                "-s", t.file("quote.sig"), "-f", t.file("quote.pcrs"), "-g", "sha256", "-q", "00").exitCode());
        t.ok("tpm2_pcrextend", "0:sha256=" + ONE);
        t.ok("tpm2_quote", "-c", t.file("ak.ctx"), "-l", PCRS, "-q", nonce, "-m", t.file("quote2.msg"),
                "-s", t.file("quote2.sig"), "-g", "sha256");
        t.flush();
        // the new quote against the PCR values before the extend: refused
        out.add("after extend " + t.offline("tpm2_checkquote", "-u", t.file("ak.pub"), "-m", t.file("quote2.msg"),
                "-s", t.file("quote2.sig"), "-f", t.file("quote.pcrs"), "-g", "sha256", "-q", nonce).exitCode());
        // TPM2_Sign with the (restricted) AK: the tool hashes in the TPM for a ticket; openssl verifies
        Files.writeString(Path.of(t.file("message")), "signed by the " + alg + " AK");
        t.ok("tpm2_sign", "-c", t.file("ak.ctx"), "-g", "sha256", "-f", "plain", "-o", t.file("message.sig"),
                t.file("message"));
        t.flush();
        out.add("openssl verify " + t.offline("openssl", "dgst", "-sha256", "-verify", t.file("ak.pub"),
                "-signature", t.file("message.sig"), t.file("message")).exitCode());
        Files.write(Path.of(t.file("message.digest")), java.security.MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(Path.of(t.file("message")))));
        // a bare digest (no hash check ticket): a restricted key refuses to sign it
        out.add("sign digest without ticket " + t.fails("tpm2_sign", "-c", t.file("ak.ctx"), "-g", "sha256", "-d",
                "-o", t.file("digest.sig"), t.file("message.digest")));
        t.flush();
        // credential activation: made in software for the EK and the AK's Name, recovered by the TPM
        Files.writeString(Path.of(t.file("credential")), "attested" + alg);
        String akName = Hex.str(Files.readAllBytes(Path.of(t.file("ak.name"))));
        assertEquals(0, t.offline("tpm2_makecredential", "-T", "none", "-e", t.file("ek.pub"), "-s",
                t.file("credential"), "-n", akName, "-o", t.file("cred.out")).exitCode());
        out.add("activate " + activate(t, "cred.out"));
        // the same for another Name: the TPM refuses to open it for this AK
        String other = akName.substring(0, 10) + (akName.charAt(10) == '0' ? '1' : '0') + akName.substring(11);
        assertEquals(0, t.offline("tpm2_makecredential", "-T", "none", "-e", t.file("ek.pub"), "-s",
                t.file("credential"), "-n", other, "-o", t.file("cred-other.out")).exitCode());
        out.add("activate for another name " + activate(t, "cred-other.out"));
        out.addAll(credentialsMadeByTheTpm(t, akName));
        return out;
    }

    /**
     * TPM2_MakeCredential in the TPM (tpm2_makecredential with the TPM's TCTI: LoadExternal of the EK's
     * public area, MakeCredential, FlushContext) for the AK's Name, activated with the AK; then the same
     * credential with one byte of its blob or of its encrypted seed changed, a credential longer than the
     * EK's nameAlg digest, and a signing key (the AK) as the key to make it for.
     */
    private static List<String> credentialsMadeByTheTpm(Tpm2Tools t, String akName) throws Exception {
        List<String> out = new ArrayList<>();
        t.ok("tpm2_makecredential", "-u", t.file("ek.pub"), "-s", t.file("credential"), "-n", akName,
                "-o", t.file("tpm-cred.out"));
        t.flush();
        out.add("activate tpm-made " + activate(t, "tpm-cred.out"));
        // the file: 4 bytes magic, 4 bytes version, TPM2B_ID_OBJECT (integrity || encrypted), TPM2B_ENCRYPTED_SECRET
        byte[] made = Files.readAllBytes(Path.of(t.file("tpm-cred.out")));
        int blobEnd = 8 + 2 + ((made[8] & 0xff) << 8 | (made[9] & 0xff));
        byte[] blob = made.clone();
        blob[blobEnd - 1] ^= 0x01; // the last byte of the encrypted credential
        Files.write(Path.of(t.file("tampered-blob.out")), blob);
        out.add("activate tampered blob " + activate(t, "tampered-blob.out"));
        byte[] seed = made.clone();
        seed[made.length - 1] ^= 0x01; // the last byte of the encrypted seed (RSA ciphertext, ECC point y)
        Files.write(Path.of(t.file("tampered-seed.out")), seed);
        out.add("activate tampered seed " + activate(t, "tampered-seed.out"));
        Files.write(Path.of(t.file("long-credential")), new byte[33]);
        out.add("make for a credential of 33 bytes " + t.fails("tpm2_makecredential", "-u", t.file("ek.pub"), "-s",
                t.file("long-credential"), "-n", akName, "-o", t.file("long.out")));
        t.flush();
        t.ok("tpm2_readpublic", "-c", t.file("ak.ctx"), "-o", t.file("ak-tss.pub"));
        t.flush();
        out.add("make for a signing key " + t.fails("tpm2_makecredential", "-u", t.file("ak-tss.pub"), "-s",
                t.file("credential"), "-n", akName, "-o", t.file("ak-made.out")));
        t.flush();
        return out;
    }

    /** tpm2_activatecredential with the AK and a PolicySecret(endorsement) session for the EK. */
    private static String activate(Tpm2Tools t, String cred) throws Exception {
        t.ok("tpm2_startauthsession", "--policy-session", "-S", t.file("ek-session.ctx"));
        t.ok("tpm2_policysecret", "-S", t.file("ek-session.ctx"), "-c", "0x4000000B");
        org.qemu.helpers.common.testing.ProcResult r = t.run("tpm2_activatecredential", "-c", t.file("ak.ctx"),
                "-C", t.file("ek.ctx"), "-i", t.file(cred), "-o", t.file("activated"), "-P",
                "session:" + t.file("ek-session.ctx"));
        t.ok("tpm2_flushcontext", t.file("ek-session.ctx"));
        t.flush();
        if (r.exitCode() != 0) {
            return Tpm2Tools.tpmError(r);
        }
        return Files.readString(Path.of(t.file("activated")));
    }

    @Test
    void quotesVerifyWithTpm2CheckquoteAndCredentialsActivateAsOnSwtpm() throws Exception {
        Tools.require("tpm2_checkquote", "tpm2-tools");
        Path tmp = Files.createTempDirectory("tpm2quote");
        try {
            for (String alg : List.of("rsa", "ecc")) {
                List<List<String>> both = Tpm2Tools.onSwtpmAndHelper(tmp.resolve(alg), t -> {
                    t.ok("tpm2_startup", "-c");
                    return attestation(t, alg);
                });
                List<String> theirs = both.get(0);
                List<String> ours = both.get(1);
                assertEquals(List.of("checkquote 0", "wrong nonce 1", "after extend 1", "openssl verify 0"),
                        theirs.subList(0, 4), alg);
                assertEquals("sign digest without ticket Eys_Sign(0x3E0)", theirs.get(4), "TPM_RC_TICKET, parameter 3");
                assertEquals("activate attested" + alg, theirs.get(5), alg);
                assertTrue(theirs.get(6).startsWith("activate for another name Esys_ActivateCredential(0x"), theirs.get(6));
                assertEquals("activate tpm-made attested" + alg, theirs.get(7), alg);
                assertTrue(theirs.get(8).startsWith("activate tampered blob Esys_ActivateCredential(0x"), theirs.get(8));
                assertTrue(theirs.get(9).startsWith("activate tampered seed Esys_ActivateCredential(0x"), theirs.get(9));
                assertTrue(theirs.get(10).startsWith("make for a credential of 33 bytes Esys_MakeCredential(0x"),
                        theirs.get(10));
                assertTrue(theirs.get(11).startsWith("make for a signing key Esys_MakeCredential(0x"), theirs.get(11));
                assertEquals(theirs, ours, alg);
            }
        } finally {
            Tpm2ToolsTest.deleteTree(tmp);
        }
    }
}
