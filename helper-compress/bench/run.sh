#!/bin/bash
# helper-compress benchmark: the helper end to end (Compress call to the Finished signal, through a
# private dbus-daemon) against the command-line tools, side by side in one run on the same input.
#
# Input: the first 512 MiB of every regular file under /usr/bin, /usr/lib and /usr/share, in sorted
# path order (ELF binaries, shared libraries, Python/Perl code, locale data, docs, icons): the
# machine's own binaries and data, deterministic for a given installation.
#
# Usage: [CASES="zstd pigz lz4 xz latency"] [REPS=3] [XZ_MIB=SIZE_MIB] helper-compress/bench/run.sh [SIZE_MIB]
#        [STATE_DIR=DIR] (default 512 MiB; results on stdout). XZ_MIB runs the xz case on the first
#        XZ_MIB MiB only; STATE_DIR puts the temp-file journal elsewhere (e.g. on tmpfs).
set -euo pipefail
SIZE_MIB=${1:-512}
CASES=${CASES:-zstd pigz lz4 xz latency}
REPS=${REPS:-3}
XZ_MIB=${XZ_MIB:-$SIZE_MIB}
has() { [[ " $CASES " == *" $1 "* ]]; }
HERE=$(cd "$(dirname "$0")" && pwd)
MODULE=$(dirname "$HERE")
WORK=${BENCH_DIR:-/var/tmp/hc-bench}
mkdir -p "$WORK/root"
JAR="$MODULE/target/helper-compress.jar"
if [ ! -f "$JAR" ] || [ -n "$(find "$MODULE/src" -newer "$JAR" -type f | head -1)" ]; then
    (cd "$MODULE/.." && mvn -o -q -pl helper-compress package -DskipTests)
fi
IN="$WORK/root/input"
if [ ! -f "$IN" ] || [ "$(stat -c %s "$IN")" -ne $((SIZE_MIB << 20)) ]; then
    find /usr/bin /usr/lib /usr/share -type f -print0 2>/dev/null | sort -z \
        | xargs -0 cat 2>/dev/null | head -c $((SIZE_MIB << 20)) > "$IN" || true
fi
cat "$IN" > /dev/null   # page cache: every contender reads from memory

cat > "$WORK/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:path=$WORK/bus.sock</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/>
<allow own="*"/></policy></busconfig>
CONF
rm -f "$WORK/bus.sock"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
    rm -rf /dev/shm/hc-bench-root
}
trap cleanup EXIT
dbus-daemon --config-file="$WORK/bus.conf" --nofork --print-address=1 > "$WORK/addr" &
PIDS+=($!)
for _ in $(seq 50); do [ -s "$WORK/addr" ] && break; sleep 0.1; done
ADDR=$(head -1 "$WORK/addr")
SHM=/dev/shm/hc-bench-root   # tmpfs: fsync is free there, so latency there is the bus's own cost
mkdir -p "$SHM"
# the launcher's JVM flags (-Xmx768m, C2): the deployed helper's figures; HELPER_JVM_FLAGS overrides
JVM_FLAGS=$("$MODULE/../deploy/bench/helper-jvm-flags.sh" compress)
echo "helper JVM flags: $JVM_FLAGS" >&2
# shellcheck disable=SC2086
java $JVM_FLAGS -jar "$JAR" --bus-address="$ADDR" --root "$WORK/root" --root "$SHM" \
    --state-dir "${STATE_DIR:-$WORK/state}" --max-running 1 2> "$WORK/helper.log" &
HELPER_PID=$!
PIDS+=($HELPER_PID)
for _ in $(seq 100); do grep -q " ready " "$WORK/helper.log" && break; sleep 0.1; done
BENCH=(java -XX:TieredStopAtLevel=1 -cp "$JAR" "$HERE/Bench.java" "$ADDR")

now() { date +%s.%N; }
ticks() { awk '{ print $14 + $15 }' "/proc/$HELPER_PID/stat"; }
TCK=$(getconf CLK_TCK)
BYTES=$((SIZE_MIB << 20))
mbs() { awk -v s="$1" -v b="$BYTES" 'BEGIN { printf "%.1f", b / s / 1e6 }'; }
cli() {  # command...: runs the tool on the input; prints "wall cpu wall+fsync"
    local t0 t1 t2 cpu
    TIMEFORMAT="%U %S"
    t0=$(now)
    cpu=$( { time "$@" < "$IN" > "$WORK/root/cli.out"; } 2>&1 | awk '{ print $1 + $2 }')
    t1=$(now); sync "$WORK/root/cli.out"; t2=$(now)
    awk -v a="$t0" -v b="$t1" -v c="$t2" -v u="$cpu" 'BEGIN { printf "%.3f %.2f %.3f", b - a, u, c - a }'
}
helper() {  # format level workers: prints "wall cpu" (wall: Compress call to Finished, includes fsync)
    local c0 c1 w
    c0=$(ticks)
    w=$("${BENCH[@]}" job "$1" "$2" "$3" "$IN" "$WORK/root/helper.out" | awk '{ print $1 }')
    c1=$(ticks)
    awk -v w="$w" -v a="$c0" -v b="$c1" -v t="$TCK" 'BEGIN { printf "%.3f %.2f", w, (b - a) / t }'
}
row() {  # label "cli: wall cpu wall+fsync" "helper: wall cpu"
    set -- "$1" $2 $3
    printf "| %-22s | %7s s | %6s MB/s | %6s s | %7s s | %6s MB/s | %6s s | %5.2fx | %5.2fx | %s | %s |\n" "$1" "$2" \
        "$(mbs "$2")" "$3" "$5" "$(mbs "$5")" "$6" "$(awk -v c="$2" -v h="$5" 'BEGIN { print c / h }')" \
        "$(awk -v c="$4" -v h="$5" 'BEGIN { print c / h }')" "$(stat -c %s "$WORK/root/cli.out")" \
        "$(stat -c %s "$WORK/root/helper.out")"
}

echo "input: $SIZE_MIB MiB from /usr/bin /usr/lib /usr/share; $(nproc) cores; $(date -u +%FT%TZ)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| case | CLI wall | CLI rate | CLI cpu | helper wall | helper rate | helper cpu | speed vs CLI | vs CLI+fsync | CLI out bytes | helper out bytes |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for rep in $(seq "$REPS"); do
    if has zstd; then c=$(cli zstd -3 -T2 -q -c); h=$(helper zstd 3 2); row "zstd -3 -T2 #$rep" "$c" "$h"; fi
    if has pigz; then c=$(cli pigz -6 -p2 -c); h=$(helper gzip 6 2); row "pigz -6 -p2 #$rep" "$c" "$h"; fi
    if has lz4; then c=$(cli lz4 -1 -q -c); h=$(helper lz4 1 1); row "lz4 -1 (1 worker) #$rep" "$c" "$h"; fi
done
if has xz; then
    if [ "$XZ_MIB" != "$SIZE_MIB" ]; then
        head -c $((XZ_MIB << 20)) "$IN" > "$WORK/root/input-xz"; IN="$WORK/root/input-xz"; BYTES=$((XZ_MIB << 20))
    fi
    c=$(cli xz -6 -T2 -c); h=$(helper xz 6 2); row "xz -6 -T2 ($XZ_MIB MiB)" "$c" "$h"
    IN="$WORK/root/input"; BYTES=$((SIZE_MIB << 20)); rm -f "$WORK/root/input-xz"
fi
if has latency; then
    runms() {  # median and p90 of the helper's own run time (log "ms=") of the last 200 jobs
        grep job-finished "$WORK/helper.log" | tail -200 | sed 's/.* ms=\([0-9]*\).*/\1/' | sort -n \
            | awk '{ a[NR] = $1 } END { printf "job run (open to fsync+rename) median_ms=%s p90_ms=%s", a[int(NR / 2)], a[int(NR * 0.9)] }'
    }
    head -c 1 "$IN" > "$WORK/root/one"
    echo "1-byte submit-to-done on disk ($WORK; fsyncs: journal entry, temp file, directory), zstd, 200 jobs after 20 warm-up:" \
        "$("${BENCH[@]}" latency 200 "$WORK/root/one" "$WORK/root"); $(runms)"
    head -c 1 "$IN" > "$SHM/one"
    echo "1-byte submit-to-done on tmpfs ($SHM, fsync free: the bus's own cost):" \
        "$("${BENCH[@]}" latency 200 "$SHM/one" "$SHM"); $(runms)"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -f "$WORK/root/cli.out" "$WORK/root/helper.out" "$WORK/root/one.zst"
