#!/usr/bin/env bash
# Prints the JVM flags a helper benchmark runs its helper with: the launcher's (qemu-helpers
# jvm-flags NAME: C1 only, small heap), so that benchmark figures are those of the deployed helper.
# HELPER_JVM_FLAGS overrides them (e.g. HELPER_JVM_FLAGS=-XX:+UseSerialGC to compare with C2).
# Usage: deploy/bench/helper-jvm-flags.sh NAME      (after mvn package)
set -euo pipefail
if [ -n "${HELPER_JVM_FLAGS:-}" ]; then echo "$HELPER_JVM_FLAGS"; exit 0; fi
jar="$(cd "$(dirname "$0")/../target" 2>/dev/null && pwd)/deploy.jar"
[ -f "$jar" ] || { echo "missing deploy/target/deploy.jar: run mvn package" >&2; exit 1; }
java -jar "$jar" jvm-flags "$1"
