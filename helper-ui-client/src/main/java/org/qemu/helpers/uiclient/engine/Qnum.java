package org.qemu.helpers.uiclient.engine;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * QEMU "qnum" key numbers (what org.qemu.Display1.Keyboard.Press/Release take): the PC/XT
 * scancode set 1 make code, with an {@code E0 xx} extended code sent as {@code 0x80 | xx}.
 *
 * <p>The table from browser {@code KeyboardEvent.code} values (W3C UI Events KeyboardEvent code
 * values, which name keys by their position on a US keyboard) is written here from the set-1
 * make codes of the IBM PC/AT keyboard; it was not copied from keycodemapdb (whose data files
 * are GPL-2.0-or-later / BSD-3-Clause dual-licensed), so no licence obligation comes with it.
 */
public final class Qnum {
    public static final int ESCAPE = 0x01;
    public static final int BACKSPACE = 0x0e;
    public static final int TAB = 0x0f;
    public static final int ENTER = 0x1c;
    public static final int CONTROL_LEFT = 0x1d;
    public static final int SHIFT_LEFT = 0x2a;
    public static final int SHIFT_RIGHT = 0x36;
    public static final int ALT_LEFT = 0x38;
    public static final int SPACE = 0x39;
    public static final int CAPS_LOCK = 0x3a;
    public static final int NUM_LOCK = 0x45;
    public static final int SCROLL_LOCK = 0x46;
    public static final int CONTROL_RIGHT = 0x80 | 0x1d;
    public static final int ALT_RIGHT = 0x80 | 0x38;

    private static final Map<String, Integer> BY_CODE = buildCodes();

    private Qnum() {
    }

    /** The qnum for a browser {@code KeyboardEvent.code}, if the key has one. */
    public static Optional<Integer> fromBrowserCode(String code) {
        return Optional.ofNullable(code == null ? null : BY_CODE.get(code));
    }

    /** Every browser code this table knows (for tests and docs). */
    public static Map<String, Integer> browserCodes() {
        return BY_CODE;
    }

    private static Map<String, Integer> buildCodes() {
        Map<String, Integer> m = new HashMap<>();
        m.put("Escape", ESCAPE);
        String digits = "1234567890";
        for (int i = 0; i < digits.length(); i++) {
            m.put("Digit" + digits.charAt(i), 0x02 + i);          // 1..0 = 02..0B
        }
        m.put("Minus", 0x0c);
        m.put("Equal", 0x0d);
        m.put("Backspace", BACKSPACE);
        m.put("Tab", TAB);
        letters(m, "QWERTYUIOP", 0x10);                            // top row 10..19
        m.put("BracketLeft", 0x1a);
        m.put("BracketRight", 0x1b);
        m.put("Enter", ENTER);
        m.put("ControlLeft", CONTROL_LEFT);
        letters(m, "ASDFGHJKL", 0x1e);                             // home row 1E..26
        m.put("Semicolon", 0x27);
        m.put("Quote", 0x28);
        m.put("Backquote", 0x29);
        m.put("ShiftLeft", SHIFT_LEFT);
        m.put("Backslash", 0x2b);
        letters(m, "ZXCVBNM", 0x2c);                               // bottom row 2C..32
        m.put("Comma", 0x33);
        m.put("Period", 0x34);
        m.put("Slash", 0x35);
        m.put("ShiftRight", SHIFT_RIGHT);
        m.put("NumpadMultiply", 0x37);
        m.put("AltLeft", ALT_LEFT);
        m.put("Space", SPACE);
        m.put("CapsLock", CAPS_LOCK);
        for (int i = 1; i <= 10; i++) {
            m.put("F" + i, 0x3a + i);                              // F1..F10 = 3B..44
        }
        m.put("NumLock", NUM_LOCK);
        m.put("ScrollLock", SCROLL_LOCK);
        m.put("Numpad7", 0x47);
        m.put("Numpad8", 0x48);
        m.put("Numpad9", 0x49);
        m.put("NumpadSubtract", 0x4a);
        m.put("Numpad4", 0x4b);
        m.put("Numpad5", 0x4c);
        m.put("Numpad6", 0x4d);
        m.put("NumpadAdd", 0x4e);
        m.put("Numpad1", 0x4f);
        m.put("Numpad2", 0x50);
        m.put("Numpad3", 0x51);
        m.put("Numpad0", 0x52);
        m.put("NumpadDecimal", 0x53);
        m.put("IntlBackslash", 0x56);
        m.put("F11", 0x57);
        m.put("F12", 0x58);
        m.put("IntlRo", 0x73);
        m.put("IntlYen", 0x7d);
        // E0-prefixed keys: qnum = 0x80 | second byte.
        m.put("NumpadEnter", 0x80 | 0x1c);
        m.put("ControlRight", CONTROL_RIGHT);
        m.put("NumpadDivide", 0x80 | 0x35);
        m.put("PrintScreen", 0x80 | 0x37);
        m.put("AltRight", ALT_RIGHT);
        m.put("Pause", 0x80 | 0x46);                               // QEMU maps Pause to E0 46 (qnum 0xC6)
        m.put("Home", 0x80 | 0x47);
        m.put("ArrowUp", 0x80 | 0x48);
        m.put("PageUp", 0x80 | 0x49);
        m.put("ArrowLeft", 0x80 | 0x4b);
        m.put("ArrowRight", 0x80 | 0x4d);
        m.put("End", 0x80 | 0x4f);
        m.put("ArrowDown", 0x80 | 0x50);
        m.put("PageDown", 0x80 | 0x51);
        m.put("Insert", 0x80 | 0x52);
        m.put("Delete", 0x80 | 0x53);
        m.put("MetaLeft", 0x80 | 0x5b);
        m.put("MetaRight", 0x80 | 0x5c);
        m.put("OSLeft", 0x80 | 0x5b);                              // older browsers' names
        m.put("OSRight", 0x80 | 0x5c);
        m.put("ContextMenu", 0x80 | 0x5d);
        return Collections.unmodifiableMap(m);
    }

    private static void letters(Map<String, Integer> m, String row, int first) {
        for (int i = 0; i < row.length(); i++) {
            m.put("Key" + row.charAt(i), first + i);
        }
    }
}
