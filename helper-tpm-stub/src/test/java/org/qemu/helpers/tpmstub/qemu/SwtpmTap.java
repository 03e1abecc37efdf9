package org.qemu.helpers.tpmstub.qemu;

import java.io.DataInputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketPair;
import org.newsclub.net.unix.FileDescriptorCast;
import org.qemu.helpers.common.testing.Tools;
import org.qemu.helpers.tpmstub.Swtpm;

/**
 * Real swtpm as QEMU's TPM, behind a tap on the control socket: the tap forwards the control
 * channel as is, but replaces the data channel QEMU passes (CMD_SET_DATAFD) by its own socket
 * pair so that it can interleave its own TPM commands (PCR_Read) between QEMU's.
 */
final class SwtpmTap implements AutoCloseable {
    private final Process swtpm;
    private final AFUNIXServerSocket server;
    private final Object dataLock = new Object();
    private final List<Thread> threads = new ArrayList<>();
    private volatile AFUNIXSocket swData;
    /**
     * Kept reachable on purpose and never closed: junixsocket's close() (also run by its cleaner
     * when the pair is collected) calls shutdown(), which would cut swtpm's copy of the socket too.
     */
    private final List<Object> keep = new ArrayList<>();

    private SwtpmTap(Process swtpm, AFUNIXServerSocket server) {
        this.swtpm = swtpm;
        this.server = server;
    }

    static SwtpmTap start(Path dir, Path ctrlForQemu) throws Exception {
        Tools.require("swtpm", "swtpm");
        Path state = Files.createDirectories(dir.resolve("swtpm-state"));
        Path swCtrl = dir.resolve("swtpm.ctrl");
        Process p = new ProcessBuilder("swtpm", "socket", "--tpm2", "--ctrl", "type=unixio,path=" + swCtrl,
                "--tpmstate", "dir=" + state).redirectErrorStream(true)
                .redirectOutput(dir.resolve("swtpm.log").toFile()).start();
        for (int i = 0; i < 100 && !Files.exists(swCtrl); i++) {
            Thread.sleep(50);
        }
        AFUNIXServerSocket ss = AFUNIXServerSocket.newInstance();
        ss.bind(AFUNIXSocketAddress.of(ctrlForQemu.toFile()));
        SwtpmTap tap = new SwtpmTap(p, ss);
        Thread t = new Thread(() -> tap.serve(swCtrl), "swtpm-tap");
        t.setDaemon(true);
        t.start();
        tap.threads.add(t);
        return tap;
    }

    private void serve(Path swCtrl) {
        try (AFUNIXSocket qemu = (AFUNIXSocket) server.accept();
             AFUNIXSocket sw = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(swCtrl.toFile()))) {
            qemu.setAncillaryReceiveBufferSize(1024);
            Thread back = new Thread(() -> pump(sw, qemu), "swtpm-tap-back");
            back.setDaemon(true);
            back.start();
            InputStream in = qemu.getInputStream();
            OutputStream out = sw.getOutputStream();
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) > 0) {
                FileDescriptor[] fds = qemu.getReceivedFileDescriptors();
                if (fds != null && fds.length > 0) {
                    AFUNIXSocketPair<AFUNIXSocketChannel> pair = AFUNIXSocketPair.open();
                    keep.add(pair);
                    swData = (AFUNIXSocket) pair.getSocket1().socket();
                    AFUNIXSocket qemuData = FileDescriptorCast.using(fds[0]).as(AFUNIXSocket.class);
                    keep.add(qemuData);
                    Thread d = new Thread(() -> dataPump(qemuData), "swtpm-tap-data");
                    d.setDaemon(true);
                    d.start();
                    sw.setOutboundFileDescriptors(pair.getSocket2().getFileDescriptor());
                }
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // QEMU went away
        }
    }

    private static void pump(AFUNIXSocket from, AFUNIXSocket to) {
        try {
            from.getInputStream().transferTo(to.getOutputStream());
        } catch (IOException e) {
            // closed
        }
    }

    private void dataPump(AFUNIXSocket qemuData) {
        try {
            DataInputStream in = new DataInputStream(qemuData.getInputStream());
            while (true) {
                byte[] hdr = new byte[6];
                in.readFully(hdr);
                int size = java.nio.ByteBuffer.wrap(hdr, 2, 4).getInt();
                byte[] cmd = new byte[size];
                System.arraycopy(hdr, 0, cmd, 0, 6);
                in.readFully(cmd, 6, size - 6);
                byte[] resp = command(cmd);
                qemuData.getOutputStream().write(resp);
            }
        } catch (IOException e) {
            // QEMU closed the data channel
        }
    }

    /** Sends one TPM command to swtpm on the data channel, between QEMU's commands. */
    byte[] command(byte[] cmd) throws IOException {
        synchronized (dataLock) {
            AFUNIXSocket s = swData;
            if (s == null) {
                throw new IOException("QEMU has not passed a data channel yet");
            }
            s.getOutputStream().write(cmd);
            return Swtpm.readResponse(s.getInputStream());
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        swtpm.destroy();
        try {
            if (!swtpm.waitFor(3, TimeUnit.SECONDS)) {
                swtpm.destroyForcibly().waitFor(3, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            swtpm.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
