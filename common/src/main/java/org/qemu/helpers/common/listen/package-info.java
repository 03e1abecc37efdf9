/** Opening listeners: Unix socket paths claimed without destroying anything, taken addresses reported alike. */
package org.qemu.helpers.common.listen;
