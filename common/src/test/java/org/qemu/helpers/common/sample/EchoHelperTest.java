package org.qemu.helpers.common.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.vmstate.VMState1;

/** The template helper's test, with the shared harness: a real helper process on a private dbus-daemon. */
class EchoHelperTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    @Test
    void adminsSetHelpersReadAndHearOthersAreDeniedAndTheTextMigrates() throws Exception {
        HelperProcess p = BUS.startHelper(EchoHelper.class, "--state-dir=" + BUS.dir()).awaitReady(Duration.ofSeconds(30));
        BlockingQueue<Echo1.TextSet> heard = BUS.signals(Echo1.TextSet.class);
        Echo1 echo = BUS.connect().getRemoteObject("org.qemu.Echo1", "/org/qemu/Echo1", Echo1.class);
        echo.Set("hello");
        assertEquals("hello", heard.poll(10, TimeUnit.SECONDS).getParameters()[0]);
        assertTrue(BUS.callAs(65534, "org.qemu.Echo1", "/org/qemu/Echo1", "org.qemu.Echo1.Set", "s", "x").stderr()
                .contains("Access denied")); // nobody (another UID) is untrusted without a policy
        VMState1 vmstate = BUS.connect().getRemoteObject("org.qemu.Echo1", VMState1.PATH, VMState1.class);
        byte[] saved = vmstate.Save();
        echo.Set("other");
        vmstate.Load(saved);
        assertEquals("hello", BUS.property("org.qemu.Echo1", "/org/qemu/Echo1", "org.qemu.Echo1", "Text"));
        assertEquals(0, p.stop(), p.output());
    }
}
