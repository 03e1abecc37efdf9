package org.qemu.helpers.common.cli;

/** A configuration the helper cannot run with; the message names the file or option, the field and the fix. */
public class ConfigException extends Exception {
    public ConfigException(String message) {
        super(message);
    }

    /** For command-line options: names the option and what is allowed. */
    public static ConfigException option(String option, String problem) {
        return new ConfigException("option " + option + ": " + problem);
    }
}
