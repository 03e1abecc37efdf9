/**
 * Talking to the service manager: sd_notify(3) readiness and stop notifications over the
 * AF_UNIX datagram socket systemd names in {@code $NOTIFY_SOCKET}.
 */
package org.qemu.helpers.common.systemd;
