package org.qemu.helpers.tpmstub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.qemu.helpers.common.testing.Commands;
import org.qemu.helpers.common.testing.ProcResult;

/** tpm2-tools 5.4 run against one TPM (a swtpm TCTI string), with its files in one directory. */
public final class Tpm2Tools {
    /**
     * "Esys_Unseal(0x99D)"; tpm2_sign 5.4 misspells its own: "Eys_Sign(0x3E0)"; tpm2_nvwrite with a
     * policy session names the SAPI call: "Tss2_Sys_NV_Write(0x9A4)".
     */
    private static final Pattern TPM_ERROR = Pattern.compile("((?:Es?ys|Tss2_Sys)_\\w+\\(0x[0-9A-Fa-f]+\\))");
    private final String tcti;
    private final Path dir;

    public Tpm2Tools(String tcti, Path dir) {
        this.tcti = tcti;
        this.dir = dir;
    }

    public static Tpm2Tools tcp(int port, Path dir) {
        return new Tpm2Tools("swtpm:host=127.0.0.1,port=" + port, dir);
    }

    /**
     * Tools on the TPM's data socket alone, for a helper whose control channel QEMU holds: tpm2-tss's
     * cmd TCTI runs {@code nc} (netcat-openbsd) as the pipe to it (the swtpm TCTI also wants a
     * control socket at port + 1).
     */
    public static Tpm2Tools dataOnly(int port, Path dir) {
        return new Tpm2Tools("cmd:nc 127.0.0.1 " + port, dir);
    }

    /** A file in this run's directory. */
    public String file(String name) {
        return dir.resolve(name).toString();
    }

    public ProcResult run(String... cmd) throws Exception {
        List<String> c = new ArrayList<>(List.of(cmd));
        c.add("-T");
        c.add(tcti);
        return Commands.run(Duration.ofSeconds(60), c);
    }

    /** Runs a tool that needs no TPM (tpm2_checkquote, tpm2_makecredential -T none are run like this). */
    public ProcResult offline(String... cmd) throws Exception {
        return Commands.run(Duration.ofSeconds(60), List.of(cmd));
    }

    /** Runs a tool that must succeed; its stdout. */
    public String ok(String... cmd) throws Exception {
        ProcResult r = run(cmd);
        assertEquals(0, r.exitCode(), String.join(" ", cmd) + ": " + r);
        return r.stdout();
    }

    /** Runs a tool that must fail; the first TPM error it names, such as "Esys_Unseal(0x99D)". */
    public String fails(String... cmd) throws Exception {
        ProcResult r = run(cmd);
        assertNotEquals(0, r.exitCode(), String.join(" ", cmd) + ": " + r);
        return tpmError(r);
    }

    /** The first TPM error a failed tool names, such as "Esys_Unseal(0x99D)", else its exit and stderr. */
    public static String tpmError(ProcResult r) {
        Matcher m = TPM_ERROR.matcher(r.stderr());
        return m.find() ? m.group(1) : "exit " + r.exitCode() + " " + r.stderr().strip();
    }

    /**
     * Seals the file "secret" to the current values of {@code pcrs} under the owner's SRK: writes
     * pcr.policy (tpm2_createpolicy --policy-pcr), srk.ctx, seal.pub, seal.priv and seal.ctx (loaded);
     * returns what tpm2_createprimary printed (the SRK's public area).
     */
    public String sealUnderSrk(String pcrs) throws Exception {
        ok("tpm2_createpolicy", "--policy-pcr", "-l", pcrs, "-L", file("pcr.policy"));
        flush();
        String srk = ok("tpm2_createprimary", "-C", "o", "-c", file("srk.ctx"));
        flush();
        ok("tpm2_create", "-C", file("srk.ctx"), "-i", file("secret"), "-L", file("pcr.policy"),
                "-u", file("seal.pub"), "-r", file("seal.priv"));
        flush();
        ok("tpm2_load", "-C", file("srk.ctx"), "-u", file("seal.pub"), "-r", file("seal.priv"), "-c", file("seal.ctx"));
        flush();
        return srk;
    }

    /** tpm2_startup -c, then the owner's SRK (tpm2_createprimary -C o) in prim.ctx, flushed from the TPM. */
    public void startWithSrk() throws Exception {
        ok("tpm2_startup", "-c");
        ok("tpm2_createprimary", "-C", "o", "-c", file("prim.ctx"));
        flush();
    }

    /**
     * tpm2_create under the context file {@code parent} with {@code options}, then tpm2_load: writes
     * NAME.pub, NAME.priv and NAME.ctx; transient objects flushed after each tool.
     */
    public void createAndLoad(String parent, String name, String... options) throws Exception {
        List<String> create = new ArrayList<>(List.of("tpm2_create", "-C", file(parent)));
        create.addAll(List.of(options));
        create.addAll(List.of("-u", file(name + ".pub"), "-r", file(name + ".priv")));
        ok(create.toArray(String[]::new));
        ok("tpm2_flushcontext", "-t");
        ok("tpm2_load", "-C", file(parent), "-u", file(name + ".pub"), "-r", file(name + ".priv"), "-c",
                file(name + ".ctx"));
        ok("tpm2_flushcontext", "-t");
    }

    /** One run of tools against one TPM, returning what must be equal between TPMs. */
    public interface Flow {
        List<String> run(Tpm2Tools t) throws Exception;
    }

    /**
     * Runs {@code flow} against a fresh swtpm (files in dir/swtpm) and then against this helper in
     * process (dir/ours); returns {swtpm's, ours}.
     */
    public static List<List<String>> onSwtpmAndHelper(Path dir, Flow flow) throws Exception {
        java.nio.file.Files.createDirectories(dir.resolve("swtpm"));
        java.nio.file.Files.createDirectories(dir.resolve("ours"));
        List<String> theirs;
        try (Swtpm sw = Swtpm.start("not-need-init")) {
            theirs = flow.run(tcp(sw.port, dir.resolve("swtpm")));
        }
        int port = Swtpm.freePortPair();
        try (InProcessTpm tpm = InProcessTpm.tcp(port)) {
            return List.of(theirs, flow.run(tcp(port, dir.resolve("ours"))));
        }
    }

    /**
     * Runs {@code flow} on swtpm and on this helper (tpm2-tools' {@code tool} must be installed) in a
     * fresh temporary directory; swtpm's lines must include {@code expected} and both must print the
     * same. Returns swtpm's lines.
     */
    public static List<String> equalOnSwtpmAndHelper(String tool, Flow flow, String... expected) throws Exception {
        org.qemu.helpers.common.testing.Tools.require(tool, "tpm2-tools");
        Path tmp = java.nio.file.Files.createTempDirectory(tool);
        try {
            List<List<String>> both = onSwtpmAndHelper(tmp, flow);
            for (String e : expected) {
                org.junit.jupiter.api.Assertions.assertTrue(both.get(0).contains(e), e + " in " + both.get(0));
            }
            assertEquals(String.join("\n", both.get(0)), String.join("\n", both.get(1)));
            return both.get(0);
        } finally {
            try (java.util.stream.Stream<Path> s = java.nio.file.Files.walk(tmp)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /**
     * Flushes transient objects and loaded and saved sessions: over the swtpm TCTI there is no resource
     * manager, and libtpms has 3 object slots (the note on 0x902).
     */
    public void flush() throws Exception {
        ok("tpm2_flushcontext", "-t");
        ok("tpm2_flushcontext", "-l");
        ok("tpm2_flushcontext", "-s");
    }
}
