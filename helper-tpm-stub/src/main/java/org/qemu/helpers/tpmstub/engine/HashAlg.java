package org.qemu.helpers.tpmstub.engine;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.Optional;

/** The hash algorithms this TPM implements, in TPM_ALG_ID order (Part 2 6.3, table 9). */
public enum HashAlg {
    SHA1(0x0004, 20, "SHA-1"),
    SHA256(0x000B, 32, "SHA-256"),
    SHA384(0x000C, 48, "SHA-384"),
    SHA512(0x000D, 64, "SHA-512");

    private final int algId;
    private final int digestSize;
    private final String jcaName;

    HashAlg(int algId, int digestSize, String jcaName) {
        this.algId = algId;
        this.digestSize = digestSize;
        this.jcaName = jcaName;
    }

    public int algId() {
        return algId;
    }

    public int digestSize() {
        return digestSize;
    }

    /** Bank name as used on the command line and on the bus: sha1, sha256, sha384, sha512. */
    public String bankName() {
        return name().toLowerCase(Locale.ROOT);
    }

    private static final ThreadLocal<MessageDigest[]> CACHE =
            ThreadLocal.withInitial(() -> new MessageDigest[values().length]);

    /** A reset digest of this algorithm, reused per thread (callers must not keep it across calls). */
    public MessageDigest digest() {
        MessageDigest[] c = CACHE.get();
        MessageDigest md = c[ordinal()];
        if (md == null) {
            md = newDigest();
            c[ordinal()] = md;
        } else {
            md.reset();
        }
        return md;
    }

    public MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance(jcaName);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK lacks " + jcaName, e);
        }
    }

    public static Optional<HashAlg> byId(int id) {
        for (HashAlg h : values()) {
            if (h.algId == id) {
                return Optional.of(h);
            }
        }
        return Optional.empty();
    }

    public static Optional<HashAlg> byBankName(String name) {
        for (HashAlg h : values()) {
            if (h.bankName().equals(name)) {
                return Optional.of(h);
            }
        }
        return Optional.empty();
    }
}
