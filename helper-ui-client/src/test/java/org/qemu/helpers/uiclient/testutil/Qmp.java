package org.qemu.helpers.uiclient.testutil;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** A minimal QMP client (QEMU Machine Protocol, JSON lines over a Unix socket) for tests. */
public final class Qmp implements AutoCloseable {
    private final SocketChannel ch;
    private final BufferedReader in;
    private final Writer out;

    public Qmp(Path socket) throws IOException {
        ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
        out = Channels.newWriter(ch, StandardCharsets.UTF_8);
        in.readLine(); // greeting
        execute("{\"execute\":\"qmp_capabilities\"}");
    }

    /** Send one command and return its reply line (events before it are skipped). */
    public String execute(String json) throws IOException {
        out.write(json + "\n");
        out.flush();
        String line;
        while ((line = in.readLine()) != null) {
            if (!line.contains("\"event\"")) {
                return line;
            }
        }
        throw new IOException("QMP closed");
    }

    /** QEMU's own screendump of console 0 as 0x00RRGGBB pixels {width, height, pixels...}. */
    public int[] screendump(Path ppm) throws IOException {
        String r = execute("{\"execute\":\"screendump\",\"arguments\":{\"filename\":\"" + ppm + "\"}}");
        if (!r.contains("\"return\"")) {
            throw new IOException("screendump failed: " + r);
        }
        byte[] p = Files.readAllBytes(ppm);
        int off = 0;
        int lines = 0;
        StringBuilder header = new StringBuilder();
        while (lines < 3) {
            char c = (char) p[off++];
            header.append(c);
            if (c == '\n') {
                lines++;
            }
        }
        String[] f = header.toString().trim().split("\\s+"); // P6 W H 255
        int w = Integer.parseInt(f[1]);
        int h = Integer.parseInt(f[2]);
        int[] out = new int[2 + w * h];
        out[0] = w;
        out[1] = h;
        for (int i = 0; i < w * h; i++, off += 3) {
            out[2 + i] = (p[off] & 0xff) << 16 | (p[off + 1] & 0xff) << 8 | (p[off + 2] & 0xff);
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
