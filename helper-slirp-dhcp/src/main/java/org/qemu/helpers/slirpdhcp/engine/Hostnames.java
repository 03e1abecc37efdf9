package org.qemu.helpers.slirpdhcp.engine;

import java.util.Locale;
import java.util.Optional;
import org.qemu.helpers.common.text.Untrusted;

/** Validation of guest-supplied names: DHCP option 12 is hostile input (RFC 1123 2.1, RFC 952 labels). */
public final class Hostnames {
    public static final int MAX_LABEL = 63;

    private Hostnames() {
    }

    /**
     * Reduces a guest's hostname to one valid RFC 1123 label, or empty when nothing usable is left: keeps the first
     * dot-separated part, lower-cases it, maps '_' and spaces to '-', drops other characters, trims leading and
     * trailing '-', caps it at 63 characters.
     */
    public static Optional<String> sanitizeLabel(byte[] raw) {
        StringBuilder sb = new StringBuilder();
        int limit = Math.min(raw.length, 255);
        for (int i = 0; i < limit; i++) {
            int c = raw[i] & 0xff;
            if (c == '.' || c == 0) {
                break;
            }
            if (c >= 'A' && c <= 'Z') {
                sb.append((char) (c + 32));
            } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
                sb.append((char) c);
            } else if (c == '_' || c == ' ') {
                sb.append('-');
            }
        }
        int start = 0;
        int end = sb.length();
        while (start < end && sb.charAt(start) == '-') {
            start++;
        }
        while (end > start && sb.charAt(end - 1) == '-') {
            end--;
        }
        String label = sb.substring(start, end);
        if (label.length() > MAX_LABEL) {
            label = label.substring(0, MAX_LABEL);
            while (label.endsWith("-")) {
                label = label.substring(0, label.length() - 1);
            }
        }
        return label.isEmpty() ? Optional.empty() : Optional.of(label);
    }

    public static Optional<String> sanitizeLabel(String raw) {
        return sanitizeLabel(raw.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    }

    /** True for a valid RFC 1123 label: 1-63 of [a-z0-9-], not starting or ending with '-'. */
    public static boolean isValidLabel(String s) {
        if (s.isEmpty() || s.length() > MAX_LABEL || s.startsWith("-") || s.endsWith("-")) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) {
                return false;
            }
        }
        return true;
    }

    /** True for a dotted name of valid labels, at most 253 characters, no trailing dot. */
    public static boolean isValidDomain(String s) {
        if (s.isEmpty() || s.length() > 253) {
            return false;
        }
        for (String label : s.split("\\.", -1)) {
            if (!isValidLabel(label)) {
                return false;
            }
        }
        return true;
    }

    /** Normalises a host record name: lower case, no trailing dot; throws IllegalArgumentException if invalid. */
    public static String normalizeName(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.endsWith(".")) {
            n = n.substring(0, n.length() - 1);
        }
        if (!isValidDomain(n)) {
            throw new IllegalArgumentException("'" + Untrusted.printable(name, 80) + "' is not a valid DNS name"
                    + " (dot-separated labels of a-z, 0-9, '-', each 1-63 characters)");
        }
        return n;
    }
}
