package org.qemu.helpers.common.bus;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.qemu.helpers.common.trust.TrustLevel;

/**
 * The properties of one D-Bus interface on one object: name, D-Bus signature, getter,
 * optional setter and the trust levels to read and write. Served by the shared
 * org.freedesktop.DBus.Properties implementation ({@link PropertiesDispatcher}), because
 * dbus-java 5.2.2's own replies Get with a bare value instead of a variant.
 */
public final class PropertyTable {
    /** One property. {@code setter} is empty for read-only properties. */
    public record Property(String name, String signature, Supplier<?> getter, Optional<Consumer<Object>> setter,
                           TrustLevel readLevel, TrustLevel writeLevel) {
    }

    private final String interfaceName;
    private final Map<String, Property> properties = new LinkedHashMap<>();

    public PropertyTable(String interfaceName) {
        this.interfaceName = interfaceName;
    }

    public String interfaceName() {
        return interfaceName;
    }

    /** A read-only property that callers of level {@code helper} and above may read. */
    public PropertyTable readOnly(String name, String signature, Supplier<?> getter) {
        return readOnly(name, signature, getter, TrustLevel.HELPER);
    }

    /** A read-only property readable from {@code readLevel} up. */
    public PropertyTable readOnly(String name, String signature, Supplier<?> getter, TrustLevel readLevel) {
        return add(new Property(name, signature, getter, Optional.empty(), readLevel, TrustLevel.ADMIN));
    }

    /** A writable property; the setter validates and throws InvalidArgs on a bad value. */
    public PropertyTable writable(String name, String signature, Supplier<?> getter, Consumer<Object> setter,
                                  TrustLevel readLevel, TrustLevel writeLevel) {
        return add(new Property(name, signature, getter, Optional.of(setter), readLevel, writeLevel));
    }

    private PropertyTable add(Property p) {
        if (properties.putIfAbsent(p.name(), p) != null) {
            throw new IllegalArgumentException("property " + interfaceName + "." + p.name() + " defined twice");
        }
        return this;
    }

    public Optional<Property> find(String name) {
        return Optional.ofNullable(properties.get(name));
    }

    public Map<String, Property> all() {
        return Collections.unmodifiableMap(properties);
    }
}
