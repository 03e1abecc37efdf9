package org.qemu.helpers.common.trust;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The minimum trust level a caller needs for an exported D-Bus method. Required on every
 * method of an interface given to {@code HelperRuntime.export}; the gate checks it before the
 * implementation runs.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface MinTrust {
    TrustLevel value();
}
