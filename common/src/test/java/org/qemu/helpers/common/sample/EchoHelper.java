package org.qemu.helpers.common.sample;

import static java.nio.charset.StandardCharsets.UTF_8;

import org.qemu.helpers.common.bus.DBusErrors;
import org.qemu.helpers.common.bus.ExportHandle;
import org.qemu.helpers.common.bus.HelperRuntime;
import org.qemu.helpers.common.bus.PropertyTable;
import org.qemu.helpers.common.cli.HelperCommand;
import org.qemu.helpers.common.vmstate.VMStateCodec;
import picocli.CommandLine.Command;

/**
 * The template helper (README "Write a new helper"): one gated method (Set, admin, from Echo1's @MinTrust),
 * one property (Text), one signal (TextSet), discovery (org.qemu.Helper1) and a VMState codec (Id "echo").
 * Name and description come from @Command; bus name, object path and the Interfaces list from Echo1's
 * @DBusInterfaceName; the property's signature from its @DBusProperty; --help, --version and the common
 * options, the trust gate, the exit codes and the log from HelperCommand; readiness from serve returning.
 */
@Command(name = "echo", description = "Echoes a text to the VM's helpers")
public final class EchoHelper extends HelperCommand implements Echo1 {
    private volatile String text = "";
    private ExportHandle handle;

    public static void main(String[] args) {
        launch(new EchoHelper(), args);
    }

    @Override
    protected void serve(HelperRuntime rt) {
        handle = rt.export(this, PropertyTable.of(Echo1.class).readOnly("Text", () -> text));
        rt.serveVMState(VMStateCodec.of(1, () -> text.getBytes(UTF_8), b -> VMStateCodec.utf8(b, 4096), t -> text = t));
    }

    @Override
    public void Set(String t) {
        text = DBusErrors.bounded(t, 4096, "text");
        handle.changed("Text");
        handle.signal(path -> new TextSet(path, t));
    }
}
