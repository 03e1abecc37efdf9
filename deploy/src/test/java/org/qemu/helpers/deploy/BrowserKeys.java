package org.qemu.helpers.deploy;

import java.util.Map;
import org.qemu.helpers.common.testing.Chromium;

/** Typing into the web console's screen as a user does: real key events through Chromium, US layout, no Shift. */
public final class BrowserKeys {
    /** A key as DevTools' Input.dispatchKeyEvent names it: KeyboardEvent.code, .key and the Windows key code. */
    private record Key(String code, String key, int windowsKeyCode) {
    }

    private static final Map<Character, Key> OTHERS = Map.of(' ', new Key("Space", " ", 32),
            '-', new Key("Minus", "-", 189), '=', new Key("Equal", "=", 187), '/', new Key("Slash", "/", 191),
            '.', new Key("Period", ".", 190), '\n', new Key("Enter", "Enter", 13));

    private BrowserKeys() {
    }

    /** Focuses the console's canvas and types {@code text}: a-z, 0-9, space, '-', '=', '/', '.' and newline. */
    public static void type(Chromium browser, String text) throws Exception {
        browser.eval("document.getElementById('screen').focus(); true");
        for (char ch : text.toCharArray()) {
            Key k = key(ch);
            browser.key(k.code(), k.key(), k.windowsKeyCode());
        }
    }

    private static Key key(char ch) {
        if (ch >= 'a' && ch <= 'z') {
            return new Key("Key" + Character.toUpperCase(ch), String.valueOf(ch), Character.toUpperCase(ch));
        }
        if (ch >= '0' && ch <= '9') {
            return new Key("Digit" + ch, String.valueOf(ch), ch);
        }
        Key k = OTHERS.get(ch);
        if (k == null) {
            throw new IllegalArgumentException("no key for '" + ch + "' without Shift");
        }
        return k;
    }
}
