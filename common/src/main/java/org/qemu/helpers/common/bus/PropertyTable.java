package org.qemu.helpers.common.bus;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.freedesktop.dbus.annotations.DBusProperty;
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
    private final Map<String, String> declared = new LinkedHashMap<>(); // name -> signature, from @DBusProperty

    public PropertyTable(String interfaceName) {
        this.interfaceName = interfaceName;
    }

    /**
     * The properties of {@code iface}, whose {@code @DBusProperty} annotations give each property's
     * type once: {@link #readOnly(String, Supplier)} and {@link #writable(String, Supplier, Consumer,
     * TrustLevel, TrustLevel)} take the signature from there.
     */
    public static PropertyTable of(Class<?> iface) {
        PropertyTable t = new PropertyTable(GatedObject.dbusName(iface));
        for (DBusProperty p : iface.getAnnotationsByType(DBusProperty.class)) {
            t.declared.put(p.name(), signature(iface, p));
        }
        return t;
    }

    /** A read-only property declared by the interface, readable from {@code helper} up. */
    public PropertyTable readOnly(String name, Supplier<?> getter) {
        return readOnly(name, declared(name), getter);
    }

    /** A writable property declared by the interface. */
    public PropertyTable writable(String name, Supplier<?> getter, Consumer<Object> setter, TrustLevel readLevel,
                                  TrustLevel writeLevel) {
        return writable(name, declared(name), getter, setter, readLevel, writeLevel);
    }

    private String declared(String name) {
        String sig = declared.get(name);
        if (sig == null) {
            throw new IllegalArgumentException(interfaceName + " declares no @DBusProperty " + name + " (declared: "
                    + declared.keySet() + ")");
        }
        return sig;
    }

    /** The D-Bus signature of a declared property type; a TypeRef&lt;T&gt; stands for T. */
    static String signature(Class<?> iface, DBusProperty p) {
        java.lang.reflect.Type t = p.type();
        if (org.freedesktop.dbus.TypeRef.class.isAssignableFrom(p.type())) {
            for (java.lang.reflect.Type g : p.type().getGenericInterfaces()) {
                if (g instanceof java.lang.reflect.ParameterizedType pt && pt.getRawType() == org.freedesktop.dbus.TypeRef.class) {
                    t = pt.getActualTypeArguments()[0];
                }
            }
        }
        try {
            return String.join("", org.freedesktop.dbus.Marshalling.getDBusType(t));
        } catch (org.freedesktop.dbus.exceptions.DBusException e) {
            throw new IllegalArgumentException(iface.getName() + " @DBusProperty " + p.name() + ": " + e.getMessage(), e);
        }
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
