#!/usr/bin/env bash
# The whole test suite: installs what the tests need when missing, then builds and runs every test
# (unit tests and the real peers: dbus-daemon, QEMU, swtpm, tpm2-tools, udhcpc, dhclient, dig,
# the compression tools, Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-packages.sh deploy/packages/test.txt
exec mvn -B -ntp verify "$@"
