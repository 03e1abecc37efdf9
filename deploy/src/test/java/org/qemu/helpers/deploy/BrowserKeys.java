package org.qemu.helpers.deploy;

import org.qemu.helpers.common.testing.Chromium;

/** Typing into the web console's screen as a user does: real key events through Chromium, US layout, no Shift. */
public final class BrowserKeys {
    private BrowserKeys() {
    }

    /** Focuses the console's canvas and types {@code text}: a-z, 0-9, space, '-', '=', '/', '.' and newline. */
    public static void type(Chromium browser, String text) throws Exception {
        browser.eval("document.getElementById('screen').focus(); true");
        for (char ch : text.toCharArray()) {
            if (ch >= 'a' && ch <= 'z') {
                browser.key("Key" + Character.toUpperCase(ch), String.valueOf(ch), Character.toUpperCase(ch));
            } else if (ch >= '0' && ch <= '9') {
                browser.key("Digit" + ch, String.valueOf(ch), ch);
            } else if (ch == ' ') {
                browser.key("Space", " ", 32);
            } else if (ch == '-') {
                browser.key("Minus", "-", 189);
            } else if (ch == '=') {
                browser.key("Equal", "=", 187);
            } else if (ch == '/') {
                browser.key("Slash", "/", 191);
            } else if (ch == '.') {
                browser.key("Period", ".", 190);
            } else if (ch == '\n') {
                browser.key("Enter", "Enter", 13);
            } else {
                throw new IllegalArgumentException("no key for '" + ch + "' without Shift");
            }
        }
    }
}
