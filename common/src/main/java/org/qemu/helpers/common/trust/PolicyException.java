package org.qemu.helpers.common.trust;

/**
 * A trust policy file that cannot be used: names the file, the field and what is allowed. A helper
 * reports it as a configuration error (CommonOptions.loadPolicy wraps it), a client command likewise.
 */
public final class PolicyException extends Exception {
    public PolicyException(String file, String field, String problem) {
        super("policy file " + file + ": field '" + field + "': " + problem);
    }
}
