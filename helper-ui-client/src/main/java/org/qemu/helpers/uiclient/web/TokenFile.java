package org.qemu.helpers.uiclient.web;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import org.qemu.helpers.common.store.AtomicFiles;

/**
 * The web console's access token: 32 random bytes (base64url), written with mode 0600 (the
 * temporary file is created 0600 before any byte is written, then renamed over the target).
 */
public final class TokenFile {
    private static final SecureRandom RANDOM = new SecureRandom();

    private TokenFile() {
    }

    /** A fresh unguessable token (256 bits). */
    public static String newToken() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** Write {@code token} to {@code target} with mode 0600 (never readable by others, even briefly), durably. */
    public static void write(Path target, String token) throws IOException {
        AtomicFiles.write(target, (token + "\n").getBytes(StandardCharsets.US_ASCII),
                PosixFilePermissions.fromString("rw-------"));
    }
}
