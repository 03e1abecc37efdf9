package org.qemu.helpers.tpmstub.transport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.qemu.helpers.tpmstub.Hex;
import org.qemu.helpers.tpmstub.Tpm2Tools;

/**
 * Policy authorisation in real tpm2-tools 5.4 flows, against swtpm and this helper in the same test (issue
 * 16): NV indices with an authPolicy and POLICYREAD/POLICYWRITE (Part 3 31.2, Part 1 19.7) written and read
 * with policy sessions; sealed objects whose authPolicy is PolicyAuthValue (Part 3 23.17), satisfied also by
 * PolicyPassword (23.18, the same digest); PolicyCommandCode (23.11) restricting an index and an object to
 * one command; PolicyRestart (11.2) emptying a session's digest. Every refusal carries swtpm's code, and
 * both TPMs print the same lines.
 */
class Tpm2ToolsPolicyTest {
    private static final String DATA = Hex.str("12345678".getBytes(java.nio.charset.StandardCharsets.US_ASCII));

    /** A trial session's digest of {@code assertion} (a tpm2_policy* tool and its arguments) into FILE. */
    private static String trialPolicy(Tpm2Tools t, String file, String... assertion) throws Exception {
        t.ok("tpm2_startauthsession", "-S", t.file("trial.ctx"));
        List<String> cmd = new ArrayList<>(List.of(assertion[0], "-S", t.file("trial.ctx"), "-L", t.file(file)));
        cmd.addAll(List.of(assertion).subList(1, assertion.length));
        String digest = t.ok(cmd.toArray(String[]::new));
        t.ok("tpm2_flushcontext", t.file("trial.ctx"));
        return file + " " + digest.strip();
    }

    /** tpm2_nvread of 8 bytes with {@code auth}: the bytes in hex, or the refusal. */
    private static String nvRead(Tpm2Tools t, String index, String auth) throws Exception {
        var r = t.run("tpm2_nvread", "-C", index, "-P", auth, "-s", "8", "-o", t.file("read"), index);
        return "nvread " + index + " " + (r.exitCode() == 0 ? Hex.str(Files.readAllBytes(Path.of(t.file("read"))))
                : Tpm2Tools.tpmError(r));
    }

    private static String nvWrite(Tpm2Tools t, String index, String auth) throws Exception {
        var r = t.run("tpm2_nvwrite", "-C", index, "-P", auth, "-i", t.file("data"), index);
        return "nvwrite " + index + " " + (r.exitCode() == 0 ? "ok" : Tpm2Tools.tpmError(r));
    }

    private static List<String> nvFlow(Tpm2Tools t) throws Exception {
        List<String> out = new ArrayList<>();
        Files.writeString(Path.of(t.file("data")), "12345678");
        String s = t.file("s.ctx");
        t.ok("tpm2_startup", "-c");
        // an index only a policy may authorise: PolicyAuthValue (the index's password in the session's HMAC)
        out.add(trialPolicy(t, "av.policy", "tpm2_policyauthvalue"));
        out.add(t.ok("tpm2_nvdefine", "-C", "o", "-s", "8", "-a", "policywrite|policyread", "-L", t.file("av.policy"),
                "-p", "nvpw", "0x1500030"));
        t.ok("tpm2_startauthsession", "--policy-session", "-S", s);
        t.ok("tpm2_policyauthvalue", "-S", s);
        out.add(nvWrite(t, "0x1500030", "session:" + s + "+nvpw"));
        t.ok("tpm2_policyauthvalue", "-S", s);
        out.add(nvRead(t, "0x1500030", "session:" + s + "+nvpw"));
        t.ok("tpm2_policyauthvalue", "-S", s);
        out.add("wrong password " + nvRead(t, "0x1500030", "session:" + s + "+wrong"));
        // the failed authorisation left the session's digest as it was; PolicyRestart empties it
        t.ok("tpm2_policyrestart", "-S", s);
        out.add("restarted " + nvRead(t, "0x1500030", "session:" + s + "+nvpw"));
        out.add("password session " + nvRead(t, "0x1500030", "nvpw"));
        t.flush();
        // PolicyPassword extends with the same code (Part 3 23.18): the password then goes in the clear. A
        // session of its own: tpm2-tss keeps sending a session's password in the clear once it asserted it
        t.ok("tpm2_startauthsession", "--policy-session", "-S", s);
        t.ok("tpm2_policypassword", "-S", s);
        out.add("password " + nvRead(t, "0x1500030", "session:" + s + "+nvpw"));
        t.flush();

        // an index whose policy is PolicyCommandCode(NV_Read), written with its password (AUTHWRITE)
        out.add(trialPolicy(t, "ccread.policy", "tpm2_policycommandcode", "TPM2_CC_NV_Read"));
        out.add(t.ok("tpm2_nvdefine", "-C", "o", "-s", "8", "-a", "policywrite|policyread|authwrite", "-L",
                t.file("ccread.policy"), "-p", "ccpw", "0x1500031"));
        out.add(nvWrite(t, "0x1500031", "ccpw"));
        t.ok("tpm2_startauthsession", "--policy-session", "-S", s);
        t.ok("tpm2_policycommandcode", "-S", s, "TPM2_CC_NV_Read");
        out.add(nvRead(t, "0x1500031", "session:" + s));
        t.ok("tpm2_policycommandcode", "-S", s, "TPM2_CC_NV_Read");
        out.add("another command " + nvWrite(t, "0x1500031", "session:" + s));
        // the session still holds NV_Read: a second command code is refused until PolicyRestart
        out.add("second code " + t.fails("tpm2_policycommandcode", "-S", s, "TPM2_CC_NV_Write"));
        t.ok("tpm2_policyrestart", "-S", s);
        t.ok("tpm2_policycommandcode", "-S", s, "TPM2_CC_NV_Write");
        out.add("other policy " + nvWrite(t, "0x1500031", "session:" + s));
        t.flush();
        // the same policy on an index without POLICYWRITE: no policy may write it
        out.add(t.ok("tpm2_nvdefine", "-C", "o", "-s", "8", "-a", "policyread|authwrite|authread", "-L",
                t.file("ccread.policy"), "-p", "ccpw", "0x1500032"));
        t.ok("tpm2_startauthsession", "--policy-session", "-S", s);
        t.ok("tpm2_policycommandcode", "-S", s, "TPM2_CC_NV_Read");
        out.add("no policywrite " + nvWrite(t, "0x1500032", "session:" + s));
        t.flush();
        out.add(t.ok("tpm2_nvreadpublic"));
        return out;
    }

    @Test
    void nvIndicesWithAnAuthPolicyAreWrittenAndReadWithPolicySessionsAndRefusedAsOnSwtpm() throws Exception {
        Tpm2Tools.equalOnSwtpmAndHelper("tpm2_policyauthvalue", Tpm2ToolsPolicyTest::nvFlow,
                "nvwrite 0x1500030 ok",
                "nvread 0x1500030 " + DATA,
                "password nvread 0x1500030 " + DATA,
                "wrong password nvread 0x1500030 Esys_NV_Read(0x98E)",
                "restarted nvread 0x1500030 Esys_NV_Read(0x99D)",
                "password session nvread 0x1500030 Esys_NV_Read(0x12F)",
                "nvread 0x1500031 " + DATA,
                "another command nvwrite 0x1500031 Tss2_Sys_NV_Write(0x9A4)",
                "second code Esys_PolicyCommandCode(0x1C4)",
                "other policy nvwrite 0x1500031 Tss2_Sys_NV_Write(0x99D)",
                "no policywrite nvwrite 0x1500032 Tss2_Sys_NV_Write(0x12F)");
    }

    private static String unseal(Tpm2Tools t, String ctx, String auth) throws Exception {
        var r = t.run("tpm2_unseal", "-c", t.file(ctx), "-p", auth);
        t.ok("tpm2_flushcontext", "-t");
        return "unseal " + ctx + " " + (r.exitCode() == 0 ? r.stdout() : Tpm2Tools.tpmError(r));
    }

    private static List<String> objectFlow(Tpm2Tools t) throws Exception {
        List<String> out = new ArrayList<>();
        Files.writeString(Path.of(t.file("secret")), "topsecret");
        String s = t.file("s.ctx");
        t.startWithSrk();
        out.add(trialPolicy(t, "av.policy", "tpm2_policyauthvalue"));
        out.add(trialPolicy(t, "ccunseal.policy", "tpm2_policycommandcode", "TPM2_CC_Unseal"));
        // sealed under PolicyAuthValue, without userWithAuth: only a policy session with the password unseals
        t.createAndLoad("prim.ctx", "av", "-i", t.file("secret"), "-L", t.file("av.policy"), "-p", "objpw",
                "-a", "fixedtpm|fixedparent");
        // sealed under PolicyCommandCode(Unseal), adminWithPolicy: ObjectChangeAuth (ADMIN role) needs a policy
        t.createAndLoad("prim.ctx", "cc", "-i", t.file("secret"), "-L", t.file("ccunseal.policy"),
                "-a", "fixedtpm|fixedparent|adminwithpolicy");
        // sealed under PolicyAuthValue, adminWithPolicy: the ADMIN role wants PolicyCommandCode as well
        t.createAndLoad("prim.ctx", "ad", "-i", t.file("secret"), "-L", t.file("av.policy"), "-p", "objpw",
                "-a", "fixedtpm|fixedparent|adminwithpolicy");
        for (String ctx : List.of("av.ctx", "cc.ctx", "ad.ctx")) {
            out.add(ctx + " " + deterministic(t.ok("tpm2_readpublic", "-c", t.file(ctx))));
            t.ok("tpm2_flushcontext", "-t");
        }

        t.ok("tpm2_startauthsession", "--policy-session", "-S", s);
        t.ok("tpm2_policyauthvalue", "-S", s);
        out.add(unseal(t, "av.ctx", "session:" + s + "+objpw"));
        t.ok("tpm2_policyauthvalue", "-S", s);
        out.add("wrong password " + unseal(t, "av.ctx", "session:" + s + "+bad"));
        t.ok("tpm2_policyrestart", "-S", s);
        out.add("restarted " + unseal(t, "av.ctx", "session:" + s + "+objpw"));
        t.ok("tpm2_policycommandcode", "-S", s, "TPM2_CC_Unseal");
        out.add("command code " + unseal(t, "av.ctx", "session:" + s + "+objpw"));
        out.add("password session " + unseal(t, "av.ctx", "objpw"));
        t.flush();

        t.ok("tpm2_startauthsession", "--policy-session", "-S", s);
        t.ok("tpm2_policycommandcode", "-S", s, "TPM2_CC_Unseal");
        out.add(unseal(t, "cc.ctx", "session:" + s));
        t.ok("tpm2_policycommandcode", "-S", s, "TPM2_CC_Unseal");
        out.add("change auth " + changeAuth(t, "cc.ctx", "session:" + s));
        t.ok("tpm2_policyrestart", "-S", s);
        t.ok("tpm2_policyauthvalue", "-S", s);
        out.add("admin without a command code " + changeAuth(t, "ad.ctx", "session:" + s + "+objpw"));
        out.add("admin by password " + changeAuth(t, "ad.ctx", "objpw"));
        t.flush();

        // PolicyPassword in a session of its own (tpm2-tss keeps sending the password in the clear after it)
        t.ok("tpm2_startauthsession", "--policy-session", "-S", s);
        t.ok("tpm2_policypassword", "-S", s);
        out.add("password " + unseal(t, "av.ctx", "session:" + s + "+objpw"));
        t.ok("tpm2_policypassword", "-S", s);
        out.add("wrong password in the clear " + unseal(t, "av.ctx", "session:" + s + "+bad"));
        t.flush();
        return out;
    }

    /** tpm2_readpublic's lines but the Names and the unique field, which differ between TPMs (their seeds). */
    private static String deterministic(String readPublic) {
        return readPublic.lines().filter(l -> !l.startsWith("name:") && !l.startsWith("qualified name:")
                && !l.startsWith("keyedhash:")).collect(java.util.stream.Collectors.joining("\n"));
    }

    /** tpm2_changeauth of the object in {@code ctx} (ObjectChangeAuth, Part 3 12.8) with {@code auth}. */
    private static String changeAuth(Tpm2Tools t, String ctx, String auth) throws Exception {
        var r = t.run("tpm2_changeauth", "-c", t.file(ctx), "-C", t.file("prim.ctx"), "-p", auth,
                "-r", t.file("new.priv"), "newpw");
        t.ok("tpm2_flushcontext", "-t");
        return r.exitCode() == 0 ? "ok" : Tpm2Tools.tpmError(r);
    }

    @Test
    void sealedObjectsUnderAuthValuePasswordAndCommandCodePoliciesAsOnSwtpm() throws Exception {
        Tpm2Tools.equalOnSwtpmAndHelper("tpm2_policyauthvalue", Tpm2ToolsPolicyTest::objectFlow,
                "unseal av.ctx topsecret",
                "password unseal av.ctx topsecret",
                "password session unseal av.ctx Esys_Unseal(0x12F)",
                "wrong password unseal av.ctx Esys_Unseal(0x98E)",
                "restarted unseal av.ctx Esys_Unseal(0x99D)",
                "command code unseal av.ctx Esys_Unseal(0x99D)",
                "unseal cc.ctx topsecret",
                "change auth Esys_ObjectChangeAuth(0x9A4)",
                "admin without a command code Esys_ObjectChangeAuth(0x99D)",
                "admin by password Esys_ObjectChangeAuth(0x124)",
                "wrong password in the clear unseal av.ctx Esys_Unseal(0x98E)");
    }
}
