package org.qemu.helpers.tpmstub.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.qemu.helpers.common.testing.Commands;
import org.qemu.helpers.common.testing.ProcResult;
import org.qemu.helpers.common.testing.Tools;
import org.qemu.helpers.tpmstub.InProcessTpm;
import org.qemu.helpers.tpmstub.Swtpm;

/** tpm2-tools (the real client, through tpm2-tss's swtpm TCTI) against this helper and against swtpm. */
class Tpm2ToolsTest {
    private static final String EXTEND_ALL = "1:sha1=" + "11".repeat(20) + ",sha256=" + "22".repeat(32)
            + ",sha384=" + "33".repeat(48) + ",sha512=" + "44".repeat(64);

    private static List<String> session(String tcti, Path eventFile) throws Exception {
        List<String> outputs = new ArrayList<>();
        String[][] cmds = {
            {"tpm2_startup", "-c"},
            {"tpm2_pcrextend", "0:sha256=" + "00".repeat(31) + "01"},
            {"tpm2_pcrextend", EXTEND_ALL},
            {"tpm2_pcrevent", "2", eventFile.toString()},
            {"tpm2_pcrextend", "16:sha256=" + "55".repeat(32)},
            {"tpm2_pcrread"},
            {"tpm2_pcrreset", "16"},
            {"tpm2_pcrread", "sha1:0,1,2,16+sha256:0,1,2,16+sha384:1,2+sha512:1,2"},
            {"tpm2_getcap", "pcrs"},
        };
        for (String[] c : cmds) {
            outputs.add(String.join(" ", c) + "\n" + run(tcti, c).stdout());
        }
        outputs.add("algorithms\n" + run(tcti, "tpm2_getcap", "algorithms").stdout());
        ProcResult rnd = run(tcti, "tpm2_getrandom", "--hex", "16");
        assertTrue(rnd.stdout().trim().matches("[0-9a-f]{32}"), rnd.toString());
        ProcResult cc = run(tcti, "tpm2_getcap", "commands");
        assertTrue(cc.stdout().contains("TPM2_CC_PCR_Extend"), cc.toString());
        ProcResult fixed = run(tcti, "tpm2_getcap", "properties-fixed");
        assertTrue(fixed.stdout().contains("TPM2_PT_PCR_COUNT") && fixed.stdout().contains("raw: 0x18"), fixed.toString());
        ProcResult var = run(tcti, "tpm2_getcap", "properties-variable");
        assertTrue(var.stdout().contains("TPM2_PT_STARTUP_CLEAR"), var.toString());
        return outputs;
    }

    private static ProcResult run(String tcti, String... cmd) throws Exception {
        List<String> c = new ArrayList<>(List.of(cmd));
        c.add("-T");
        c.add(tcti);
        ProcResult r = Commands.run(Duration.ofSeconds(20), c);
        assertEquals(0, r.exitCode(), String.join(" ", c) + ": " + r);
        return r;
    }

    @Test
    void tpm2ToolsOverTcpPrintTheSameAsAgainstSwtpm() throws Exception {
        Tools.require("tpm2_pcrread", "tpm2-tools");
        Path tmp = Files.createTempDirectory("tpm2tools");
        try {
            Path ev = tmp.resolve("event");
            Files.writeString(ev, "firmware event\n");
            List<String> theirs;
            try (Swtpm sw = Swtpm.start("not-need-init")) {
                theirs = session("swtpm:host=127.0.0.1,port=" + sw.port, ev);
            }
            int port = Swtpm.freePortPair();
            List<String> ours;
            try (InProcessTpm tpm = InProcessTpm.tcp(port)) {
                ours = session("swtpm:host=127.0.0.1,port=" + port, ev);
            }
            for (int i = 0; i < theirs.size() - 1; i++) {
                assertEquals(theirs.get(i), ours.get(i));
            }
            // tpm2_getcap algorithms: this TPM lists only what it implements, each as swtpm lists it
            List<String> ourAlgs = algorithmBlocks(ours.get(ours.size() - 1));
            List<String> theirAlgs = algorithmBlocks(theirs.get(theirs.size() - 1));
            assertEquals(12, ourAlgs.size(), ourAlgs.toString());
            assertTrue(theirAlgs.containsAll(ourAlgs), ourAlgs + " not all in " + theirAlgs);
        } finally {
            deleteTree(tmp);
        }
    }

    /** The YAML blocks of tpm2_getcap algorithms: a name line and its indented lines. */
    private static List<String> algorithmBlocks(String out) {
        List<String> blocks = new ArrayList<>();
        StringBuilder b = null;
        for (String line : out.split("\n")) {
            if (line.equals("algorithms")) {
                continue;
            }
            if (!line.startsWith(" ")) {
                if (b != null) {
                    blocks.add(b.toString());
                }
                b = new StringBuilder();
            }
            if (b != null) {
                b.append(line).append('\n');
            }
        }
        if (b != null) {
            blocks.add(b.toString());
        }
        return blocks;
    }

    @Test
    void tpm2ToolsOverUnixSocketsWork() throws Exception {
        Tools.require("tpm2_pcrread", "tpm2-tools");
        Path tmp = Files.createTempDirectory("tpm2tools");
        try {
            Path sock = tmp.resolve("tpm.sock");
            Path ev = tmp.resolve("event");
            Files.writeString(ev, "firmware event\n");
            try (InProcessTpm tpm = InProcessTpm.start(null, new Endpoint.Unix(sock),
                    new Endpoint.Unix(Path.of(sock + ".ctrl")))) {
                List<String> out = session("swtpm:path=" + sock, ev);
                assertTrue(out.get(5).contains("0 : 0x90F4B39548DF55AD6187A1D20D731ECEE78C545B94AFD16F42EF7592D99CD365"),
                        out.get(5));
            }
        } finally {
            deleteTree(tmp);
        }
    }

    /** tpm2_pcrevent (hash sequences beyond 1 KiB) and tpm2_hash: stdout and output files. */
    private static List<String> hashing(String tcti, Path dir, String tag) throws Exception {
        List<String> outputs = new ArrayList<>();
        String[][] cmds = {
            {"tpm2_startup", "-c"},
            {"tpm2_pcrevent", "9", dir.resolve("f4k").toString()},
            {"tpm2_pcrevent", "9", dir.resolve("f1m").toString()},
            {"tpm2_pcrevent", "10", dir.resolve("small").toString()},
            {"tpm2_pcrread", "sha1:9,10+sha256:9,10+sha384:9+sha512:9"},
            {"tpm2_hash", "-g", "sha256", "-C", "n", "--hex", dir.resolve("f1m").toString()},
            {"tpm2_hash", "-g", "sha384", "-C", "e", "--hex", dir.resolve("small").toString()},
            {"tpm2_hash", "-g", "sha1", "-C", "o", "-o", dir.resolve(tag + ".hash").toString(),
                "-t", dir.resolve(tag + ".ticket").toString(), dir.resolve("f4k").toString()},
            {"tpm2_getcap", "handles-transient"},
        };
        for (String[] c : cmds) {
            outputs.add(String.join(" ", c).replace(tag, "T") + "\n" + run(tcti, c).stdout());
        }
        outputs.add("hash file " + org.qemu.helpers.tpmstub.Hex.str(Files.readAllBytes(dir.resolve(tag + ".hash"))));
        byte[] ticket = Files.readAllBytes(dir.resolve(tag + ".ticket"));
        // TPMT_TK_HASHCHECK: tag, hierarchy, size of the HMAC (its value is keyed by each TPM's secret proof)
        outputs.add("ticket " + org.qemu.helpers.tpmstub.Hex.str(java.util.Arrays.copyOf(ticket, 8)) + " length "
                + ticket.length);
        return outputs;
    }

    @Test
    void pcreventOf4KiBAnd1MiBFilesAndTpm2HashPrintTheSameAsAgainstSwtpm() throws Exception {
        Tools.require("tpm2_pcrevent", "tpm2-tools");
        Path tmp = Files.createTempDirectory("tpm2hash");
        try {
            java.util.Random rnd = new java.util.Random(16);
            byte[] f4k = new byte[4096];
            byte[] f1m = new byte[1 << 20];
            rnd.nextBytes(f4k);
            rnd.nextBytes(f1m);
            Files.write(tmp.resolve("f4k"), f4k);
            Files.write(tmp.resolve("f1m"), f1m);
            Files.writeString(tmp.resolve("small"), "a small event\n");
            List<String> theirs;
            try (Swtpm sw = Swtpm.start("not-need-init")) {
                theirs = hashing("swtpm:host=127.0.0.1,port=" + sw.port, tmp, "swtpm");
            }
            int port = Swtpm.freePortPair();
            List<String> ours;
            try (InProcessTpm tpm = InProcessTpm.tcp(port)) {
                ours = hashing("swtpm:host=127.0.0.1,port=" + port, tmp, "ours");
            }
            assertEquals(theirs.size(), ours.size());
            for (int i = 0; i < theirs.size(); i++) {
                assertEquals(theirs.get(i), ours.get(i));
            }
            // a real ticket, not the NULL one: owner hierarchy, a 64-byte SHA-512 HMAC
            assertEquals("ticket 8024400000010040 length 72", ours.get(ours.size() - 1));
        } finally {
            deleteTree(tmp);
        }
    }

    static void deleteTree(Path dir) throws java.io.IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
