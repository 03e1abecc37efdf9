package org.qemu.helpers.slirpdhcp.engine;

import java.io.ByteArrayOutputStream;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Ordered DHCP options. Repeated instances of one code are concatenated on decode (RFC 3396 section 5); values
 * longer than 255 bytes are split on encode.
 */
public final class DhcpOptions {
    private final LinkedHashMap<Integer, byte[]> map = new LinkedHashMap<>();

    public DhcpOptions put(int code, byte[] value) {
        if (code <= 0 || code >= 255) {
            throw new IllegalArgumentException("option code " + code);
        }
        map.put(code, value.clone());
        return this;
    }

    /** Appends to an existing value (RFC 3396 concatenation). */
    void append(int code, byte[] value) {
        byte[] old = map.get(code);
        if (old == null) {
            map.put(code, value);
        } else {
            ByteArrayOutputStream out = new ByteArrayOutputStream(old.length + value.length);
            out.writeBytes(old);
            out.writeBytes(value);
            map.put(code, out.toByteArray());
        }
    }

    public DhcpOptions putU8(int code, int v) {
        return put(code, new byte[] {(byte) v});
    }

    public DhcpOptions putU16(int code, int v) {
        return put(code, new byte[] {(byte) (v >>> 8), (byte) v});
    }

    public DhcpOptions putU32(int code, int v) {
        return put(code, Ip4.bytes(v));
    }

    public DhcpOptions putIp(int code, int... ips) {
        byte[] b = new byte[4 * ips.length];
        for (int i = 0; i < ips.length; i++) {
            System.arraycopy(Ip4.bytes(ips[i]), 0, b, 4 * i, 4);
        }
        return put(code, b);
    }

    public DhcpOptions remove(int code) {
        map.remove(code);
        return this;
    }

    public boolean has(int code) {
        return map.containsKey(code);
    }

    public Optional<byte[]> get(int code) {
        byte[] v = map.get(code);
        return v == null ? Optional.empty() : Optional.of(v.clone());
    }

    /** A 4-byte option as an address; empty when absent or of another length. */
    public Optional<Integer> ip(int code) {
        byte[] v = map.get(code);
        return v != null && v.length == 4 ? Optional.of(Ip4.of(v, 0)) : Optional.empty();
    }

    public Optional<Integer> u16(int code) {
        byte[] v = map.get(code);
        return v != null && v.length == 2 ? Optional.of(((v[0] & 0xff) << 8) | (v[1] & 0xff)) : Optional.empty();
    }

    public Optional<Integer> u32(int code) {
        return ip(code);
    }

    public Optional<DhcpMessageType> messageType() {
        byte[] v = map.get(DhcpOption.MESSAGE_TYPE);
        return v != null && v.length == 1 ? Optional.ofNullable(DhcpMessageType.of(v[0] & 0xff)) : Optional.empty();
    }

    public Map<Integer, byte[]> asMap() {
        return Collections.unmodifiableMap(map);
    }

    public int size() {
        return map.size();
    }
}
