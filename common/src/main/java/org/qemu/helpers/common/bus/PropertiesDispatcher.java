package org.qemu.helpers.common.bus;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.freedesktop.DBus;
import org.freedesktop.dbus.types.Variant;
import org.qemu.helpers.common.trust.Caller;
import org.qemu.helpers.common.trust.TrustLevel;

/**
 * org.freedesktop.DBus.Properties for one object over its {@link PropertyTable}s
 * (D-Bus specification "org.freedesktop.DBus.Properties"): Get answers a variant, GetAll
 * honours its interface argument, Set on a read-only property fails with PropertyReadOnly.
 * Each property carries its own read and write level.
 */
final class PropertiesDispatcher {
    private final Map<String, PropertyTable> tables = new LinkedHashMap<>();

    PropertiesDispatcher(List<PropertyTable> tables) {
        for (PropertyTable t : tables) {
            if (this.tables.putIfAbsent(t.interfaceName(), t) != null) {
                throw new IllegalArgumentException("two property tables for " + t.interfaceName());
            }
        }
    }

    PropertyTable table(String iface) {
        PropertyTable t = tables.get(iface);
        if (t == null) {
            throw new DBus.Error.UnknownInterface("this object has no properties of interface '" + iface + "'");
        }
        return t;
    }

    Map<String, PropertyTable> tables() {
        return tables;
    }

    Variant<?> get(Caller caller, String iface, String name) {
        PropertyTable.Property p = property(iface, name);
        if (!caller.has(p.readLevel())) {
            throw new DBus.Error.AccessDenied("reading " + iface + "." + name + " needs trust level "
                    + p.readLevel().wire() + ", caller has " + caller.level().wire());
        }
        return variant(p);
    }

    /** The readable properties of {@code iface}; an empty interface name means all of them. */
    Map<String, Variant<?>> getAll(Caller caller, String iface) {
        Map<String, Variant<?>> out = new LinkedHashMap<>();
        boolean denied = false;
        for (PropertyTable t : iface.isEmpty() ? tables.values() : List.of(table(iface))) {
            for (PropertyTable.Property p : t.all().values()) {
                if (caller.has(p.readLevel())) {
                    out.put(p.name(), variant(p));
                } else {
                    denied = true;
                }
            }
        }
        if (out.isEmpty() && denied) {
            throw new DBus.Error.AccessDenied("reading properties of " + iface + " needs a higher trust level than "
                    + caller.level().wire());
        }
        return out;
    }

    void set(Caller caller, String iface, String name, Object value) {
        PropertyTable.Property p = property(iface, name);
        if (p.setter().isEmpty()) {
            throw new DBus.Error.PropertyReadOnly("property " + iface + "." + name + " is read-only");
        }
        if (!caller.has(p.writeLevel())) {
            throw new DBus.Error.AccessDenied("writing " + iface + "." + name + " needs trust level "
                    + p.writeLevel().wire() + ", caller has " + caller.level().wire());
        }
        Object v = value instanceof Variant<?> var ? var.getValue() : value;
        p.setter().get().accept(v);
    }

    TrustLevel readLevel(String iface, String name) {
        return property(iface, name).readLevel();
    }

    Variant<?> current(String iface, String name) {
        return variant(property(iface, name));
    }

    private PropertyTable.Property property(String iface, String name) {
        return table(iface).find(name).orElseThrow(() ->
                new DBus.Error.UnknownProperty("interface " + iface + " has no property '" + name + "'"));
    }

    private static Variant<?> variant(PropertyTable.Property p) {
        return new Variant<>(p.getter().get(), p.signature());
    }
}
