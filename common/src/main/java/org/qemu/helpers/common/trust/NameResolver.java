package org.qemu.helpers.common.trust;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Turns user and group names into ids, through NSS ({@code getent}) so LDAP/sssd users work too. */
public interface NameResolver {
    Optional<Long> uidOf(String user);

    Optional<Long> gidOf(String group);

    /** The host's NSS, via {@code getent passwd|group NAME} (field 3 is the id). */
    static NameResolver system() {
        return new NameResolver() {
            public Optional<Long> uidOf(String user) {
                return getent("passwd", user);
            }

            public Optional<Long> gidOf(String group) {
                return getent("group", group);
            }
        };
    }

    private static Optional<Long> getent(String db, String name) {
        if (!name.matches("[A-Za-z0-9_.][A-Za-z0-9_.-]{0,63}\\$?")) {
            return Optional.empty();
        }
        try {
            Process p = new ProcessBuilder("getent", db, name).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readNBytes(4096), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return Optional.empty();
            }
            String[] fields = out.trim().split(":");
            return fields.length > 2 ? Optional.of(Long.parseLong(fields[2])) : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
