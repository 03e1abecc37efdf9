#!/usr/bin/env bash
# The demo: a private bus, every helper on it, and a QEMU VM wired to them (D-Bus display, dbus-vmstate,
# a NIC served by helper-slirp-dhcp, a TPM served by helper-tpm-stub) booting the Linux guest of deploy/guest/
# (lease, DNS, a page from the host, TPM PCRs, then a shell on the VGA console). Ctrl-C stops everything.
# Extra arguments go to 'qemu-helpers launch' (e.g. --duration 30, --web 127.0.0.1:5981).
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-packages.sh deploy/packages/demo.txt
mvn -B -ntp -q package -DskipTests
exec java -jar deploy/target/deploy.jar launch --dir "${DEMO_DIR:-$PWD/state/demo}" --qemu --guest "$@"
