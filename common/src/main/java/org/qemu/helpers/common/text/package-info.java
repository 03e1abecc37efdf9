/** Showing untrusted text (a leaf package). */
package org.qemu.helpers.common.text;
