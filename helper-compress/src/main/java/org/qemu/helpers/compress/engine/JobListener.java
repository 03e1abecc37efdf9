package org.qemu.helpers.compress.engine;

/** Told of every state change of every job, on the thread that made it. */
public interface JobListener {
    void stateChanged(Job job, JobState from);
}
