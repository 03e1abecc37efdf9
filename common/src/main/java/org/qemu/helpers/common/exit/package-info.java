/** The suite's exit codes, in one table (a leaf package: everything may use it). */
package org.qemu.helpers.common.exit;
