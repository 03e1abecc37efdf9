package org.qemu.helpers.compress.engine;

/** A job's life: queued, running, then one of the three final states. Wire names are the bus's. */
public enum JobState {
    QUEUED("queued"), RUNNING("running"), DONE("done"), FAILED("failed"), CANCELLED("cancelled");

    private final String wire;

    JobState(String wire) { this.wire = wire; }

    public String wire() { return wire; }

    public boolean isFinal() { return this == DONE || this == FAILED || this == CANCELLED; }
}
