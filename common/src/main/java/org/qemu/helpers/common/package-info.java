/** What every helper shares: bus, trust, discovery, VMState1, CLI, persistence. */
package org.qemu.helpers.common;
