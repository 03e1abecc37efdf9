package org.qemu.helpers.uiclient.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * Text to key presses on a US keyboard: each character becomes its key (with left Shift held
 * for capitals and the shifted symbols), pressed then released. Only printable ASCII, newline
 * (Enter) and tab are typeable; anything else is refused before any key is sent.
 */
public final class UsLayout {
    /** Longest text accepted in one call (each character is up to 4 D-Bus calls). */
    public static final int MAX_TEXT = 4096;

    // Index = character - 0x20; value = qnum | SHIFTED. Built from the US layout's key caps.
    private static final int SHIFTED = 0x1000;
    private static final int[] KEYS = new int[0x7f - 0x20];

    static {
        put(' ', Qnum.SPACE);
        String unshifted = "1234567890-=";
        String shifted = "!@#$%^&*()_+";
        for (int i = 0; i < unshifted.length(); i++) {
            put(unshifted.charAt(i), 0x02 + i);
            put(shifted.charAt(i), (0x02 + i) | SHIFTED);
        }
        row("qwertyuiop[]", "QWERTYUIOP{}", 0x10);
        row("asdfghjkl;'`", "ASDFGHJKL:\"~", 0x1e);
        put('\\', 0x2b);
        put('|', 0x2b | SHIFTED);
        row("zxcvbnm,./", "ZXCVBNM<>?", 0x2c);
    }

    private UsLayout() {
    }

    /**
     * The press/release sequence for {@code text}.
     *
     * @throws IllegalArgumentException naming the first character that has no US key, or if
     *     the text is longer than {@link #MAX_TEXT}
     */
    public static List<KeyEvent> keys(String text) {
        if (text.length() > MAX_TEXT) {
            throw new IllegalArgumentException("text has " + text.length() + " characters, at most " + MAX_TEXT
                    + " are typed per call");
        }
        List<KeyEvent> out = new ArrayList<>(text.length() * 2);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int k = key(c);
            if (k < 0) {
                throw new IllegalArgumentException(String.format(
                        "character U+%04X at index %d has no key on a US keyboard (printable ASCII, \\n and \\t only)",
                        (int) c, i));
            }
            boolean shift = (k & SHIFTED) != 0;
            int q = k & 0xff;
            if (shift) {
                out.add(KeyEvent.press(Qnum.SHIFT_LEFT));
            }
            out.add(KeyEvent.press(q));
            out.add(KeyEvent.release(q));
            if (shift) {
                out.add(KeyEvent.release(Qnum.SHIFT_LEFT));
            }
        }
        return out;
    }

    private static int key(char c) {
        if (c == '\n') {
            return Qnum.ENTER;
        }
        if (c == '\t') {
            return Qnum.TAB;
        }
        if (c < 0x20 || c >= 0x7f) {
            return -1;
        }
        int k = KEYS[c - 0x20];
        return k == 0 ? -1 : k;
    }

    private static void put(char c, int v) {
        KEYS[c - 0x20] = v;
    }

    private static void row(String lower, String upper, int first) {
        for (int i = 0; i < lower.length(); i++) {
            put(lower.charAt(i), first + i);
            put(upper.charAt(i), (first + i) | SHIFTED);
        }
    }
}
