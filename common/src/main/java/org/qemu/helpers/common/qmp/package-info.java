/** A minimal QMP client (QEMU docs/interop/qmp-spec): the operator verbs and the tests drive QEMU with it. */
package org.qemu.helpers.common.qmp;
