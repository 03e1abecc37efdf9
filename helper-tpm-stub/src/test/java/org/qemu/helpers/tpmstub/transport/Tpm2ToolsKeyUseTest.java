package org.qemu.helpers.tpmstub.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.qemu.helpers.common.testing.Commands;
import org.qemu.helpers.tpmstub.Hex;
import org.qemu.helpers.tpmstub.Tpm2Tools;

/**
 * Using keys with tpm2-tools 5.4 against swtpm and this helper in the same test: RSA_Encrypt and
 * RSA_Decrypt, VerifySignature, LoadExternal. Deterministic outputs (plaintexts, Names of loaded
 * public keys, ticket tags and hierarchies, error codes) must be equal; signatures and ciphertexts
 * are random and are judged by whether they verify or decrypt.
 */
class Tpm2ToolsKeyUseTest {
    /** What a tpm2_rsadecrypt of {@code in} with these options gives: the plaintext in hex, or the error. */
    private static String rsaDecrypt(Tpm2Tools t, String key, String in, String... options) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("tpm2_rsadecrypt", "-c", t.file(key), "-o", t.file("plain")));
        cmd.addAll(List.of(options));
        cmd.add(t.file(in));
        org.qemu.helpers.common.testing.ProcResult r = t.run(cmd.toArray(String[]::new));
        t.ok("tpm2_flushcontext", "-t");
        return r.exitCode() != 0 ? Tpm2Tools.tpmError(r)
                : org.qemu.helpers.tpmstub.Hex.str(Files.readAllBytes(Path.of(t.file("plain"))));
    }

    /** RSA_Encrypt and RSA_Decrypt (Part 3 14.2, 14.3) with OAEP, RSAES and no padding, labels, refusals. */
    private static List<String> rsa(Tpm2Tools t) throws Exception {
        List<String> out = new ArrayList<>();
        Files.writeString(Path.of(t.file("msg")), "a message for the TPM's RSA key");
        Files.write(Path.of(t.file("short.enc")), new byte[10]);
        t.startWithSrk();
        t.ok("tpm2_create", "-C", t.file("prim.ctx"), "-G", "rsa2048", "-a",
                "decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth", "-u", t.file("k.pub"),
                "-r", t.file("k.priv"), "-c", t.file("k.ctx"));
        t.ok("tpm2_flushcontext", "-t");
        t.ok("tpm2_create", "-C", t.file("prim.ctx"), "-G", "rsa2048:rsaes", "-a",
                "decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth", "-u", t.file("es.pub"),
                "-r", t.file("es.priv"), "-c", t.file("es.ctx"));
        t.ok("tpm2_flushcontext", "-t");
        t.ok("tpm2_create", "-C", t.file("prim.ctx"), "-G", "rsa2048", "-a",
                "sign|fixedtpm|fixedparent|sensitivedataorigin|userwithauth", "-u", t.file("s.pub"),
                "-r", t.file("s.priv"), "-c", t.file("s.ctx"));
        t.ok("tpm2_flushcontext", "-t");
        for (String scheme : List.of("oaep", "rsaes", "null")) {
            t.ok("tpm2_rsaencrypt", "-c", t.file("k.ctx"), "-s", scheme, "-o", t.file(scheme + ".enc"), t.file("msg"));
            t.ok("tpm2_flushcontext", "-t");
            out.add("decrypt " + scheme + " " + rsaDecrypt(t, "k.ctx", scheme + ".enc", "-s", scheme));
        }
        // An OAEP block read as RSAES-PKCS1-v1_5 (RFC 8017 7.2.2) passes the padding check by chance (second
        // byte 0x02, a zero separator after 8 non-zero bytes: about 1 in 256 random OAEP seeds), and then
        // both TPMs return garbage; otherwise both refuse. Only "the message is not recovered" is certain.
        String misread = rsaDecrypt(t, "k.ctx", "oaep.enc", "-s", "rsaes");
        out.add("oaep as rsaes recovers the message " + misread.equals(
                Hex.str(Files.readAllBytes(Path.of(t.file("msg"))))));
        t.ok("tpm2_rsaencrypt", "-c", t.file("k.ctx"), "-s", "oaep", "-l", "label", "-o", t.file("label.enc"),
                t.file("msg"));
        t.ok("tpm2_flushcontext", "-t");
        out.add("label " + rsaDecrypt(t, "k.ctx", "label.enc", "-s", "oaep", "-l", "label"));
        out.add("wrong label " + rsaDecrypt(t, "k.ctx", "label.enc", "-s", "oaep", "-l", "other"));
        out.add("short ciphertext " + rsaDecrypt(t, "k.ctx", "short.enc"));
        // the key's own scheme (RSAES) serves a NULL request, another scheme is refused
        t.ok("tpm2_rsaencrypt", "-c", t.file("es.ctx"), "-o", t.file("es.enc"), t.file("msg"));
        t.ok("tpm2_flushcontext", "-t");
        out.add("rsaes key " + rsaDecrypt(t, "es.ctx", "es.enc"));
        out.add("rsaes key asked for oaep " + t.fails("tpm2_rsaencrypt", "-c", t.file("es.ctx"), "-s", "oaep",
                "-o", t.file("x.enc"), t.file("msg")));
        t.ok("tpm2_flushcontext", "-t");
        out.add("signing key " + t.fails("tpm2_rsaencrypt", "-c", t.file("s.ctx"), "-o", t.file("y.enc"), t.file("msg")));
        t.flush();
        return out;
    }

    @Test
    void rsaEncryptAndDecryptRoundTripAndRefuseAsOnSwtpm() throws Exception {
        String msg = Hex.str("a message for the TPM's RSA key".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        Tpm2Tools.equalOnSwtpmAndHelper("tpm2_rsadecrypt", Tpm2ToolsKeyUseTest::rsa, "decrypt oaep " + msg,
                "label " + msg, "wrong label Esys_RSA_Decrypt(0x101)");
    }

    /** One signing key of each type under the owner's SRK, then signatures made by the TPM and by openssl. */
    private static List<String> verify(Tpm2Tools t, Path keys) throws Exception {
        List<String> out = new ArrayList<>();
        Files.writeString(Path.of(t.file("msg")), "signed message");
        Files.writeString(Path.of(t.file("other")), "another message");
        t.startWithSrk();
        for (String alg : List.of("rsa", "ecc")) {
            String scheme = alg.equals("rsa") ? "rsassa" : "ecdsa";
            t.ok("tpm2_create", "-C", t.file("prim.ctx"), "-G", alg, "-a",
                    "sign|fixedtpm|fixedparent|sensitivedataorigin|userwithauth", "-u", t.file(alg + ".pub"),
                    "-r", t.file(alg + ".priv"), "-c", t.file(alg + ".ctx"));
            t.ok("tpm2_flushcontext", "-t");
            t.ok("tpm2_sign", "-c", t.file(alg + ".ctx"), "-g", "sha256", "-s", scheme, "-o", t.file(alg + ".sig"),
                    t.file("msg"));
            t.ok("tpm2_flushcontext", "-t");
            t.ok("tpm2_verifysignature", "-c", t.file(alg + ".ctx"), "-g", "sha256", "-m", t.file("msg"),
                    "-s", t.file(alg + ".sig"), "-t", t.file(alg + ".tk"));
            t.ok("tpm2_flushcontext", "-t");
            // TPMT_TK_VERIFIED: tag and hierarchy (the HMAC is under each TPM's own proof)
            out.add(alg + " ticket " + Hex.str(Files.readAllBytes(Path.of(t.file(alg + ".tk")))).substring(0, 12));
            out.add(alg + " other message " + t.fails("tpm2_verifysignature", "-c", t.file(alg + ".ctx"), "-g",
                    "sha256", "-m", t.file("other"), "-s", t.file(alg + ".sig")));
            t.ok("tpm2_flushcontext", "-t");
        }
        out.add("ecdsa signature for an rsa key " + t.fails("tpm2_verifysignature", "-c", t.file("rsa.ctx"), "-g",
                "sha256", "-m", t.file("msg"), "-s", t.file("ecc.sig")));
        t.ok("tpm2_flushcontext", "-t");
        // LoadExternal of openssl's keys: public parts (owner hierarchy), and an RSA key with its private part
        for (String alg : List.of("rsa", "ecc")) {
            out.add("loadexternal " + alg + " " + t.ok("tpm2_loadexternal", "-C", "o", "-G", alg, "-u",
                    keys.resolve(alg + "-pub.pem").toString(), "-c", t.file(alg + "-ext.ctx")));
            t.ok("tpm2_flushcontext", "-t");
            t.ok("tpm2_verifysignature", "-c", t.file(alg + "-ext.ctx"), "-g", "sha256", "-m",
                    keys.resolve("msg").toString(), "-f", alg.equals("rsa") ? "rsassa" : "ecdsa",
                    "-s", keys.resolve(alg + ".sig").toString(), "-t", t.file(alg + "-ext.tk"));
            t.ok("tpm2_flushcontext", "-t");
            out.add("external " + alg + " ticket "
                    + Hex.str(Files.readAllBytes(Path.of(t.file(alg + "-ext.tk")))).substring(0, 12));
        }
        // a public-only object cannot be authorised: nothing of it is loaded to sign with
        out.add("sign with a public key " + t.fails("tpm2_sign", "-c", t.file("rsa-ext.ctx"), "-g", "sha256",
                "-s", "rsassa", "-o", t.file("x.sig"), t.file("msg")));
        t.ok("tpm2_flushcontext", "-t");
        out.add("private part outside the null hierarchy " + t.fails("tpm2_loadexternal", "-C", "o", "-G", "rsa",
                "-r", keys.resolve("rsa.pem").toString(), "-c", t.file("bad.ctx")));
        out.add("loadexternal private " + t.ok("tpm2_loadexternal", "-C", "n", "-G", "rsa", "-r",
                keys.resolve("rsa.pem").toString(), "-c", t.file("rsa-priv.ctx")));
        t.ok("tpm2_flushcontext", "-t");
        t.ok("tpm2_sign", "-c", t.file("rsa-priv.ctx"), "-g", "sha256", "-s", "rsassa", "-f", "plain",
                "-o", t.file("ext.sig"), t.file("msg"));
        t.ok("tpm2_flushcontext", "-t");
        out.add("openssl verifies the external key's signature " + t.offline("openssl", "dgst", "-sha256", "-verify",
                keys.resolve("rsa-pub.pem").toString(), "-signature", t.file("ext.sig"), t.file("msg")).exitCode());
        t.flush();
        return out;
    }

    @Test
    void signaturesVerifyAndExternalKeysLoadAsOnSwtpm() throws Exception {
        Path keys = Files.createTempDirectory("tpm2keys");
        try {
            Files.writeString(keys.resolve("msg"), "signed by openssl");
            for (List<String> c : List.of(
                    List.of("openssl", "genrsa", "-out", keys.resolve("rsa.pem").toString(), "2048"),
                    List.of("openssl", "rsa", "-in", keys.resolve("rsa.pem").toString(), "-pubout", "-out",
                            keys.resolve("rsa-pub.pem").toString()),
                    List.of("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
                            keys.resolve("ecc.pem").toString()),
                    List.of("openssl", "ec", "-in", keys.resolve("ecc.pem").toString(), "-pubout", "-out",
                            keys.resolve("ecc-pub.pem").toString()))) {
                assertEquals(0, Commands.run(java.time.Duration.ofSeconds(30), c).exitCode(), c.toString());
            }
            for (String alg : List.of("rsa", "ecc")) {
                List<String> c = List.of("openssl", "dgst", "-sha256", "-sign", keys.resolve(alg + ".pem").toString(),
                        "-out", keys.resolve(alg + ".sig").toString(), keys.resolve("msg").toString());
                assertEquals(0, Commands.run(java.time.Duration.ofSeconds(30), c).exitCode(), c.toString());
            }
            Tpm2Tools.equalOnSwtpmAndHelper("tpm2_verifysignature", t -> verify(t, keys),
                    "rsa ticket 802240000001", "openssl verifies the external key's signature 0");
        } finally {
            Tpm2ToolsTest.deleteTree(keys);
        }
    }

    /** ObjectChangeAuth (Part 3 12.8) and Certify (Part 3 18.2). */
    private static List<String> changeAuthAndCertify(Tpm2Tools t) throws Exception {
        List<String> out = new ArrayList<>();
        Files.writeString(Path.of(t.file("secret")), "behind a new password");
        t.startWithSrk();
        t.ok("tpm2_createprimary", "-C", "o", "-G", "ecc", "-c", t.file("other.ctx"));
        t.flush();
        t.createAndLoad("prim.ctx", "s", "-i", t.file("secret"), "-p", "old");
        out.add("changeauth under another parent " + t.fails("tpm2_changeauth", "-c", t.file("s.ctx"), "-C",
                t.file("other.ctx"), "-p", "old", "-r", t.file("x.priv"), "new"));
        t.ok("tpm2_flushcontext", "-t");
        t.ok("tpm2_changeauth", "-c", t.file("s.ctx"), "-C", t.file("prim.ctx"), "-p", "old", "-r", t.file("s2.priv"),
                "new");
        t.ok("tpm2_flushcontext", "-t");
        out.add("loaded object keeps the old password " + t.ok("tpm2_unseal", "-c", t.file("s.ctx"), "-p", "old"));
        t.ok("tpm2_flushcontext", "-t");
        t.ok("tpm2_load", "-C", t.file("prim.ctx"), "-u", t.file("s.pub"), "-r", t.file("s2.priv"), "-c", t.file("s2.ctx"));
        t.ok("tpm2_flushcontext", "-t");
        out.add("new private, new password " + t.ok("tpm2_unseal", "-c", t.file("s2.ctx"), "-p", "new"));
        t.ok("tpm2_flushcontext", "-t");
        out.add("new private, old password " + t.fails("tpm2_unseal", "-c", t.file("s2.ctx"), "-p", "old"));
        t.flush();
        // Certify the sealed object with a signing key; openssl checks the signature over the attestation
        t.ok("tpm2_create", "-C", t.file("prim.ctx"), "-G", "rsa", "-a",
                "sign|fixedtpm|fixedparent|sensitivedataorigin|userwithauth", "-u", t.file("k.pub"),
                "-r", t.file("k.priv"), "-c", t.file("k.ctx"));
        t.ok("tpm2_flushcontext", "-t");
        t.ok("tpm2_readpublic", "-c", t.file("k.ctx"), "-f", "pem", "-o", t.file("k.pem"));
        t.ok("tpm2_flushcontext", "-t");
        String name = t.ok("tpm2_readpublic", "-c", t.file("s2.ctx"), "-n", t.file("s2.name")).lines()
                .filter(l -> l.startsWith("name:")).findFirst().orElseThrow().substring(6).strip();
        t.ok("tpm2_flushcontext", "-t");
        t.ok("tpm2_certify", "-c", t.file("s2.ctx"), "-C", t.file("k.ctx"), "-P", "new", "-g", "sha256",
                "--scheme", "rsassa", "-f", "plain", "-o", t.file("attest"), "-s", t.file("attest.sig"));
        t.ok("tpm2_flushcontext", "-t");
        String attest = Hex.str(Files.readAllBytes(Path.of(t.file("attest"))));
        out.add("attestation magic and type " + attest.substring(0, 12));
        out.add("certifies the object's name " + attest.contains(name));
        out.add("openssl verifies the certification " + t.offline("openssl", "dgst", "-sha256", "-verify",
                t.file("k.pem"), "-signature", t.file("attest.sig"), t.file("attest")).exitCode());
        out.add("wrong object password " + t.fails("tpm2_certify", "-c", t.file("s2.ctx"), "-C", t.file("k.ctx"),
                "-P", "old", "-g", "sha256", "-o", t.file("a2"), "-s", t.file("s2")));
        t.flush();
        return out;
    }

    @Test
    void objectChangeAuthAndCertifyWorkAsOnSwtpm() throws Exception {
        Tpm2Tools.equalOnSwtpmAndHelper("tpm2_certify", Tpm2ToolsKeyUseTest::changeAuthAndCertify,
                "new private, new password behind a new password",
                "openssl verifies the certification 0",
                "certifies the object's name true");
    }

    /** tpm2_getcap commands as one block of lines per command, by its TPM2_CC_ name. */
    private static java.util.Map<String, String> commandBlocks(Tpm2Tools t) throws Exception {
        java.util.Map<String, String> out = new java.util.TreeMap<>();
        String name = null;
        StringBuilder b = new StringBuilder();
        for (String line : t.ok("tpm2_getcap", "commands").split("\n")) {
            if (!line.startsWith(" ")) {
                if (name != null) {
                    out.put(name, b.toString());
                }
                name = line.strip();
                b.setLength(0);
            } else {
                b.append(line).append('\n');
            }
        }
        if (name != null) {
            out.put(name, b.toString());
        }
        return out;
    }

    @Test
    void getCapabilityListsExactlyTheImplementedCommandsWithSwtpmsAttributes() throws Exception {
        org.qemu.helpers.common.testing.Tools.require("tpm2_getcap", "tpm2-tools");
        Path tmp = Files.createTempDirectory("tpm2getcap");
        try {
            java.util.Map<String, String> theirs;
            try (org.qemu.helpers.tpmstub.Swtpm sw = org.qemu.helpers.tpmstub.Swtpm.start("not-need-init")) {
                Tpm2Tools t = Tpm2Tools.tcp(sw.port, tmp);
                t.ok("tpm2_startup", "-c");
                theirs = commandBlocks(t);
            }
            int port = org.qemu.helpers.tpmstub.Swtpm.freePortPair();
            java.util.Map<String, String> ours;
            try (org.qemu.helpers.tpmstub.InProcessTpm tpm = org.qemu.helpers.tpmstub.InProcessTpm.tcp(port)) {
                Tpm2Tools t = Tpm2Tools.tcp(port, tmp);
                t.ok("tpm2_startup", "-c");
                ours = commandBlocks(t);
                String total = t.ok("tpm2_getcap", "properties-fixed");
                assertTrue(total.contains("TPM2_PT_TOTAL_COMMANDS:\n  raw: 0x"
                        + Integer.toHexString(org.qemu.helpers.tpmstub.engine.CommandCode.values().length).toUpperCase()),
                        total);
            }
            assertEquals(org.qemu.helpers.tpmstub.engine.CommandCode.values().length, ours.size(), ours.keySet().toString());
            for (String cc : List.of("TPM2_CC_PolicyOR", "TPM2_CC_Clear", "TPM2_CC_RSA_Encrypt", "TPM2_CC_RSA_Decrypt",
                    "TPM2_CC_LoadExternal", "TPM2_CC_VerifySignature", "TPM2_CC_ObjectChangeAuth", "TPM2_CC_Certify",
                    "TPM2_CC_MakeCredential")) {
                assertTrue(ours.containsKey(cc + ":"), cc + " in " + ours.keySet());
            }
            for (var e : ours.entrySet()) {
                assertEquals(theirs.get(e.getKey()), e.getValue(), e.getKey() + ": TPMA_CC as swtpm's");
            }
        } finally {
            Tpm2ToolsTest.deleteTree(tmp);
        }
    }
}
