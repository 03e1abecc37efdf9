package org.qemu.helpers.uiclient.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KeyboardTest {
    @Test
    void lowercaseLetterIsPressAndRelease() {
        assertEquals(List.of(KeyEvent.press(0x1e), KeyEvent.release(0x1e)), UsLayout.keys("a"));
    }

    @Test
    void capitalAndShiftedSymbolsHoldLeftShift() {
        assertEquals(List.of(KeyEvent.press(0x2a), KeyEvent.press(0x1e), KeyEvent.release(0x1e),
                KeyEvent.release(0x2a)), UsLayout.keys("A"));
        assertEquals(List.of(KeyEvent.press(0x2a), KeyEvent.press(0x03), KeyEvent.release(0x03),
                KeyEvent.release(0x2a)), UsLayout.keys("@"));
        assertEquals(List.of(KeyEvent.press(0x2a), KeyEvent.press(0x2b), KeyEvent.release(0x2b),
                KeyEvent.release(0x2a)), UsLayout.keys("|"));
    }

    @Test
    void textWithEnterTypesEveryCharacter() {
        List<KeyEvent> k = UsLayout.keys("ls -l /\n");
        assertEquals(16, k.size());
        assertEquals(KeyEvent.press(0x26), k.get(0));       // l
        assertEquals(KeyEvent.press(0x1f), k.get(2));       // s
        assertEquals(KeyEvent.press(0x39), k.get(4));       // space
        assertEquals(KeyEvent.press(0x0c), k.get(6));       // -
        assertEquals(KeyEvent.press(0x35), k.get(12));      // /
        assertEquals(KeyEvent.press(0x1c), k.get(14));      // Enter
    }

    @Test
    void everyPrintableAsciiCharacterHasAKey() {
        for (char c = 0x20; c < 0x7f; c++) {
            assertTrue(UsLayout.keys(String.valueOf(c)).size() >= 2, "char " + c);
        }
    }

    @Test
    void untypeableTextIsRefusedNamingTheCharacter() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> UsLayout.keys("ab\u00e9"));
        assertTrue(e.getMessage().contains("U+00E9") && e.getMessage().contains("index 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> UsLayout.keys("x".repeat(UsLayout.MAX_TEXT + 1)));
    }

    @Test
    void browserCodesMapToSetOneAndExtendedKeysSetBit7() {
        assertEquals(0x1e, Qnum.fromBrowserCode("KeyA").orElseThrow());
        assertEquals(0x10, Qnum.fromBrowserCode("KeyQ").orElseThrow());
        assertEquals(0x0b, Qnum.fromBrowserCode("Digit0").orElseThrow());
        assertEquals(0x3b, Qnum.fromBrowserCode("F1").orElseThrow());
        assertEquals(0x44, Qnum.fromBrowserCode("F10").orElseThrow());
        assertEquals(0x58, Qnum.fromBrowserCode("F12").orElseThrow());
        assertEquals(157, Qnum.fromBrowserCode("ControlRight").orElseThrow(), "shared/README: right Ctrl = 157");
        assertEquals(0xc8, Qnum.fromBrowserCode("ArrowUp").orElseThrow());
        assertEquals(0x3a, Qnum.fromBrowserCode("CapsLock").orElseThrow());
        assertTrue(Qnum.fromBrowserCode("NoSuchKey").isEmpty());
        assertTrue(Qnum.fromBrowserCode(null).isEmpty());
    }

    @Test
    void browserTableAgreesWithTextLayoutForTheLetterKeys() {
        for (char c = 'a'; c <= 'z'; c++) {
            int fromText = UsLayout.keys(String.valueOf(c)).get(0).qnum();
            int fromCode = Qnum.fromBrowserCode("Key" + Character.toUpperCase(c)).orElseThrow();
            assertEquals(fromCode, fromText, "key " + c);
        }
        Set<Integer> distinct = new HashSet<>(Qnum.browserCodes().values());
        assertTrue(distinct.size() >= 100, "a full 104-key table, got " + distinct.size());
    }
}
