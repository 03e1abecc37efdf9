#!/usr/bin/env bash
# Lays out the Debian package's tree in deploy/target/pkgroot (run by 'mvn package' in deploy, after
# the jars are built; jdeb then packs it): the jars, the launchers generated from the launcher's JVM
# flags (qemu-helpers jvm-flags NAME --launcher), the units, sysusers.d, tmpfiles.d, examples, man pages
# (picocli ManPageGenerator, then asciidoctor) and bash completion (picocli AutoComplete).
# Usage: stage.sh DEPLOY_DIR TARGET_DIR PICOCLI_CODEGEN_JAR
set -euo pipefail
deploy=$1 target=$2 codegen=$3
helpers=(slirp-dhcp compress tpm-stub ui-client)
root=$target/pkgroot
share=$root/usr/share/qemu-dbus-helpers
libexec=$root/usr/libexec/qemu-dbus-helpers
doc=$root/usr/share/doc/qemu-dbus-helpers
rm -rf "$root" "$target/man-adoc"
mkdir -p "$share" "$libexec" "$root/usr/bin" "$root/lib/systemd/system" "$root/usr/lib/sysusers.d" \
    "$root/usr/lib/tmpfiles.d" "$doc/examples" "$root/usr/share/man/man1" "$root/usr/share/bash-completion/completions"
tool=(java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar "$target/deploy.jar")

cp "$target/deploy.jar" "$share/"
jars=()
for n in "${helpers[@]}"; do
    jar=$deploy/../helper-$n/target/helper-$n.jar
    [ -f "$jar" ] || { echo "stage.sh: $jar is missing: build the helpers first (mvn package from the top)" >&2; exit 1; }
    cp "$jar" "$share/"
    jars+=("$jar")
    "${tool[@]}" jvm-flags "$n" --launcher "../../share/qemu-dbus-helpers/helper-$n.jar" > "$libexec/$n"
done
# libvirt's slirp_helper (qemu.conf slirp_helper = "/usr/libexec/qemu-dbus-helpers/slirp-helper") with the JVM
# flags it reads beside deploy.jar (the script's cache, from the launcher's table: no second JVM at each start, and
# /usr/share is not writable for it anyway), dated as deploy.jar so that the script takes it as current; and the
# libvirt hook that holds QEMU until the slirp helpers are on the bus (a conffile; it does nothing for domains
# without this suite's slirp helper).
cp "$deploy/bin/qemu-slirp-helper" "$libexec/slirp-helper"
flags=$("${tool[@]}" jvm-flags slirp-dhcp)
printf '%s\n' "$flags" > "$share/jvm-flags-slirp-dhcp"
touch -r "$share/deploy.jar" "$share/jvm-flags-slirp-dhcp"
mkdir -p "$root/etc/libvirt/hooks/qemu.d"
cp "$deploy/libvirt/hooks/qemu.d/qemu-dbus-helpers" "$root/etc/libvirt/hooks/qemu.d/"
cp "$deploy/packaging/vm-bus-config" "$libexec/"
cp "$deploy/bin/qemu-helpers" "$root/usr/bin/"
cp "$deploy"/systemd/*.service "$deploy"/systemd/*.target "$root/lib/systemd/system/"
cp "$deploy/packaging/sysusers.conf" "$root/usr/lib/sysusers.d/qemu-dbus-helpers.conf"
cp "$deploy/packaging/tmpfiles.conf" "$root/usr/lib/tmpfiles.d/qemu-dbus-helpers.conf"
cp -r "$deploy/packaging/examples/." "$doc/examples/"
cp "$deploy/packaging/doc/copyright" "$doc/"
gzip -9n < "$deploy/packaging/doc/changelog" > "$doc/changelog.gz"

# One man page per command and subcommand, in one JVM (the generator only reads the picocli annotations).
cp_all=$codegen:$target/deploy.jar$(printf ':%s' "${jars[@]}")
java -XX:TieredStopAtLevel=1 -cp "$cp_all" picocli.codegen.docgen.manpage.ManPageGenerator -d "$target/man-adoc" \
    org.qemu.helpers.deploy.Main org.qemu.helpers.slirpdhcp.Main org.qemu.helpers.compress.Main \
    org.qemu.helpers.tpmstub.Main org.qemu.helpers.uiclient.Main
asciidoctor -b manpage -a reproducible -D "$target/man" "$target/man-adoc"/*.adoc
for m in "$target"/man/*.1; do
    gzip -9n < "$m" > "$root/usr/share/man/man1/$(basename "$m").gz"
done
# bash sources a completion file: without AutoComplete's "#!/usr/bin/env bash" line (lintian)
java -XX:TieredStopAtLevel=1 -cp "$target/deploy.jar" picocli.AutoComplete --force -n qemu-helpers \
    -o "$target/qemu-helpers.completion" org.qemu.helpers.deploy.Main
sed '1{/^#!/d}' "$target/qemu-helpers.completion" > "$root/usr/share/bash-completion/completions/qemu-helpers"
