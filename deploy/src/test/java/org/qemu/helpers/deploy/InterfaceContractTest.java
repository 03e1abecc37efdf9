package org.qemu.helpers.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.freedesktop.dbus.Marshalling;
import org.freedesktop.dbus.TypeRef;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.annotations.DBusProperty;
import org.freedesktop.dbus.messages.DBusSignal;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * One source of truth per interface (issue 12 item 2): the introspection XML each module ships and every Java
 * declaration of that interface in any module cannot disagree. The module's own declaration must match the XML
 * exactly (methods with in/out signatures, properties with type and access, signals with signatures); a client
 * copy in another module (the web panel's) may declare fewer members, but each one it declares must be the
 * XML's. Before, the XML was compared with the live object by member name only, in two of four helpers, and
 * three of the four files were not well-formed XML ("--" inside a comment), which this parse also refuses.
 */
class InterfaceContractTest {
    /** module -> its shipped introspection XML files (under src/main/resources). */
    static final Map<String, List<String>> SHIPPED = Map.of(
            "helper-slirp-dhcp", List.of("org/qemu/helpers/slirpdhcp/dbus/SlirpDhcp1.xml"),
            "helper-compress", List.of("org/qemu/helpers/compress/dbus/org.qemu.Compress1.xml"),
            "helper-tpm-stub", List.of("org/qemu/helpers/tpmstub/dbus/org.qemu.TpmStub1.xml"),
            "helper-ui-client", List.of("org.qemu.UiClient1.xml"));

    /** Every interface member as "kind Name signature" (method: in->out; property: type access; signal: sig). */
    record Members(String module, Map<String, String> byName) {
    }

    @Test
    void shippedXmlAndEveryJavaDeclarationAgree() throws Exception {
        Map<String, Members> xml = new TreeMap<>();
        for (Map.Entry<String, List<String>> m : SHIPPED.entrySet()) {
            for (String res : m.getValue()) {
                xml.putAll(parse(m.getKey(), Path.of("..", m.getKey(), "src", "main", "resources", res)));
            }
        }
        assertTrue(xml.keySet().containsAll(List.of("org.qemu.SlirpDhcp1", "org.qemu.Compress1", "org.qemu.Compress1.Job",
                "org.qemu.TpmStub1", "org.qemu.UiClient1")), xml.keySet().toString());
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (String module : ArchitectureTest.MODULES) {
            for (Class<?> c : interfaces(module)) {
                String name = c.getAnnotation(DBusInterfaceName.class).value();
                Members shipped = xml.get(name);
                if (shipped == null) {
                    continue; // an interface of another program (QEMU's org.qemu.Display1.*, VMState1): not ours to ship
                }
                checked++;
                Map<String, String> java = members(c);
                boolean own = shipped.module().equals(module);
                for (Map.Entry<String, String> e : java.entrySet()) {
                    String want = shipped.byName().get(e.getKey());
                    if (!e.getValue().equals(want)) {
                        problems.add(c.getName() + " (" + module + "): " + e.getValue() + " but the shipped XML says "
                                + (want == null ? "nothing of " + e.getKey() : want));
                    }
                }
                if (own) {
                    for (String m : shipped.byName().keySet()) {
                        if (!java.containsKey(m)) {
                            problems.add(c.getName() + ": the shipped XML declares " + shipped.byName().get(m)
                                    + ", the Java interface does not");
                        }
                    }
                }
            }
        }
        assertTrue(checked >= 6, "declarations checked: " + checked);
        assertEquals(List.of(), problems);
    }

    static Map<String, Members> parse(String module, Path file) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        NodeList ifaces = f.newDocumentBuilder().parse(file.toFile()).getElementsByTagName("interface");
        Map<String, Members> out = new TreeMap<>();
        for (int i = 0; i < ifaces.getLength(); i++) {
            Element iface = (Element) ifaces.item(i);
            Map<String, String> m = new TreeMap<>();
            for (Element e : children(iface, "method")) {
                m.put(e.getAttribute("name"), "method " + e.getAttribute("name") + "(" + args(e, "in") + ")->"
                        + args(e, "out"));
            }
            for (Element e : children(iface, "property")) {
                m.put(e.getAttribute("name"), "property " + e.getAttribute("name") + " " + e.getAttribute("type") + " "
                        + e.getAttribute("access"));
            }
            for (Element e : children(iface, "signal")) {
                m.put(e.getAttribute("name"), "signal " + e.getAttribute("name") + "(" + args(e, null) + ")");
            }
            out.put(iface.getAttribute("name"), new Members(module, m));
        }
        return out;
    }

    static List<Element> children(Element parent, String tag) {
        List<Element> out = new ArrayList<>();
        for (int i = 0; i < parent.getChildNodes().getLength(); i++) {
            if (parent.getChildNodes().item(i) instanceof Element e && e.getTagName().equals(tag)) {
                out.add(e);
            }
        }
        return out;
    }

    static String args(Element member, String direction) {
        StringBuilder sb = new StringBuilder();
        for (Element a : children(member, "arg")) {
            String d = a.getAttribute("direction").isEmpty() ? "in" : a.getAttribute("direction");
            if (direction == null || d.equals(direction)) {
                sb.append(a.getAttribute("type"));
            }
        }
        return sb.toString();
    }

    /** The D-Bus interfaces (annotated Java interfaces) among a module's main classes. */
    static List<Class<?>> interfaces(String module) throws IOException {
        Path classes = Path.of("..", module, "target", "classes");
        assertTrue(Files.isDirectory(classes), classes + " is missing: build the modules first");
        URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                InterfaceContractTest.class.getClassLoader());
        List<Class<?>> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(classes)) {
            for (Path p : s.filter(p -> p.toString().endsWith(".class")).toList()) {
                String name = classes.relativize(p).toString().replace('/', '.').replaceAll("\\.class$", "");
                try {
                    Class<?> c = Class.forName(name, false, loader);
                    if (c.isInterface() && c.isAnnotationPresent(DBusInterfaceName.class)) {
                        out.add(c);
                    }
                } catch (ClassNotFoundException | LinkageError e) {
                    // a class needing a library deploy does not have: not an interface declaration
                }
            }
        }
        return out;
    }

    static Map<String, String> members(Class<?> iface) throws Exception {
        Map<String, String> m = new TreeMap<>();
        for (Method method : iface.getDeclaredMethods()) {
            if (method.isDefault() || Modifier.isStatic(method.getModifiers()) || method.isSynthetic()) {
                continue;
            }
            StringBuilder in = new StringBuilder();
            for (Type t : method.getGenericParameterTypes()) {
                in.append(String.join("", Marshalling.getDBusType(t)));
            }
            String out = method.getReturnType() == void.class ? ""
                    : String.join("", Marshalling.getDBusType(method.getGenericReturnType()));
            m.put(method.getName(), "method " + method.getName() + "(" + in + ")->" + out);
        }
        for (DBusProperty p : iface.getAnnotationsByType(DBusProperty.class)) {
            m.put(p.name(), "property " + p.name() + " " + String.join("", Marshalling.getDBusType(propertyType(p.type())))
                    + " " + switch (p.access()) {
                        case READ -> "read";
                        case WRITE -> "write";
                        case READ_WRITE -> "readwrite";
                    });
        }
        for (Class<?> nested : iface.getDeclaredClasses()) {
            if (DBusSignal.class.isAssignableFrom(nested)) {
                Constructor<?> k = Arrays.stream(nested.getConstructors()).max((a, b) -> a.getParameterCount()
                        - b.getParameterCount()).orElseThrow();
                StringBuilder sig = new StringBuilder();
                Type[] params = k.getGenericParameterTypes();
                for (int i = 1; i < params.length; i++) { // the first is the object path
                    sig.append(String.join("", Marshalling.getDBusType(params[i])));
                }
                m.put(nested.getSimpleName(), "signal " + nested.getSimpleName() + "(" + sig + ")");
            }
        }
        return m;
    }

    /** A TypeRef&lt;T&gt; declares T (dbus-java's way to give a generic property type in an annotation). */
    static Type propertyType(Class<?> declared) {
        if (TypeRef.class.isAssignableFrom(declared)) {
            for (Type t : declared.getGenericInterfaces()) {
                if (t instanceof ParameterizedType pt && pt.getRawType() == TypeRef.class) {
                    return pt.getActualTypeArguments()[0];
                }
            }
        }
        return declared;
    }
}
