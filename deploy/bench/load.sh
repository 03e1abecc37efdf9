#!/usr/bin/env bash
# Load and faults, as figures (README "Reliability"): the four helpers on one private bus with QEMU on the D-Bus
# display and a busybox guest drawing on it; CLIENTS D-Bus clients (default 64) for SECONDS (default 60) beside DNS,
# DHCP, TPM, compression and display traffic while another UID floods denied calls; then SIGKILL of each helper
# under load with a restart as systemd would do it, and SIGKILL of the bus daemon. Root (the flood runs as uid 65534 through setpriv). Loopback only.
#
#   flock /tmp/bench.lock deploy/bench/load.sh [SECONDS] [CLIENTS] [DHCP_LEASES_PER_S] [FLOOD]   (DHCP 0, the default: back to back)
#
# FLOOD (FloodMode.java): absent, the original flood (4 connections, one denied call at a time each); wait, the same
# with the helpers' queues sampled half way (jcmd); pipe:N:C, C connections against each helper keeping N denied
# calls outstanding (128 = dbus-daemon's default max_replies_per_connection); noreply:N:C, N NO_REPLY_EXPECTED
# calls (not counted as pending by the daemon) then one awaited, over and over.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
clients=${2:-64}
dhcp_rate=${3:-0}
flood=${4:-}
mvn -B -ntp -q package -DskipTests >/tmp/qdh-load-mvn.log 2>&1 || { cat /tmp/qdh-load-mvn.log; exit 1; }
(cd deploy && mvn -B -ntp -q dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$PWD/target/load-classpath.txt" >/tmp/qdh-load-mvn.log 2>&1) || { cat /tmp/qdh-load-mvn.log; exit 1; }
jars=$(mktemp -d)
for m in slirp-dhcp compress tpm-stub ui-client; do cp "helper-$m/target/helper-$m.jar" "$jars/"; done
# the flood runs as uid 65534, which cannot read root's ~/.m2: the class path is copied where it can
mkdir -p "$jars/cp"
cp -r deploy/target/test-classes "$jars/cp/deploy-tests"
cp -r deploy/target/classes "$jars/cp/deploy"
cp -r common/target/test-classes "$jars/cp/common-tests"
cp -r common/target/classes "$jars/cp/common"
# the DHCP client (slirp-dhcp's codec) and the busybox guest of its tests (LinuxGuest)
cp -r helper-slirp-dhcp/target/classes "$jars/cp/slirp"
cp -r helper-slirp-dhcp/target/test-classes "$jars/cp/slirp-tests"
cp_="$jars/cp/deploy-tests:$jars/cp/deploy:$jars/cp/common-tests:$jars/cp/common:$jars/cp/slirp:$jars/cp/slirp-tests"
IFS=: read -ra entries < deploy/target/load-classpath.txt || true  # no newline at its end
for e in "${entries[@]}"; do
    [[ $e == */org/qemu/helpers/* ]] && continue # this checkout's own modules, built above, not the local repository's
    cp "$e" "$jars/cp/"; cp_="$cp_:$jars/cp/$(basename "$e")"
done
chmod -R o+rX "$jars"
trap 'rm -rf "$jars"' EXIT
java -cp "$cp_" org.qemu.helpers.deploy.bench.LoadBench "$jars" "$seconds" "$clients" "$dhcp_rate" "$flood"
