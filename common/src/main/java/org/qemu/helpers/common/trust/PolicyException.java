package org.qemu.helpers.common.trust;

import org.qemu.helpers.common.cli.ConfigException;

/** A trust policy file that cannot be used: names the file, the field and what is allowed. */
public final class PolicyException extends ConfigException {
    public PolicyException(String file, String field, String problem) {
        super("policy file " + file + ": field '" + field + "': " + problem);
    }
}
