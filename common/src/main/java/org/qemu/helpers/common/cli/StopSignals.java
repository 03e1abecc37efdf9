package org.qemu.helpers.common.cli;

import org.qemu.helpers.common.bus.HelperRuntime;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT end the helper cleanly: instead of the JVM's default (run shutdown hooks,
 * exit 143) the main thread is woken to release the names and return 0.
 */
final class StopSignals {
    private StopSignals() {
    }

    static void install(HelperRuntime rt) {
        Signal.handle(new Signal("TERM"), s -> rt.requestStop("SIGTERM"));
        Signal.handle(new Signal("INT"), s -> rt.requestStop("SIGINT"));
    }
}
