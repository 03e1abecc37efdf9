package org.qemu.helpers.uiclient;

import org.qemu.helpers.common.bus.ExportHandle;
import org.qemu.helpers.common.bus.HelperRuntime;
import org.qemu.helpers.common.listen.Listen;
import org.qemu.helpers.uiclient.dbus.UiClient1Service;
import org.qemu.helpers.uiclient.display.DisplayClient;
import org.qemu.helpers.uiclient.display.HelperLogUi;
import org.qemu.helpers.uiclient.display.VmmGate;
import org.qemu.helpers.uiclient.web.WebAddress;
import org.qemu.helpers.uiclient.web.WebConsole;

/** The {@code serve} wiring: display client, org.qemu.UiClient1, web console, each closed when the helper stops. */
final class UiServer {
    static final String DEFAULT_WEB = "127.0.0.1:0";

    private UiServer() {
    }

    static void serve(HelperRuntime rt, String webOption) throws Exception {
        WebAddress address = webOption.equals("off") ? null : WebAddress.parse(webOption);
        DisplayClient display = rt.onClose(new DisplayClient(rt.connection(), new VmmGate(rt.trust()),
                new HelperLogUi(rt.log())));
        UiClient1Service svc = new UiClient1Service(display);
        ExportHandle handle = rt.export(svc, svc.properties());
        display.onChange(() -> handle.propertiesChanged(UiClient1Service.IFACE, "Consoles", "DisplayState", "VmName"));
        display.onChange(new DisplayHealth(display, rt.health()));
        display.start();
        WebConsole web = null;
        if (address != null) {
            try {
                web = rt.onClose(WebConsole.start(address, display, rt, new HelperLogUi(rt.log())));
            } catch (java.net.BindException e) {
                throw Listen.taken("--web " + Listen.describe(new java.net.InetSocketAddress(address.host(), address.port())), e);
            }
            svc.setWebConsole(web.baseUrl());
            handle.propertiesChanged(UiClient1Service.IFACE, "WebConsole");
            // Printed once, on stdout, for the operator who started the helper.
            System.out.println("web console: " + web.baseUrl() + "?token=" + web.token());
            System.out.flush();
        }
        rt.readyDetail("web", web == null ? "off" : web.baseUrl());
    }
}
