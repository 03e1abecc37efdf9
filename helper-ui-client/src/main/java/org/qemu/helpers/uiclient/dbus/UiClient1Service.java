package org.qemu.helpers.uiclient.dbus;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.freedesktop.dbus.types.UInt32;
import org.qemu.UiClient1.Error.NoDisplay;
import org.qemu.UiClient1.Error.UntrustedDisplay;
import org.qemu.helpers.common.bus.DBusErrors;
import org.qemu.helpers.common.bus.PropertyTable;
import org.qemu.helpers.uiclient.display.DisplayClient;
import org.qemu.helpers.uiclient.display.DisplayUnavailableException;
import org.qemu.helpers.uiclient.engine.ConsoleDisplay;
import org.qemu.helpers.uiclient.engine.KeyEvent;
import org.qemu.helpers.uiclient.engine.PngCodec;
import org.qemu.helpers.uiclient.engine.UsLayout;

/** The exported org.qemu.UiClient1: validates arguments and maps display errors to D-Bus errors. */
public final class UiClient1Service implements UiClient1 {
    public static final String PATH = "/org/qemu/UiClient1";
    public static final String IFACE = "org.qemu.UiClient1";
    /** How long Screenshot waits for the console's current frame (DisplayClient.currentFrame). */
    private static final Duration FIRST_FRAME = Duration.ofSeconds(5);

    private final DisplayClient display;
    private volatile String webConsole = "";

    public UiClient1Service(DisplayClient display) {
        this.display = display;
    }

    /** Sets the WebConsole property (the web console's base URL, without its token). */
    public void setWebConsole(String url) {
        webConsole = url;
    }

    public PropertyTable properties() {
        return new PropertyTable(IFACE)
                .readOnly("Consoles", "au", this::consoleIds)
                .readOnly("DisplayState", "s", () -> display.state().name().toLowerCase(java.util.Locale.ROOT))
                .readOnly("VmName", "s", () -> display.vm().map(v -> v.name()).orElse(""))
                .readOnly("WebConsole", "s", () -> webConsole);
    }

    private List<UInt32> consoleIds() {
        List<UInt32> out = new ArrayList<>();
        display.consoles().forEach(c -> out.add(new UInt32(c.id())));
        return out;
    }

    @Override
    public byte[] Screenshot(UInt32 console) {
        int id = checkedId(console);
        displayOf(console);
        ConsoleDisplay.Frame f;
        try {
            f = display.currentFrame(id, FIRST_FRAME);
        } catch (DisplayUnavailableException e) {
            throw unavailable(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NoDisplay("console " + id + ": interrupted while waiting for its current frame");
        }
        return PngCodec.encode(f, false);
    }

    @Override
    public void TypeText(UInt32 console, String text) {
        List<KeyEvent> keys;
        try {
            keys = UsLayout.keys(text);
        } catch (IllegalArgumentException e) {
            throw DBusErrors.invalidArgs(e.getMessage());
        }
        try {
            display.keys(checkedId(console), keys);
        } catch (DisplayUnavailableException e) {
            throw unavailable(e.getMessage());
        }
    }

    private ConsoleDisplay displayOf(UInt32 console) {
        int id = checkedId(console);
        if (display.state() == DisplayClient.State.REFUSED) {
            throw new UntrustedDisplay("refusing the owner of org.qemu: " + display.refusal());
        }
        return display.display(id).orElseThrow(() -> new NoDisplay(
                display.state() == DisplayClient.State.ATTACHED ? "no console " + id + "; consoles: " + consoleIds()
                        : "no QEMU display on the bus (org.qemu has no owner)"));
    }

    @Override
    public String getObjectPath() {
        return PATH;
    }

    private static int checkedId(UInt32 console) {
        if (console.longValue() > 1023) {
            throw DBusErrors.invalidArgs("console " + console + " is out of range (0..1023)");
        }
        return console.intValue();
    }

    private RuntimeException unavailable(String message) {
        return display.state() == DisplayClient.State.REFUSED ? new UntrustedDisplay(message) : new NoDisplay(message);
    }
}
