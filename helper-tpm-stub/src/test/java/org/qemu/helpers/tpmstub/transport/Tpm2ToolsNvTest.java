package org.qemu.helpers.tpmstub.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

/**
 * Issue 16 acceptance 3 with tpm2-tools 5.4, against swtpm and this helper in the same test: NV indices
 * authorised by their own password (ordinary, counter, extend) round trip, a wrong password is refused with
 * swtpm's code, tpm2_nvreadpublic prints the same public areas and Names; on the helper the indices and
 * their data are there again after a restart over the same state directory.
 */
class Tpm2ToolsNvTest {
    private static List<String> define(Tpm2Tools t) throws Exception {
        List<String> out = new ArrayList<>();
        Files.writeString(Path.of(t.file("data")), "12345678");
        Files.writeString(Path.of(t.file("measurement")), "abc");
        t.ok("tpm2_startup", "-c");
        out.add(t.ok("tpm2_nvdefine", "-C", "o", "-s", "8", "-a", "authread|authwrite", "-p", "nvpw", "0x1500020"));
        t.ok("tpm2_nvwrite", "-C", "0x1500020", "-P", "nvpw", "-i", t.file("data"), "0x1500020");
        out.add("wrong password " + t.fails("tpm2_nvread", "-C", "0x1500020", "-P", "wrong", "-s", "8", "0x1500020"));
        out.add(t.ok("tpm2_nvdefine", "-C", "o", "-a", "authread|authwrite|nt=counter", "-p", "c", "0x1500021"));
        t.ok("tpm2_nvincrement", "-C", "0x1500021", "-P", "c", "0x1500021");
        t.ok("tpm2_nvincrement", "-C", "0x1500021", "-P", "c", "0x1500021");
        out.add(t.ok("tpm2_nvdefine", "-C", "o", "-a", "authread|authwrite|nt=extend", "-g", "sha256", "-p", "e",
                "0x1500022"));
        t.ok("tpm2_nvextend", "-C", "0x1500022", "-P", "e", "-i", t.file("measurement"), "0x1500022");
        return out;
    }

    /** What reading the indices gives: the data, the counter, the extended digest, the public areas. */
    private static List<String> read(Tpm2Tools t) throws Exception {
        List<String> out = new ArrayList<>();
        for (String[] index : new String[][] {{"0x1500020", "nvpw"}, {"0x1500021", "c"}, {"0x1500022", "e"}}) {
            t.ok("tpm2_nvread", "-C", index[0], "-P", index[1], "-o", t.file("read"), index[0]);
            out.add(index[0] + " " + Hex.str(Files.readAllBytes(Path.of(t.file("read")))));
        }
        out.add(t.ok("tpm2_nvreadpublic"));
        return out;
    }

    @Test
    void nvIndicesRoundTripRefuseAWrongPasswordAndSurviveARestartAsOnSwtpm() throws Exception {
        Tools.require("tpm2_nvdefine", "tpm2-tools");
        Path tmp = Files.createTempDirectory("tpm2nv");
        Path state = Files.createTempDirectory("tpm2nv-state");
        try {
            List<String> theirs = new ArrayList<>();
            Files.createDirectories(tmp.resolve("swtpm"));
            try (Swtpm sw = Swtpm.start("not-need-init")) {
                Tpm2Tools t = Tpm2Tools.tcp(sw.port, tmp.resolve("swtpm"));
                theirs.addAll(define(t));
                theirs.addAll(read(t));
            }
            List<String> ours = new ArrayList<>();
            Files.createDirectories(tmp.resolve("ours"));
            int port = Swtpm.freePortPair();
            Endpoint data = new Endpoint.Tcp("127.0.0.1", port);
            Endpoint ctrl = new Endpoint.Tcp("127.0.0.1", port + 1);
            Tpm2Tools t = Tpm2Tools.tcp(port, tmp.resolve("ours"));
            try (InProcessTpm tpm = InProcessTpm.start(state, data, ctrl)) {
                ours.addAll(define(t));
                ours.addAll(read(t));
            }
            assertEquals(String.join("\n", theirs), String.join("\n", ours));
            assertTrue(theirs.contains("wrong password Esys_NV_Read(0x98E)"), theirs.toString());
            assertTrue(theirs.contains("0x1500020 " + Hex.str("12345678".getBytes(java.nio.charset.StandardCharsets.US_ASCII))),
                    theirs.toString());
            assertTrue(theirs.contains("0x1500021 0000000000000002"), theirs.toString());
            List<String> afterRestart;
            try (InProcessTpm tpm = InProcessTpm.start(state, data, ctrl)) {
                afterRestart = read(t);
            }
            assertEquals(ours.subList(ours.size() - 4, ours.size()), afterRestart, "the indices after a restart");
        } finally {
            Tpm2ToolsTest.deleteTree(tmp);
            Tpm2ToolsTest.deleteTree(state);
        }
    }
}
