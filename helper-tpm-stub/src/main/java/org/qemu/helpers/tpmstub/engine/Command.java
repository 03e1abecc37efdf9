package org.qemu.helpers.tpmstub.engine;

/**
 * One command being executed: its code, its validated handles, its parameter area (the reader is
 * positioned at the first parameter), the response parameter area and the locality it came from.
 */
record Command(CommandCode cc, long[] handles, TpmReader in, TpmWriter out, int locality) {
    long handle(int i) {
        return handles[i];
    }
}
