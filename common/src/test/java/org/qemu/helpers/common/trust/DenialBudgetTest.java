package org.qemu.helpers.common.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The denial budget's arithmetic (the bus behaviour: DenialBudgetOnBusTest). */
class DenialBudgetTest {
    @Test
    void aSenderIsHeldToItsShareAndAllSendersToTheTotal() {
        DenialBudget b = new DenialBudget(2, 3);
        assertEquals(DenialBudget.Verdict.ANSWER, b.admit(":1.1"));
        assertEquals(DenialBudget.Verdict.ANSWER, b.admit(":1.1"));
        assertEquals(DenialBudget.Verdict.WITHHOLD, b.admit(":1.1"), "past its own share");
        assertEquals(DenialBudget.Verdict.ANSWER, b.admit(":1.2"));
        assertEquals(DenialBudget.Verdict.WITHHOLD, b.admit(":1.3"), "past the total");
        assertEquals(3, b.queued());
        assertEquals(2, b.withheld());
        b.written(":1.1");
        assertEquals(DenialBudget.Verdict.ANSWER, b.admit(":1.3"), "a written error frees its place");
        assertEquals(4, b.answered());
    }

    @Test
    void anErrorNotAdmittedDoesNotLowerTheCount() {
        DenialBudget b = new DenialBudget(1, 1);
        b.admit(":1.1");
        b.written(":1.9");
        b.written(null);
        assertEquals(1, b.queued());
        b.written(":1.1");
        b.written(":1.1");
        assertEquals(0, b.queued());
        assertEquals(0, b.queued(":1.1"));
    }

    @Test
    void aBudgetSmallerThanOneSendersShareIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new DenialBudget(4, 2));
        assertThrows(IllegalArgumentException.class, () -> new DenialBudget(0, 2));
    }
}
