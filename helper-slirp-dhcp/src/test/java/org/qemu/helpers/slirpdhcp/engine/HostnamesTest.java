package org.qemu.helpers.slirpdhcp.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class HostnamesTest {
    @Test
    void hostileHostnamesAreReducedToOneValidLabel() {
        assertEquals(Optional.of("my-vm"), Hostnames.sanitizeLabel("My_VM.example.com"));
        assertEquals(Optional.of("evilrm--rf"), Hostnames.sanitizeLabel("-evil;rm -rf/\n"));
        assertEquals(Optional.of("abc"), Hostnames.sanitizeLabel("a\u0000bc".replace("\u0000", "") ));
        assertEquals(Optional.empty(), Hostnames.sanitizeLabel("..."));
        assertEquals(Optional.empty(), Hostnames.sanitizeLabel(new byte[] {(byte) 0xff, (byte) 0xc3, '$'}));
        String longName = "x".repeat(300);
        assertEquals(63, Hostnames.sanitizeLabel(longName).orElseThrow().length());
        for (int i = 0; i < 2000; i++) {
            byte[] raw = new byte[i % 80];
            new java.util.Random(i).nextBytes(raw);
            Hostnames.sanitizeLabel(raw).ifPresent(l -> assertTrue(Hostnames.isValidLabel(l), l));
        }
    }

    @Test
    void namesAreValidatedAndEscapedForLogs() {
        assertEquals("www.vm.internal", Hostnames.normalizeName("WWW.vm.internal."));
        assertThrows(IllegalArgumentException.class, () -> Hostnames.normalizeName("bad name"));
        assertThrows(IllegalArgumentException.class, () -> Hostnames.normalizeName("a..b"));
        assertFalse(Hostnames.isValidLabel("-a"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Hostnames.normalizeName("a\nb"));
        assertTrue(e.getMessage().startsWith("'a\\x0ab' is not a valid DNS name"), e.getMessage());
    }
}
