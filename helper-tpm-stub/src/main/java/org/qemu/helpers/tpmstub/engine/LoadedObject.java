package org.qemu.helpers.tpmstub.engine;

/** Something in a transient object slot (Part 1 15): it has an authValue and a Name. */
interface LoadedObject {
    /** The authValue that authorises USER-role use (Part 1 19.6.4). */
    byte[] authValue();

    /** The Name (Part 1 16); empty for sequence objects, whose nameAlg is TPM_ALG_NULL. */
    byte[] name();
}
