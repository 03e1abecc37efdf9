package org.qemu.helpers.deploy;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The suite's packages form no cycle (issue 12: common had bus <-> discovery, bus <-> vmstate, cli <-> trust;
 * tpm-stub root <-> transport, root <-> dbus). deploy is built after every module, so its test reads their
 * compiled main classes (target/classes of each module; tests are not part of the rule).
 */
class ArchitectureTest {
    static final List<String> MODULES = List.of("common", "helper-slirp-dhcp", "helper-compress", "helper-tpm-stub",
            "helper-ui-client", "deploy");

    static JavaClasses mainClasses() {
        List<Path> dirs = MODULES.stream().map(m -> Path.of("..", m, "target", "classes")).toList();
        for (Path d : dirs) {
            assertTrue(Files.isDirectory(d), d + " is missing: build the modules first (mvn verify builds deploy last)");
        }
        return new ClassFileImporter().importPaths(dirs);
    }

    @Test
    void noPackageCycles() {
        JavaClasses main = mainClasses();
        for (String pkg : List.of("common.bus", "slirpdhcp", "compress", "tpmstub", "uiclient", "deploy")) {
            assertTrue(main.containPackage("org.qemu.helpers." + pkg), "not imported: " + pkg);
        }
        slices().matching("org.qemu.helpers.(**)").should().beFreeOfCycles().check(main);
    }

}
