package org.qemu.helpers.common.bus;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.freedesktop.DBus;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.annotations.DBusProperty;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.interfaces.Properties;
import org.qemu.helpers.common.log.HelperLog;
import org.qemu.helpers.common.trust.Caller;
import org.qemu.helpers.common.trust.CallerContext;
import org.qemu.helpers.common.trust.MinTrust;
import org.qemu.helpers.common.trust.TrustGate;
import org.qemu.helpers.common.trust.TrustLevel;

/**
 * The object dbus-java actually exports: a proxy that implements the helper's interface and
 * org.freedesktop.DBus.Properties, checks each method's {@link MinTrust} through the gate
 * before the helper's code runs, and serves properties from the {@link PropertyTable}s.
 */
final class GatedObject implements InvocationHandler {
    private final String path;
    private final String interfaceName;
    private final Object impl;
    private final PropertiesDispatcher properties;
    private final TrustGate gate;
    private final HelperLog log;

    private GatedObject(String path, String interfaceName, Object impl, PropertiesDispatcher properties,
                        TrustGate gate, HelperLog log) {
        this.path = path;
        this.interfaceName = interfaceName;
        this.impl = impl;
        this.properties = properties;
        this.gate = gate;
        this.log = log;
    }

    /** Builds the proxy after checking that every method declares its level and every property is served. */
    static <T extends DBusInterface> DBusInterface create(String path, Class<T> iface, T impl, List<PropertyTable> tables,
                                                          TrustGate gate, HelperLog log) {
        String name = dbusName(iface);
        List<String> missing = new ArrayList<>();
        for (Method m : iface.getMethods()) {
            if (m.getDeclaringClass() != DBusInterface.class && !m.isDefault() && m.getAnnotation(MinTrust.class) == null) {
                missing.add(m.getName());
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(name + ": methods without @MinTrust: " + missing);
        }
        PropertiesDispatcher dispatcher = new PropertiesDispatcher(tables);
        checkDeclaredProperties(iface, name, dispatcher);
        GatedObject handler = new GatedObject(path, name, impl, dispatcher, gate, log);
        return (DBusInterface) Proxy.newProxyInstance(iface.getClassLoader(),
                new Class<?>[] {iface, Properties.class}, handler);
    }

    static String dbusName(Class<?> iface) {
        DBusInterfaceName n = iface.getAnnotation(DBusInterfaceName.class);
        return n != null ? n.value() : iface.getName();
    }

    /** The @DBusProperty annotations (what introspection shows) must match the tables exactly. */
    private static void checkDeclaredProperties(Class<?> iface, String name, PropertiesDispatcher dispatcher) {
        Set<String> declared = new HashSet<>();
        for (DBusProperty p : iface.getAnnotationsByType(DBusProperty.class)) {
            declared.add(p.name());
        }
        Set<String> served = new HashSet<>();
        PropertyTable own = dispatcher.tables().get(name);
        if (own != null) {
            served.addAll(own.all().keySet());
        }
        if (!declared.equals(served)) {
            throw new IllegalArgumentException(name + ": @DBusProperty " + declared + " differ from the property table " + served);
        }
    }

    String interfaceName() {
        return interfaceName;
    }

    PropertiesDispatcher properties() {
        return properties;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        Class<?> owner = method.getDeclaringClass();
        if (owner == Object.class) {
            return switch (method.getName()) {
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                default -> "GatedObject[" + path + " " + interfaceName + "]";
            };
        }
        if (owner == DBusInterface.class) {
            return method.getName().equals("isRemote") ? false : path;
        }
        if (owner == Properties.class) {
            try {
                return properties(method, args);
            } catch (DBus.Error.AccessDenied e) {
                return refused(method, "org.freedesktop.DBus.Properties." + method.getName(), e);
            }
        }
        String member = interfaceName + "." + method.getName();
        TrustLevel needed = method.getAnnotation(MinTrust.class).value();
        Caller caller;
        try {
            caller = gate.require(needed, member);
        } catch (DBus.Error.AccessDenied e) {
            return refused(method, member, e);
        }
        CallerContext.set(caller);
        try {
            return method.invoke(impl, args);
        } catch (InvocationTargetException e) {
            Throwable t = mapped(method, e.getCause());
            if (t instanceof DBus.Error.AccessDenied d) { // a finer check in the helper (e.g. "the submitter")
                return refused(method, member, d);
            }
            throw t;
        } finally {
            CallerContext.clear();
        }
    }

    /**
     * Every AccessDenied of this object ends here, so that the gate decides what the caller gets
     * ({@link TrustGate#refusal}): the error, nothing at all for a NO_REPLY_EXPECTED call (a placeholder value
     * that dbus-java does not send), or no answer past the denial budget ({@link ReplyGuard#WITHHELD}).
     */
    private Object refused(Method method, String member, DBus.Error.AccessDenied denied) {
        return switch (gate.refusal(member)) {
            case ANSWER -> throw denied;
            case WITHHOLD -> throw ReplyGuard.WITHHELD;
            case SILENT -> placeholder(method);
        };
    }

    /**
     * A return value for a call whose reply is omitted: never marshalled, but it must fit the method (a proxy
     * returning null for a primitive throws), and a Properties.Get must not return null (dbus-java 5.2.2 then
     * sends UnknownProperty even for a NO_REPLY_EXPECTED call, ConnectionMethodInvocation.invokeMethodAndReply).
     */
    private static Object placeholder(Method method) {
        Class<?> r = method.getReturnType();
        if (method.getDeclaringClass() == Properties.class && method.getName().equals("Get")) {
            return new org.freedesktop.dbus.types.Variant<>("");
        }
        if (!r.isPrimitive() || r == void.class) {
            return null;
        }
        return java.lang.reflect.Array.get(java.lang.reflect.Array.newInstance(r, 1), 0); // the primitive's zero/false
    }

    private Object properties(Method method, Object[] args) {
        Caller caller = gate.require(TrustLevel.UNTRUSTED, "org.freedesktop.DBus.Properties." + method.getName());
        String iface = (String) args[0];
        return switch (method.getName()) {
            case "Get" -> properties.get(caller, iface, (String) args[1]);
            case "GetAll" -> properties.getAll(caller, iface);
            case "Set" -> {
                properties.set(caller, iface, (String) args[1], args[2]);
                yield null;
            }
            default -> throw new DBus.Error.Failed("unsupported Properties member " + method.getName());
        };
    }

    /** Expected D-Bus errors pass as they are; anything else is a bug: logged with its stack, replied as Failed. */
    private Throwable mapped(Method method, Throwable t) {
        if (t instanceof DBusExecutionException) {
            return t;
        }
        log.unexpected("method-failed", t, "member", interfaceName + "." + method.getName());
        return new DBus.Error.Failed(interfaceName + "." + method.getName() + " failed unexpectedly: " + t);
    }

    /** The current values of those of {@code names} that {@code reader} may read (empty: none). */
    Map<String, org.freedesktop.dbus.types.Variant<?>> readable(Caller reader, String iface, String... names) {
        Map<String, org.freedesktop.dbus.types.Variant<?>> out = new java.util.LinkedHashMap<>();
        for (String n : names) {
            if (reader.has(properties.readLevel(iface, n))) {
                out.put(n, properties.current(iface, n));
            }
        }
        return out;
    }
}
