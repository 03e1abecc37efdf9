/** Degraded conditions reported by a helper's parts (a leaf package). */
package org.qemu.helpers.common.health;
