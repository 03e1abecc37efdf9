package org.qemu.helpers.slirpdhcp.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The virtual network the helper serves. Defaults follow libslirp: 10.0.2.0/24, gateway and DHCP server 10.0.2.2,
 * DNS 10.0.2.3, dynamic pool from 10.0.2.15, 86400 s leases.
 *
 * @param mtu interface MTU sent as option 26 (RFC 2132 5.1), 0 when not sent
 * @param authoritative sole server on the link: a REQUEST for an address we did not record is NAKed or granted
 *     rather than ignored (RFC 2131 4.3.2 asks for silence only to coexist with other servers)
 */
public record NetworkConfig(int network, int prefix, int gateway, int dns, int poolStart, int poolEnd,
                            int leaseSeconds, String domain, List<String> search, int mtu, boolean authoritative) {

    public static final int DECLINE_HOLD_SECONDS = 600;
    public static final int OFFER_HOLD_SECONDS = 60;

    public NetworkConfig {
        search = List.copyOf(search);
        domain = domain.toLowerCase(Locale.ROOT);
        if (prefix < 8 || prefix > 30) {
            throw new IllegalArgumentException("network prefix must be 8..30, got /" + prefix);
        }
        int mask = Ip4.mask(prefix);
        if ((network & ~mask) != 0) {
            throw new IllegalArgumentException("network " + Ip4.format(network) + "/" + prefix + " has host bits set");
        }
        for (int[] a : new int[][] {{gateway, 0}, {dns, 1}, {poolStart, 2}, {poolEnd, 3}}) {
            String name = new String[] {"gateway", "dns", "pool start", "pool end"}[a[1]];
            if ((a[0] & mask) != network || a[0] == network || a[0] == (network | ~mask)) {
                throw new IllegalArgumentException(name + " " + Ip4.format(a[0]) + " is not a host address of "
                        + Ip4.format(network) + "/" + prefix);
            }
        }
        if (Integer.compareUnsigned(poolStart, poolEnd) > 0) {
            throw new IllegalArgumentException("pool start " + Ip4.format(poolStart) + " is after pool end "
                    + Ip4.format(poolEnd));
        }
        if (leaseSeconds < 60) {
            throw new IllegalArgumentException("lease time must be at least 60 s, got " + leaseSeconds);
        }
        if (!domain.isEmpty() && !Hostnames.isValidDomain(domain)) {
            throw new IllegalArgumentException("domain '" + domain + "' is not a valid DNS name");
        }
        for (String s : search) {
            if (!Hostnames.isValidDomain(s)) {
                throw new IllegalArgumentException("search domain '" + s + "' is not a valid DNS name");
            }
        }
        if (mtu != 0 && (mtu < 576 || mtu > 65535)) {
            throw new IllegalArgumentException("MTU must be 576..65535, got " + mtu);
        }
    }

    /** The libslirp-compatible defaults with the given domain (search list = that domain). */
    public static NetworkConfig slirpDefaults(String domain) {
        return forNetwork(Ip4.parse("10.0.2.0"), 24, domain);
    }

    /** A network laid out like slirp's: gateway .2, DNS .3, pool from .15 to the last host address. */
    public static NetworkConfig forNetwork(int network, int prefix, String domain) {
        int mask = Ip4.mask(prefix);
        int broadcast = network | ~mask;
        int start = network + 15;
        if (Integer.compareUnsigned(start, broadcast - 1) > 0) {
            start = network + 4;
        }
        List<String> search = new ArrayList<>();
        if (!domain.isEmpty()) {
            search.add(domain);
        }
        return new NetworkConfig(network, prefix, network + 2, network + 3, start, broadcast - 1, 86400, domain,
                search, 0, true);
    }

    public int mask() {
        return Ip4.mask(prefix);
    }

    public int broadcast() {
        return network | ~mask();
    }

    public boolean contains(int ip) {
        return (ip & mask()) == network;
    }

    /** True for an address a client may hold: in the network, not network/broadcast, not gateway or DNS. */
    public boolean isAssignable(int ip) {
        return contains(ip) && ip != network && ip != broadcast() && ip != gateway && ip != dns;
    }

    public boolean inPool(int ip) {
        return Integer.compareUnsigned(ip, poolStart) >= 0 && Integer.compareUnsigned(ip, poolEnd) <= 0
                && isAssignable(ip);
    }

    public NetworkConfig withLeaseSeconds(int seconds) {
        return new NetworkConfig(network, prefix, gateway, dns, poolStart, poolEnd, seconds, domain, search, mtu,
                authoritative);
    }

    public NetworkConfig withMtu(int newMtu) {
        return new NetworkConfig(network, prefix, gateway, dns, poolStart, poolEnd, leaseSeconds, domain, search,
                newMtu, authoritative);
    }

    public NetworkConfig withSearch(List<String> newSearch) {
        return new NetworkConfig(network, prefix, gateway, dns, poolStart, poolEnd, leaseSeconds, domain, newSearch,
                mtu, authoritative);
    }

    public NetworkConfig withPool(int start, int end) {
        return new NetworkConfig(network, prefix, gateway, dns, start, end, leaseSeconds, domain, search, mtu,
                authoritative);
    }

    public NetworkConfig withGatewayAndDns(int gw, int dnsIp) {
        return new NetworkConfig(network, prefix, gw, dnsIp, poolStart, poolEnd, leaseSeconds, domain, search, mtu,
                authoritative);
    }
}
