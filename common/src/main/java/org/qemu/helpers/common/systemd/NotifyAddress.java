package org.qemu.helpers.common.systemd;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The socket address in {@code $NOTIFY_SOCKET}, encoded as a Linux {@code struct sockaddr_un}.
 * sd_notify(3): an absolute path names a file-system socket; a leading '@' names a socket in the
 * abstract namespace (unix(7): sun_path starts with a NUL byte, the name is the following bytes
 * up to the address length, with no terminating NUL). Other forms (e.g. systemd 254's vsock:)
 * are refused with a message.
 *
 * @param text  the variable's value, as given
 * @param bytes the sockaddr_un, exactly as long as the address length to pass to sendto/bind
 */
public record NotifyAddress(String text, byte[] bytes) {
    static final short AF_UNIX = 1;
    /** sizeof(sun_path) on Linux. */
    static final int SUN_PATH_SIZE = 108;
    /** offsetof(struct sockaddr_un, sun_path): sa_family_t. */
    static final int SUN_PATH_OFFSET = 2;

    public NotifyAddress {
        bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /** True for an address in the abstract namespace ('@name'). */
    public boolean isAbstract() {
        return text.startsWith("@");
    }

    /** Parses {@code value}; IllegalArgumentException says what is wrong with it. */
    public static NotifyAddress parse(String value) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("NOTIFY_SOCKET is empty");
        }
        boolean abstractName = value.charAt(0) == '@';
        if (!abstractName && value.charAt(0) != '/') {
            throw new IllegalArgumentException("NOTIFY_SOCKET '" + value + "' is neither an absolute path nor an"
                    + " abstract '@' name");
        }
        byte[] name = value.substring(abstractName ? 1 : 0).getBytes(StandardCharsets.UTF_8);
        // a path needs room for its terminating NUL; an abstract name needs room for its leading one
        if (name.length + 1 > SUN_PATH_SIZE) {
            throw new IllegalArgumentException("NOTIFY_SOCKET '" + value + "' is longer than the " + (SUN_PATH_SIZE - 1)
                    + " bytes a Unix socket address holds");
        }
        if (indexOfNul(name) >= 0) {
            throw new IllegalArgumentException("NOTIFY_SOCKET holds a NUL byte");
        }
        byte[] sa = new byte[SUN_PATH_OFFSET + 1 + name.length];
        // sa_family in host byte order: every Linux ABI this project runs on is little-endian
        sa[0] = (byte) AF_UNIX;
        sa[1] = 0;
        if (abstractName) {
            System.arraycopy(name, 0, sa, SUN_PATH_OFFSET + 1, name.length); // sun_path[0] = NUL
        } else {
            System.arraycopy(name, 0, sa, SUN_PATH_OFFSET, name.length); // NUL terminator last
        }
        return new NotifyAddress(value, sa);
    }

    private static int indexOfNul(byte[] b) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] == 0) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NotifyAddress a && a.text.equals(text) && Arrays.equals(a.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
