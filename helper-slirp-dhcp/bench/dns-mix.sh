#!/bin/bash
# The DNS engine alone (no sockets) on a guest's query mix, with and without the local-answer memo
# (engine/LocalAnswerMemo): queries/s and CPU microseconds per query, one JVM each, side by side.
# See engine/DnsMixBench (test sources) for the mix. Usage: bench/dns-mix.sh [seconds]
set -euo pipefail
SECS=${1:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
MOD=$(dirname "$HERE")
JAR=$MOD/target/helper-slirp-dhcp.jar
[ -f "$JAR" ] && [ -d "$MOD/target/test-classes" ] || (cd "$MOD/.." && mvn -B -o -q -pl helper-slirp-dhcp package -DskipTests)
JVM_FLAGS=$("$MOD/../deploy/bench/helper-jvm-flags.sh" slirp-dhcp 2>/dev/null || echo "-XX:+UseSerialGC -XX:TieredStopAtLevel=1")
echo "bench: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), JVM flags: $JVM_FLAGS"
for memo in on off on off; do
  # shellcheck disable=SC2086
  printf 'memo %-3s ' $memo; java $JVM_FLAGS -Dslirp.dns.memo=$memo -cp "$MOD/target/test-classes:$JAR" \
    org.qemu.helpers.slirpdhcp.engine.DnsMixBench "$SECS" | tail -1
done
