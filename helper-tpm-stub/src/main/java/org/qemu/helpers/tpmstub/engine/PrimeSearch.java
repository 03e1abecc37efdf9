package org.qemu.helpers.tpmstub.engine;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The first probable prime greater than a large odd candidate: the number
 * BigInteger.nextProbablePrime returns, which is how primary RSA keys were always derived here, so
 * a seed gives the same key as before (a SRK recreated after an upgrade must still load the
 * objects made under it). Which number that is depends only on where the primes are, not on how
 * the numbers before it are found composite, so any sieve and any sufficient primality test give
 * the same prime. Here: the odd numbers above the candidate are sieved by every odd prime below
 * {@link #SIEVE_BOUND} (libtpms sieves a 1024-bit candidate by its first 4096 primes,
 * CryptPrimeSieve.c), then each survivor, in order, gets Miller-Rabin rounds with random bases
 * (FIPS 186-5 B.3.1), {@link #MR_ROUNDS} of them. A composite almost always fails the first round,
 * so a prime costs one modular exponentiation per surviving composite plus {@code MR_ROUNDS}: about
 * 355 * 2e^-γ / ln(SIEVE_BOUND) survivors per prime (Mertens), 29 with this bound, 36 with the
 * earlier 2^16. The sieve's residues come from a Montgomery reduction per 64-bit limb, with no
 * division, for a group of primes at a time (their product below 2^62): 1.1 ms of a prime search
 * of about 18 ms (thread CPU time); the earlier 32-bit long-division sieve to 2^16 took 0.6 ms.
 */
final class PrimeSearch {
    private PrimeSearch() { }

    /**
     * FIPS 186-5 Table B.1: 5 rounds for the 1024-bit primes of RSA-2048 give an error probability
     * of at most 2^-112, the security strength of RSA-2048 (4 give 2^-100); libtpms uses 5 for
     * 1024-bit primes too (CryptPrime.c MillerRabinRounds: "an error probability equal to the
     * security strength of the prime").
     */
    static final int MR_ROUNDS = 5;
    /** Odd numbers per sieve window: a 1024-bit prime gap longer than 8192 is very rare (about e^-11.5). */
    private static final int WINDOW = 4096;
    /**
     * Primes below this sieve the candidates: 2^20 leaves 0.081 of the odd numbers (2^16: 0.101),
     * about 7 exponentiations (0.55 ms each) fewer per prime for about 1 ms more sieving (README).
     */
    static final int SIEVE_BOUND = 1 << 20;
    /** The odd primes below SIEVE_BOUND. */
    private static final int[] PRIMES = oddPrimesBelow(SIEVE_BOUND);
    /** floor(2^64 / p) for each of PRIMES (below 2^63 for p >= 3). */
    private static final long[] RECIPROCAL = reciprocals();
    /** PRIMES grouped into consecutive runs whose product stays below 2^62: start indices, PRIMES.length last. */
    private static final int[] GROUP_START = groups();
    /** Each group's product m, odd and below 2^62. */
    private static final long[] MOD = groupProducts();
    /** -m^-1 mod 2^64, for the Montgomery reduction by m. */
    private static final long[] NEG_INV = negInverses();
    /** 2^(64 * (LIMBS + 1)) mod m: turns N * 2^(-64 * LIMBS) into N (one more reduction). */
    private static final long[] TO_PLAIN = toPlain();
    /** 64-bit limbs of the candidates the fast residues are for (1024-bit: RSA-2048's primes). */
    private static final int LIMBS = 16;

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

    /** composite[i] for the WINDOW odd numbers base + 2i: divisible by one of PRIMES (base odd). */
    static boolean[] sieveWindow(BigInteger base) {
        boolean[] composite = new boolean[WINDOW];
        sieve(base, composite);
        return composite;
    }

    /** Marks composite[i] for base + 2i divisible by one of PRIMES (base odd). */
    private static void sieve(BigInteger base, boolean[] composite) {
        Arrays.fill(composite, false);
        long[] limbs = littleEndianLimbs(base);
        int g = 0;
        if (limbs.length == LIMBS) {
            long[] r = new long[4];
            for (; g + 4 <= MOD.length; g += 4) {
                residues(limbs, g, r);
                for (int j = 0; j < 4; j++) {
                    markGroup(r[j], g + j, composite);
                }
            }
        }
        for (; g < MOD.length; g++) { // the last groups, or a candidate of another size (rare)
            markGroup(base.mod(BigInteger.valueOf(MOD[g])).longValue(), g, composite);
        }
    }

    /**
     * out[j] = base mod MOD[g + j] for j < 4, base given as LIMBS 64-bit limbs: Horner from the least
     * significant limb with a Montgomery reduction per limb (acc = (acc + limb) * 2^-64 mod m) gives
     * base * 2^(-64 * LIMBS), one more reduction of its product with TO_PLAIN gives base mod m. Four
     * groups at a time: each reduction waits for the one before, four chains keep the multiplier busy.
     */
    private static void residues(long[] limbs, int g, long[] out) {
        long m0 = MOD[g], m1 = MOD[g + 1], m2 = MOD[g + 2], m3 = MOD[g + 3];
        long n0 = NEG_INV[g], n1 = NEG_INV[g + 1], n2 = NEG_INV[g + 2], n3 = NEG_INV[g + 3];
        long a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (long limb : limbs) {
            a0 = reduceSum(a0, limb, m0, n0);
            a1 = reduceSum(a1, limb, m1, n1);
            a2 = reduceSum(a2, limb, m2, n2);
            a3 = reduceSum(a3, limb, m3, n3);
        }
        out[0] = plain(a0, g, m0, n0);
        out[1] = plain(a1, g + 1, m1, n1);
        out[2] = plain(a2, g + 2, m2, n2);
        out[3] = plain(a3, g + 3, m3, n3);
    }

    /** (acc + limb) * 2^-64 mod m, acc below m. */
    private static long reduceSum(long acc, long limb, long m, long negInv) {
        long lo = acc + limb;
        return redc(Long.compareUnsigned(lo, acc) < 0 ? 1 : 0, lo, m, negInv); // hi: the carry out of acc + limb
    }

    /** acc * 2^(64 * LIMBS) mod m: acc, TO_PLAIN below 2^62, so the signed high word is exact. */
    private static long plain(long acc, int g, long m, long negInv) {
        long k = TO_PLAIN[g];
        return redc(Math.multiplyHigh(acc, k), acc * k, m, negInv);
    }

    /**
     * Montgomery reduction: (hi * 2^64 + lo) * 2^-64 mod m, for hi * 2^64 + lo below m * 2^64 and m
     * odd below 2^62. q = lo * (-m^-1) makes lo + q*m divisible by 2^64; the carry out of that low
     * word is 1 unless lo = 0; the sum over 2^64 is below 2m.
     */
    private static long redc(long hi, long lo, long m, long negInv) {
        long q = lo * negInv;
        long t = hi + Math.multiplyHigh(q, m) + ((q >> 63) & m) + (lo != 0 ? 1 : 0); // unsigned high word of q*m (m > 0)
        return t >= m ? t - m : t;
    }

    /** Marks the multiples of group g's primes, given r = base mod the group's product (r below 2^62). */
    private static void markGroup(long r, int g, boolean[] composite) {
        for (int k = GROUP_START[g]; k < GROUP_START[g + 1]; k++) {
            int p = PRIMES[k];
            // r mod p by Barrett: the quotient estimate is at most 1 short since r < 2^62
            long rb = r - Math.multiplyHigh(r, RECIPROCAL[k]) * p;
            rb -= p & ((p - 1 - rb) >> 63);
            // base + 2i = 0 (mod p)  <=>  2i = t = -rb (mod p): i = t/2, or (t + p)/2 for odd t
            // (without branches: which way each goes is random, a misprediction costs more than this)
            int t = p - (int) rb; // in (0, p]; t = p gives i = p, reduced to 0 below
            int i = (t + (p & -(t & 1))) >>> 1;
            i -= p;
            i += p & (i >> 31);
            for (; i < WINDOW; i += p) {
                composite[i] = true;
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

    /** The magnitude of v (non-negative) as 64-bit limbs, least significant first. */
    private static long[] littleEndianLimbs(BigInteger v) {
        byte[] b = v.toByteArray();
        int n = (v.bitLength() + 63) / 64;
        long[] out = new long[n];
        for (int i = 0; i < b.length; i++) {
            int fromEnd = b.length - 1 - i;
            if (fromEnd / 8 < n) { // toByteArray's leading sign byte falls outside
                out[fromEnd / 8] |= (b[i] & 0xFFL) << (8 * (fromEnd % 8));
            }
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

    private static long[] reciprocals() {
        long[] out = new long[PRIMES.length];
        for (int k = 0; k < out.length; k++) {
            out[k] = Long.divideUnsigned(-1L, PRIMES[k]); // floor((2^64 - 1) / p) = floor(2^64 / p): p odd
        }
        return out;
    }

    private static int[] groups() {
        int[] starts = new int[PRIMES.length + 1];
        int n = 0;
        long product = 1;
        for (int k = 0; k < PRIMES.length; k++) {
            if (k == 0 || product > ((1L << 62) - 1) / PRIMES[k]) {
                starts[n++] = k;
                product = 1;
            }
            product *= PRIMES[k];
        }
        starts[n++] = PRIMES.length;
        return Arrays.copyOf(starts, n);
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

    private static long[] negInverses() {
        long[] out = new long[MOD.length];
        for (int g = 0; g < out.length; g++) {
            long m = MOD[g];
            long inv = m; // correct to 3 bits for odd m; each Newton step doubles that
            for (int i = 0; i < 5; i++) {
                inv *= 2 - m * inv;
            }
            out[g] = -inv;
        }
        return out;
    }

    private static long[] toPlain() {
        long[] out = new long[MOD.length];
        for (int g = 0; g < out.length; g++) {
            out[g] = toPlain(MOD[g], NEG_INV[g]);
        }
        return out;
    }

    /**
     * 2^(64 * (LIMBS + 1)) mod m (one call per group, so that the JIT compiles it early: this runs
     * when the first RSA key is made). 2^128 mod m by doubling 2^64 mod m, then Montgomery squarings:
     * redc(2^(64a) * 2^(64a)) = 2^(64(2a - 1)), from a = 2 through 3, 5, 9 to 17.
     */
    private static long toPlain(long m, long negInv) {
        long r = Long.remainderUnsigned(-1L, m) + 1; // 2^64 mod m, possibly m itself
        r = r == m ? 0 : r;
        for (int i = 0; i < 64; i++) { // r < m < 2^62: doubling cannot overflow
            r <<= 1;
            r = r >= m ? r - m : r;
        }
        for (int a = 2; a < LIMBS + 1; a = 2 * a - 1) {
            r = redc(Math.multiplyHigh(r, r), r * r, m, negInv);
        }
        return r;
    }
}
