package org.qemu.helpers.common.bus;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Who a helper command is on the bus, where its {@code @Command} and the interface it implements do not say it
 * (HelperCommand's default identity): a short name other than the command's, the interfaces it serves when an
 * object other than the command serves them. Each attribute left out falls back to the default.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface Identity {
    /** The short name (discovery's Name, the state directory, the log prefix); default the {@code @Command} name. */
    String name() default "";

    /** One line for people; default the {@code @Command} description. */
    String description() default "";

    /**
     * The org.qemu.* interfaces served, the first naming the bus name and the main object's path; default the one
     * {@code @DBusInterfaceName} interface the command implements.
     */
    Class<?>[] serves() default {};

    /** The org.qemu.VMState1 Id; default the name. */
    String vmStateId() default "";
}
