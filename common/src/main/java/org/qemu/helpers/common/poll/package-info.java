/** When a helper's thread polls for its next input on the CPU instead of sleeping in the kernel, and for how long. */
package org.qemu.helpers.common.poll;
