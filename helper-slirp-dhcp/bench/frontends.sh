#!/bin/bash
# Frame round trips/s through each socket front end (bench only, not a test): one JVM holds the helper's core and
# the peer; one ARP request in flight at a time, answered by the link. The -netdev stream server is the baseline.
# Usage: bench/frontends.sh [seconds per run]   (run under flock /tmp/bench.lock)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
MOD=$(dirname "$HERE")
cd "$MOD/.."
mvn -B -o -q -pl helper-slirp-dhcp -am test-compile
mvn -B -o -q -pl helper-slirp-dhcp dependency:build-classpath -Dmdep.outputFile=/tmp/febench.cp >/dev/null
# C1 only, serial GC, as the launcher runs helpers; the peer shares the JVM. HELPER_JVM_FLAGS overrides.
JVM_FLAGS=${HELPER_JVM_FLAGS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC}
# shellcheck disable=SC2086
java $JVM_FLAGS -cp "$MOD/target/test-classes:$MOD/target/classes:$(cat /tmp/febench.cp)" \
  org.qemu.helpers.slirpdhcp.transport.FrontEndBench "${1:-5}"
