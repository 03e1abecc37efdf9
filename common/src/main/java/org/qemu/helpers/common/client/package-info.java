/** The client commands' one frame: bus and policy options, connection, owner check, exit codes. */
package org.qemu.helpers.common.client;
