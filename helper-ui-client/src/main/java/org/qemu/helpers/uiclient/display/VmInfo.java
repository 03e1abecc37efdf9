package org.qemu.helpers.uiclient.display;

import java.util.List;

/** org.qemu.Display1.VM properties and the unique name of the QEMU they came from. */
public record VmInfo(String owner, String name, String uuid, List<Integer> consoleIds) {
}
