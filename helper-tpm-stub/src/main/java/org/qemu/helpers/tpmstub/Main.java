package org.qemu.helpers.tpmstub;

import org.qemu.helpers.tpmstub.device.TpmDevice;
import java.io.IOException;
import java.util.EnumSet;

import org.qemu.helpers.common.bus.ExportHandle;
import org.qemu.helpers.common.bus.HelperRuntime;
import org.qemu.helpers.common.bus.Identity;
import org.qemu.helpers.common.cli.ConfigException;
import org.qemu.helpers.common.cli.HelperCommand;
import org.qemu.helpers.common.cli.HelperVersion;
import org.qemu.helpers.common.listen.ListenException;
import org.qemu.helpers.common.log.HelperLog;
import org.qemu.helpers.tpmstub.dbus.TpmStub1;
import org.qemu.helpers.tpmstub.dbus.TpmStubService;
import org.qemu.helpers.tpmstub.dbus.TpmVMStateCodec;
import org.qemu.helpers.tpmstub.engine.HashAlg;
import org.qemu.helpers.tpmstub.engine.StateFormatException;
import org.qemu.helpers.tpmstub.store.StateStore;
import org.qemu.helpers.tpmstub.transport.Endpoint;
import org.qemu.helpers.tpmstub.transport.TpmServer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** helper-tpm-stub: a TPM 2.0 for one VM, speaking swtpm's protocols, on the VM's bus. */
@Command(name = "helper-tpm-stub", mixinStandardHelpOptions = true, versionProvider = HelperVersion.class,
        description = "A software TPM 2.0 (PCRs, random, capabilities) for QEMU's tpm-emulator and tpm2-tools.")
@Identity(name = "tpm-stub", description = "Software TPM 2.0 (swtpm protocols)", serves = TpmStub1.class)
public final class Main extends HelperCommand {
    @Option(names = "--server", paramLabel = "tcp:HOST:PORT|unix:PATH",
            description = "Data channel (TPM commands), as swtpm's --server.")
    String server;

    @Option(names = "--ctrl", paramLabel = "tcp:HOST:PORT|unix:PATH",
            description = "Control channel (swtpm ctrl protocol; QEMU's -chardev socket path for unix).")
    String ctrl;

    @Option(names = "--banks", paramLabel = "BANK[,BANK...]", defaultValue = "sha1,sha256,sha384,sha512",
            description = "PCR banks allocated when the TPM state is created (default: ${DEFAULT-VALUE}).")
    String banks;

    public static void main(String[] args) {
        HelperCommand.launch(new Main(), args);
    }

    static EnumSet<HashAlg> parseBanks(String s) throws ConfigException {
        EnumSet<HashAlg> set = EnumSet.noneOf(HashAlg.class);
        for (String b : s.split(",")) {
            HashAlg h = HashAlg.byBankName(b.trim()).orElseThrow(() -> ConfigException.option("--banks",
                    "unknown bank '" + b.trim() + "'; allowed: sha1, sha256, sha384, sha512"));
            set.add(h);
        }
        if (set.isEmpty()) {
            throw ConfigException.option("--banks", "name at least one of sha1, sha256, sha384, sha512");
        }
        return set;
    }

    private static Endpoint endpoint(String option, String value) throws ConfigException {
        if (value == null) {
            return null;
        }
        try {
            return Endpoint.parse(value);
        } catch (IllegalArgumentException e) {
            throw ConfigException.option(option, e.getMessage());
        }
    }

    @Override
    protected void serve(HelperRuntime rt) throws Exception {
        HelperLog log = rt.log();
        Endpoint dataEp = endpoint("--server", server);
        Endpoint ctrlEp = endpoint("--ctrl", ctrl);
        if (dataEp == null && ctrlEp == null) {
            throw ConfigException.option("--server", "give --server and/or --ctrl, or the TPM is unreachable");
        }
        EnumSet<HashAlg> bankSet = parseBanks(banks);
        StateStore store = StateStore.open(rt.stateDir());
        TpmDevice device;
        try {
            device = TpmDevice.open(store, bankSet, log);
        } catch (TpmDevice.BanksMismatchException e) {
            store.close();
            throw ConfigException.option("--banks", e.getMessage());
        } catch (StateFormatException e) {
            store.close();
            throw new ConfigException("the TPM state in " + rt.stateDir() + " is unreadable (" + e.getMessage()
                    + "); restore it from a backup or remove " + StateStore.PERMANENT + " to start a new TPM");
        }
        rt.onClose(device);
        device.setHealth(rt.health());
        TpmStubService svc = new TpmStubService(device);
        ExportHandle h = rt.export(svc, svc.properties());
        device.addListener(() -> h.propertiesChanged(TpmStubService.INTERFACE, TpmStubService.DYNAMIC));
        rt.serveVMState(new TpmVMStateCodec(device));
        TpmServer tpmServer = rt.onClose(new TpmServer(device, log));
        try {
            tpmServer.start(dataEp, ctrlEp);
        } catch (ListenException e) {
            throw e; // address taken or path not a stale socket: ExitCodes.STARTUP, as in every helper
        } catch (IOException e) {
            throw ConfigException.option(dataEp != null ? "--server" : "--ctrl", "cannot listen: " + e.getMessage());
        }
        rt.readyDetail("server", String.valueOf(dataEp), "ctrl", String.valueOf(ctrlEp),
                "banks", String.join(",", device.status().banks()));
    }
}
