package org.qemu.helpers.common.sample;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.qemu.helpers.common.bus.DBusErrors;
import org.qemu.helpers.common.bus.ExportHandle;
import org.qemu.helpers.common.bus.HelperIdentity;
import org.qemu.helpers.common.bus.HelperRuntime;
import org.qemu.helpers.common.bus.PropertyTable;
import org.qemu.helpers.common.cli.HelperCommand;
import org.qemu.helpers.common.cli.HelperVersion;
import org.qemu.helpers.common.listen.Listen;
import org.qemu.helpers.common.trust.TrustLevel;
import org.qemu.helpers.common.vmstate.InvalidStateException;
import org.qemu.helpers.common.vmstate.VMStateCodec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A test helper built exactly like a real one (HelperCommand, export, VMState codec): one
 * string of state, readable by helpers, settable by admins, migrated by QEMU.
 */
@Command(name = "sample-helper", mixinStandardHelpOptions = true, versionProvider = HelperVersion.class)
public final class SampleHelper extends HelperCommand implements Sample1 {
    static final String PATH = "/org/qemu/Sample1";
    static final int MAX_VALUE = 4096;

    @Option(names = "--bus-name", defaultValue = "org.qemu.Sample1")
    String busName;

    @Option(names = "--vmstate-id", defaultValue = "sample")
    String vmStateId;

    @Option(names = "--initial", defaultValue = "")
    String initial;

    @Option(names = "--description", defaultValue = "A test helper")
    String description;

    @Option(names = "--listen", description = "A Unix stream socket to open in serve (for the readiness tests).")
    java.nio.file.Path listen;

    @Option(names = "--serve-delay-ms", defaultValue = "0", description = "Wait this long in serve before listening.")
    long serveDelayMs;


    private volatile String value;
    private volatile String note = "";
    private ExportHandle handle;
    private HelperRuntime rt;

    public static void main(String[] args) {
        HelperCommand.launch(new SampleHelper(), args);
    }

    @Override
    protected HelperIdentity identity() {
        return new HelperIdentity("sample", busName, description, vmStateId, List.of("org.qemu.Sample1"));
    }

    @Override
    protected void serve(HelperRuntime rt) throws Exception {
        this.rt = rt;
        value = initial;
        PropertyTable props = new PropertyTable("org.qemu.Sample1")
                .readOnly("Value", "s", () -> value)
                .writable("Note", "s", () -> note, v -> note = checked(v), TrustLevel.HELPER, TrustLevel.ADMIN);
        handle = rt.export(PATH, Sample1.class, this, props);
        if (!vmStateId.isEmpty()) {
            rt.serveVMState(new Codec());
        }
        if (listen != null) {
            Thread.sleep(serveDelayMs); // a listener that takes a while, as tpm-stub's opens after its state
            rt.onClose(Listen.unixStream(listen, 4));
        }
        rt.readyDetail("value", value);
    }

    @Override
    public String GetValue() {
        return value;
    }

    @Override
    public void SetValue(String v) {
        value = checked(v);
        handle.propertiesChanged("org.qemu.Sample1", "Value");
        try {
            rt.signals().sendMessage(new ValueSet(PATH, value));
        } catch (org.freedesktop.dbus.exceptions.DBusException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String checked(Object v) {
        if (!(v instanceof String s) || s.length() > MAX_VALUE) {
            throw DBusErrors.invalidArgs("value must be a string of at most " + MAX_VALUE + " characters");
        }
        return s;
    }

    @Override
    public String getObjectPath() {
        return PATH;
    }

    /** Payload: the value in UTF-8; version 1. */
    private final class Codec implements VMStateCodec<String> {
        public int payloadVersion() {
            return 1;
        }

        public byte[] save() {
            return value.getBytes(StandardCharsets.UTF_8);
        }

        public String decode(byte[] payload, int version) throws InvalidStateException {
            if (version != 1) {
                throw new InvalidStateException("payload version " + version + " unknown (want 1)");
            }
            if (payload.length > MAX_VALUE * 4) {
                throw new InvalidStateException("value longer than " + MAX_VALUE + " characters");
            }
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(payload)).toString();
            } catch (CharacterCodingException e) {
                throw new InvalidStateException("value is not valid UTF-8");
            }
        }

        public void apply(String decoded) {
            value = decoded;
        }
    }
}
