#!/bin/sh
# TPM operations per second over one persistent data connection: helper-tpm-stub vs swtpm, side by
# side in one run. Usage: helper-tpm-stub/bench/bench.sh [SECONDS] [ROUNDS] [OPERATION...]
# OPERATION: pcr-extend (the default; PcrExtendBench.java), or one of KeysBench.java's:
# createprimary-rsa, createprimary-ecc, createprimary-rsa-new, createprimary-ecc-new, quote-rsa,
# quote-ecc, unseal, context; "keys" stands for all of those.
# BASE_JAR=PATH also runs that helper jar (an earlier build) in the same rounds, labelled tpm-stub-base,
# so that a change is measured before/after against the same swtpm run.
# Each run also prints the TPM process's CPU time per operation (from /proc/PID/stat), and the summary
# its median: on a shared machine the rates follow the load, CPU time per operation much less.
# Needs: swtpm, dbus-daemon, java 17, python3 (free ports); builds the helper jar (offline) if it is missing.
set -eu
SECS=${1:-10}
ROUNDS=${2:-2}
shift 2 2>/dev/null || shift $#
OPS=${*:-pcr-extend}
[ "$OPS" = keys ] && OPS="createprimary-rsa createprimary-ecc createprimary-rsa-new createprimary-ecc-new quote-rsa quote-ecc unseal context"
HERE=$(cd "$(dirname "$0")" && pwd)
MOD=$(dirname "$HERE")
ROOT=$(dirname "$MOD")
JAR="$MOD/target/helper-tpm-stub.jar"
[ -f "$JAR" ] || (cd "$ROOT" && mvn -o -q -pl helper-tpm-stub package -DskipTests)
command -v swtpm >/dev/null || { echo "needs swtpm: apt-get install -y swtpm" >&2; exit 1; }
command -v dbus-daemon >/dev/null || { echo "needs dbus-daemon: apt-get install -y dbus-daemon" >&2; exit 1; }

TMP=$(mktemp -d /tmp/tpmstub-bench.XXXXXX)
PIDS=""
cleanup() {
    # newest first: the helper and swtpm before their bus
    ORDER=""
    for p in $PIDS; do ORDER="$p $ORDER"; done
    for p in $ORDER; do kill "$p" 2>/dev/null || true; sleep 0.2; done
    for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket
while True:
    s=socket.socket(); s.bind(("127.0.0.1",0)); p=s.getsockname()[1]; s.close()
    try:
        a=socket.socket(); a.bind(("127.0.0.1",p+1)); a.close(); print(p); break
    except OSError: pass'; }
wait_port() { for _ in $(seq 1 100); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null && return 0
    sleep 0.1; done; echo "port $1 did not open" >&2; return 1; }

cat > "$TMP/bus.conf" <<CONF
<busconfig><type>session</type><listen>unix:path=$TMP/bus.sock</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>
</busconfig>
CONF
dbus-daemon --config-file="$TMP/bus.conf" --nofork --nopidfile >/dev/null 2>&1 &
PIDS="$PIDS $!"
sleep 0.3
ADDR="unix:path=$TMP/bus.sock"

P_HELPER=$(free_port)
# the launcher's JVM flags (for this helper C2 with raised tier-3 thresholds, small heap): the deployed
# helper's figures; HELPER_JVM_FLAGS overrides
JVM_FLAGS=$("$ROOT/deploy/bench/helper-jvm-flags.sh" tpm-stub)
echo "helper JVM flags: $JVM_FLAGS"
# shellcheck disable=SC2086
java $JVM_FLAGS -jar "$JAR" --bus-address="$ADDR" --state-dir "$TMP/state" --log-level warn \
    --server "tcp:127.0.0.1:$P_HELPER" --ctrl "tcp:127.0.0.1:$((P_HELPER + 1))" &
PIDS="$PIDS $!"
PID_HELPER=$!
wait_port "$P_HELPER" # before the next free_port, which could otherwise return its control port
if [ -n "${BASE_JAR:-}" ]; then
    # its own bus: both helpers own the same name
    sed "s|$TMP/bus.sock|$TMP/bus-base.sock|" "$TMP/bus.conf" > "$TMP/bus-base.conf"
    dbus-daemon --config-file="$TMP/bus-base.conf" --nofork --nopidfile >/dev/null 2>&1 &
    PIDS="$PIDS $!"
    sleep 0.3
    P_BASE=$(free_port)
    # shellcheck disable=SC2086
    java $JVM_FLAGS -jar "$BASE_JAR" --bus-address="unix:path=$TMP/bus-base.sock" --state-dir "$TMP/state-base" --log-level warn \
        --server "tcp:127.0.0.1:$P_BASE" --ctrl "tcp:127.0.0.1:$((P_BASE + 1))" &
    PIDS="$PIDS $!"
    PID_BASE=$!
    wait_port "$P_BASE"
fi
P_SWTPM=$(free_port)
mkdir -p "$TMP/swtpm"
swtpm socket --tpm2 --server "type=tcp,port=$P_SWTPM,bindaddr=127.0.0.1" \
    --ctrl "type=tcp,port=$((P_SWTPM + 1)),bindaddr=127.0.0.1" --tpmstate "dir=$TMP/swtpm" --flags not-need-init &
PIDS="$PIDS $!"
PID_SWTPM=$!
wait_port "$P_HELPER"; wait_port "$P_SWTPM"

# CPU time (user + system, clock ticks) of a process so far: /proc/PID/stat fields 14 and 15
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
TICK=$(getconf CLK_TCK)
# one run of OPERATION against HOST PORT for SECS seconds, labelled; appends the TPM process's CPU
# time per operation (all its threads: JIT and the helper's second prime thread included), which
# the load of a shared machine disturbs far less than the rate
measure() { # PORT SECS LABEL OPERATION [PID]
    before=$([ -z "${5:-}" ] || cpu_ticks "$5")
    if [ "$4" = pcr-extend ]; then
        line=$(java "$HERE/PcrExtendBench.java" 127.0.0.1 "$1" "$2" "$3")
    else
        line=$(java "$HERE/KeysBench.java" 127.0.0.1 "$1" "$2" "$4" "$3")
    fi
    if [ -n "${5:-}" ]; then
        after=$(cpu_ticks "$5")
        # the count is the first field after the colon; the client's 2 s warm-up also ran its operation
        echo "$line" | awk -v d=$((after - before)) -v hz="$TICK" -v warm=2 '{ n = $3; r = $(NF-1); printf "%s (TPM CPU %.4f ms/op)\n", $0, 1000 * d / hz / (n + warm * r) }'
    else
        echo "$line"
    fi
}
echo "one persistent TCP connection, ${SECS}s per run after 2s warm-up, $ROUNDS alternating rounds" \
     "($(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg))"
for op in $OPS; do
    # one unreported run each first, so that both have warm caches (and the helper's JIT has compiled)
    measure "$P_SWTPM" 3 warmup "$op" >/dev/null
    measure "$P_HELPER" 5 warmup "$op" >/dev/null
    [ -z "${BASE_JAR:-}" ] || measure "$P_BASE" 5 warmup "$op" >/dev/null
    : > "$TMP/results"
    for r in $(seq 1 "$ROUNDS"); do
        measure "$P_SWTPM" "$SECS" swtpm "$op" "$PID_SWTPM" | tee -a "$TMP/results"
        measure "$P_HELPER" "$SECS" tpm-stub "$op" "$PID_HELPER" | tee -a "$TMP/results"
        [ -z "${BASE_JAR:-}" ] || measure "$P_BASE" "$SECS" tpm-stub-base "$op" "$PID_BASE" | tee -a "$TMP/results"
    done
    awk -v op="$op" '{ r = ""; c = ""; for (i = 1; i < NF; i++) { if ($(i+1) == "/s") r = $i; if ($i == "CPU") c = $(i+1) }
               if ($1 == "swtpm") { s[ns++] = r; sc[nsc++] = c } else if ($1 == "tpm-stub") { h[nh++] = r; hc[nhc++] = c } else { b[nb++] = r; bc[nbc++] = c } }
         function med(a, n,   i, j, t) { for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
                                         return n % 2 ? a[int(n / 2)] : (a[n / 2 - 1] + a[n / 2]) / 2 }
         END { ms = med(s, ns); mh = med(h, nh); printf "median %s: swtpm %.1f /s, tpm-stub %.1f /s, ratio %.2fx", op, ms, mh, mh / ms
               if (nb) { mb = med(b, nb); printf "; tpm-stub-base %.1f /s, ratio %.2fx", mb, mb / ms }
               printf "; TPM CPU ms/op: swtpm %.4f, tpm-stub %.4f", med(sc, nsc), med(hc, nhc)
               if (nb) printf ", tpm-stub-base %.4f", med(bc, nbc)
               printf "\n" }' "$TMP/results"
done
