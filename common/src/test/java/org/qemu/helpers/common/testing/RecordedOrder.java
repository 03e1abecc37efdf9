package org.qemu.helpers.common.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.qemu.helpers.common.store.WriteOrder;

/** Records a store's write, force and reply steps; asserts each reply came after the force that covers it. */
public final class RecordedOrder implements WriteOrder {
    /** One recorded step. */
    public record Entry(Step step, long seq) { }

    private final List<Entry> entries = new ArrayList<>();

    @Override
    public synchronized void record(Step step, long seq) {
        entries.add(new Entry(step, seq));
    }

    public synchronized List<Entry> entries() {
        return List.copyOf(entries);
    }

    /** Number of replies recorded. */
    public synchronized long replies() {
        return entries.stream().filter(e -> e.step() == Step.REPLY).count();
    }

    /**
     * Every REPLY of sequence n has, before it, a WRITE of n and after that WRITE a FORCE of a
     * sequence of at least n; fails naming the first reply that has not.
     */
    public synchronized void assertEachReplyAfterItsForce() {
        assertTrue(replies() > 0, "no reply recorded: " + entries);
        for (int i = 0; i < entries.size(); i++) {
            Entry r = entries.get(i);
            if (r.step() != Step.REPLY) {
                continue;
            }
            int written = -1;
            for (int j = 0; j < i; j++) {
                if (entries.get(j).step() == Step.WRITE && entries.get(j).seq() == r.seq()) {
                    written = j;
                }
            }
            boolean forced = false;
            for (int j = written + 1; written >= 0 && j < i; j++) {
                forced |= entries.get(j).step() == Step.FORCE && entries.get(j).seq() >= r.seq();
            }
            assertTrue(written >= 0 && forced, "reply " + r.seq() + " at step " + i + " is not after a write and a force"
                    + " of it: " + entries.subList(0, i + 1));
        }
    }
}
