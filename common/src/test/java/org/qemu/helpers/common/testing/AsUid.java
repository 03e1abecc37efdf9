package org.qemu.helpers.common.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Runs a main class of this test JVM's class path as another UID (setpriv). That UID cannot read root's Maven
 * repository, so the class path is copied once into a world-readable directory first (dbus-java, slf4j and the build's class directories).
 */
public final class AsUid {
    private static Path copied;

    private AsUid() {
    }

    /** {@code mainClass args...} as {@code uid}/{@code uid} with no supplementary groups; output in the result. */
    public static ProcResult java(long uid, java.time.Duration timeout, Class<?> mainClass, String... args)
            throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classPath(), mainClass.getName()));
        c.addAll(List.of(args));
        return Commands.runAs(uid, timeout, c);
    }

    private static synchronized String classPath() throws IOException {
        if (copied == null) {
            Path dir = Files.createTempDirectory("qdh-cp");
            List<String> entries = new ArrayList<>();
            int i = 0;
            for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
                Path src = Path.of(e);
                String name = src.getFileName().toString();
                if (!Files.exists(src) || (!Files.isDirectory(src) && !name.startsWith("dbus-java")
                        && !name.startsWith("slf4j"))) {
                    continue; // what a D-Bus client needs: dbus-java, its logging, the classes of this build
                }
                Path dst = dir.resolve((i++) + "-" + src.getFileName());
                try (Stream<Path> walk = Files.walk(src)) {
                    for (Path p : (Iterable<Path>) walk::iterator) {
                        Path to = dst.resolve(src.relativize(p).toString());
                        if (Files.isDirectory(p)) {
                            Files.createDirectories(to);
                        } else {
                            Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
                entries.add(dst.toString());
            }
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : (Iterable<Path>) walk::iterator) {
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p)
                            ? "rwxr-xr-x" : "rw-r--r--"));
                }
            }
            copied = dir;
            System.setProperty("qdh.asuid.cp", String.join(File.pathSeparator, entries));
        }
        return System.getProperty("qdh.asuid.cp");
    }
}
