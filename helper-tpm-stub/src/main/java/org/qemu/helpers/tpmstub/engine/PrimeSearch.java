package org.qemu.helpers.tpmstub.engine;

import java.math.BigInteger;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The first probable prime greater than a large odd candidate: the number
 * BigInteger.nextProbablePrime returns, which is how primary RSA keys were always derived here, so
 * a seed gives the same key as before (a SRK recreated after an upgrade must still load the
 * objects made under it). Found faster than nextProbablePrime: it tests the survivors of its
 * sieve with 2 Miller-Rabin rounds and then a Lucas-Lehmer test, done with a division per step,
 * which took about half of a CreatePrimary RSA-2048 (JFR profile, bench/bench.sh). Here: the odd
 * numbers above the candidate are sieved by every odd prime below 2^16 (libtpms sieves a 1024-bit
 * candidate by its first 4096 primes, CryptPrimeSieve.c), then each survivor, in order, gets
 * Miller-Rabin rounds with random bases (FIPS 186-5 B.3.1 / C.3.1), {@link #MR_ROUNDS} of them.
 * A composite almost always fails the first round, so a prime costs one modular exponentiation
 * per surviving composite plus {@code MR_ROUNDS}.
 */
final class PrimeSearch {
    private PrimeSearch() { }

    /**
     * FIPS 186-5 Table B.1: 5 rounds for the 1024-bit primes of RSA-2048 give an error probability
     * of at most 2^-112, the security strength of RSA-2048 (4 would give 2^-100); libtpms uses 5
     * for 1024-bit primes too (CryptPrime.c MillerRabinRounds).
     */
    static final int MR_ROUNDS = 5;
    /** Odd numbers per sieve window: a 1024-bit prime gap longer than 8192 is very rare (about e^-11.5). */
    private static final int WINDOW = 4096;
    private static final int SIEVE_BOUND = 1 << 16;
    /** The odd primes below SIEVE_BOUND. */
    private static final int[] PRIMES = oddPrimesBelow(SIEVE_BOUND);
    /**
     * PRIMES grouped into consecutive runs whose product stays below 2^31: one pass over the
     * candidate's 32-bit limbs per group gives the residues of all its primes (fewer long divisions).
     */
    private static final int[] GROUP_START = groups();
    private static final long[] GROUP_PRODUCT = groupProducts();

    /** The smallest probable prime greater than the odd number {@code c} (c well above SIEVE_BOUND). */
    static BigInteger nextPrime(BigInteger c) {
        BigInteger base = c.add(BigInteger.TWO);
        boolean[] composite = new boolean[WINDOW];
        while (true) {
            sieve(base, composite);
            for (int i = 0; i < WINDOW; i++) {
                if (!composite[i]) {
                    BigInteger n = base.add(BigInteger.valueOf(2L * i));
                    if (millerRabin(n, MR_ROUNDS)) {
                        return n;
                    }
                }
            }
            base = base.add(BigInteger.valueOf(2L * WINDOW));
        }
    }

    /** Marks composite[i] for base + 2i divisible by one of PRIMES (base odd). */
    private static void sieve(BigInteger base, boolean[] composite) {
        java.util.Arrays.fill(composite, false);
        int[] limbs = limbs(base);
        for (int g = 0; g < GROUP_PRODUCT.length; g++) {
            long m = GROUP_PRODUCT[g];
            long r = 0;
            for (int limb : limbs) {
                r = ((r << 32) | (limb & 0xFFFFFFFFL)) % m; // r < m < 2^31, so the shift fits
            }
            for (int k = GROUP_START[g]; k < GROUP_START[g + 1]; k++) {
                int p = PRIMES[k];
                long rb = r % p;
                // base + 2i = 0 (mod p)  <=>  i = -rb * 2^-1 (mod p), and 2^-1 = (p + 1) / 2
                long i = (p - rb) % p * ((p + 1) / 2) % p;
                for (; i < WINDOW; i += p) {
                    composite[(int) i] = true;
                }
            }
        }
    }

    /** Miller-Rabin (FIPS 186-5 B.3.1) with {@code rounds} random bases b, 1 < b < n - 1. */
    static boolean millerRabin(BigInteger n, int rounds) {
        BigInteger nm1 = n.subtract(BigInteger.ONE);
        int a = nm1.getLowestSetBit();
        BigInteger m = nm1.shiftRight(a);
        ThreadLocalRandom rnd = ThreadLocalRandom.current(); // the bases need not be secret (as in BigInteger)
        for (int round = 0; round < rounds; round++) {
            BigInteger b;
            do {
                b = new BigInteger(n.bitLength(), rnd);
            } while (b.compareTo(BigInteger.ONE) <= 0 || b.compareTo(nm1) >= 0);
            BigInteger z = b.modPow(m, n);
            if (z.equals(BigInteger.ONE) || z.equals(nm1)) {
                continue;
            }
            boolean passed = false;
            for (int j = 1; j < a && !passed; j++) {
                z = z.multiply(z).mod(n);
                if (z.equals(BigInteger.ONE)) {
                    return false;
                }
                passed = z.equals(nm1);
            }
            if (!passed) {
                return false;
            }
        }
        return true;
    }

    /** The magnitude as big-endian 32-bit limbs. */
    private static int[] limbs(BigInteger v) {
        byte[] b = v.toByteArray();
        int n = (b.length + 3) / 4;
        int[] out = new int[n];
        for (int i = 0; i < b.length; i++) {
            int fromEnd = b.length - 1 - i;
            out[n - 1 - fromEnd / 4] |= (b[i] & 0xFF) << (8 * (fromEnd % 4));
        }
        return out;
    }

    private static int[] oddPrimesBelow(int bound) {
        boolean[] notPrime = new boolean[bound];
        int count = 0;
        for (int i = 3; i < bound; i += 2) {
            if (!notPrime[i]) {
                count++;
                for (long j = (long) i * i; j < bound; j += 2L * i) {
                    notPrime[(int) j] = true;
                }
            }
        }
        int[] out = new int[count];
        int k = 0;
        for (int i = 3; i < bound; i += 2) {
            if (!notPrime[i]) {
                out[k++] = i;
            }
        }
        return out;
    }

    /** Start indices into PRIMES of each group, with PRIMES.length appended. */
    private static int[] groups() {
        int[] starts = new int[PRIMES.length + 1];
        int n = 0;
        long product = 1;
        for (int k = 0; k < PRIMES.length; k++) {
            if (k == 0 || product * PRIMES[k] >= (1L << 31)) {
                starts[n++] = k;
                product = 1;
            }
            product *= PRIMES[k];
        }
        starts[n++] = PRIMES.length;
        return java.util.Arrays.copyOf(starts, n);
    }

    private static long[] groupProducts() {
        long[] out = new long[GROUP_START.length - 1];
        for (int g = 0; g < out.length; g++) {
            long product = 1;
            for (int k = GROUP_START[g]; k < GROUP_START[g + 1]; k++) {
                product *= PRIMES[k];
            }
            out[g] = product;
        }
        return out;
    }
}
