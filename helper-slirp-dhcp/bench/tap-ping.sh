#!/bin/bash
# The tap front end against slirp4netns 1.2.0 in the same setup, side by side in one run: a network namespace
# whose tap0 is served by the tool; flood ping (iputils, one echo in flight at a time is not enforced: -f sends
# as replies come back or every 10 ms) to the gateway 10.0.2.2 for N echoes. Both answer the gateway's echo:
# this helper itself, slirp4netns through a host ICMP socket to 127.0.0.1 (its gateway maps to host loopback), so
# this is a round-trip figure of each tool's tap path, not of the NAT. Reports echoes/s and the tool's CPU
# seconds. Root (ip netns); nothing leaves the machine (namespaces with no other interface).
# Usage: bench/tap-ping.sh [echoes] [mtu]    (run under flock /tmp/bench.lock; after mvn package)
# MODE=interleave: both tools are set up and warmed up first, then the N echoes are split into $SLICES (default 15;
# 7 before the sixth round) floods of N/SLICES per tool, alternating (order reversed each slice), so both see the
# same load and scheduler placement; reported: each tool's median echoes/s over its slices (min-max, all slices),
# median CPU s per slice, the ratio of medians, and the median of the per-slice-pair ratios (slice i of each
# tool, adjacent in time: the robust figure) with their range. Default (MODE=sequential): one flood of N per tool, the helper's first.
set -euo pipefail
N=${1:-20000}
MTU=${2:-1500}
HERE=$(cd "$(dirname "$0")" && pwd)
MOD=$(dirname "$HERE")
JAR=${HELPER_JAR:-$MOD/target/helper-slirp-dhcp.jar} # HELPER_JAR: a copy, so a rebuild cannot change it mid-run
for t in ping:iputils-ping slirp4netns:slirp4netns udhcpc:udhcpc dbus-daemon:dbus-daemon ip:iproute2; do
  command -v "${t%%:*}" >/dev/null || { echo "missing ${t%%:*}: apt-get install ${t##*:}" >&2; exit 1; }
done
[ -f "$JAR" ] || { echo "missing $JAR: mvn -o -q -pl helper-slirp-dhcp -am package -DskipTests" >&2; exit 1; }
JVM_FLAGS=${HELPER_JVM_FLAGS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC}
TMP=$(mktemp -d /tmp/tapbench.XXXXXX)
H=tbh$$; S=tbs$$
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.3
  for ns in $H $S; do ip netns del $ns 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
cpu() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }
flood() { ip netns exec "$1" ping -q -f -c "$N" -s $((MTU - 28)) 10.0.2.2 | tail -2 | tr '\n' ' '; }
# the same warm-up for both tools: a flood of WARMUP echoes (default 5000), so that the JVM's echo path is compiled
# before it is measured (200 echoes left C1 compiling inside the measured 20,000: the helper's CPU per echo then
# swung 0.23-0.49 s between runs of one jar)
warm_up() { ip netns exec "$1" ping -q -f -c "${WARMUP:-5000}" -s $((MTU - 28)) 10.0.2.2 >/dev/null; }

cat > "$TMP/udhcpc.sh" <<'S'
#!/bin/sh
case "$1" in bound|renew) ip addr add "$ip/$mask" dev "$interface"; ip route add default via "$router";; esac
S
chmod +x "$TMP/udhcpc.sh"

# this helper: tap0 in namespace H, leased by udhcpc
{ read -r BUS; read -r DPID; } < <(dbus-daemon --session --print-address --fork --print-pid)
PIDS+=("$DPID")
ip netns add $H
# shellcheck disable=SC2086
java $JVM_FLAGS -jar "$JAR" --bus-address="$BUS" --state-dir="$TMP/state" --netns /run/netns/$H --tap tap0 \
  --mtu "$MTU" --upstream 127.0.0.1:9 >"$TMP/helper.log" 2>&1 &
HP=$!; PIDS+=("$HP")
for _ in $(seq 100); do grep -q " ready " "$TMP/helper.log" && break; sleep 0.1; done
ip netns exec $H udhcpc -i tap0 -s "$TMP/udhcpc.sh" -q -n -t 5 -T 1 >/dev/null 2>&1
warm_up $H
if [ "${MODE:-sequential}" != interleave ]; then
c0=$(cpu $HP); t0=$(date +%s.%N)
out=$(flood $H); t1=$(date +%s.%N); c1=$(cpu $HP)
echo "helper-slirp-dhcp tap  mtu=$MTU: $(echo "$N / ($t1 - $t0)" | bc) echoes/s, CPU $(echo "$c1 - $c0" | bc) s | $out"
fi

# slirp4netns: tap0 in namespace S, configured by itself (10.0.2.100)
ip netns add $S
slirp4netns --configure --mtu "$MTU" --netns-type=path /run/netns/$S tap0 >"$TMP/slirp.log" 2>&1 &
SP=$!; PIDS+=("$SP")
for _ in $(seq 100); do ip netns exec $S ip -o addr show tap0 2>/dev/null | grep -q 10.0.2 && break; sleep 0.1; done
warm_up $S
if [ "${MODE:-sequential}" != interleave ]; then
c0=$(cpu $SP); t0=$(date +%s.%N)
out=$(flood $S); t1=$(date +%s.%N); c1=$(cpu $SP)
echo "slirp4netns 1.2.0 tap  mtu=$MTU: $(echo "$N / ($t1 - $t0)" | bc) echoes/s, CPU $(echo "$c1 - $c0" | bc) s | $out"
exit 0
fi
SLICES=${SLICES:-15}; PER=$((N / SLICES))
slice() { # $1 = tool name, $2 = namespace, $3 = pid: one flood of PER echoes; prints "name echoes/s cpu-s"
  local c0 c1 t0 t1
  c0=$(cpu "$3"); t0=$(date +%s.%N)
  ip netns exec "$2" ping -q -f -c "$PER" -s $((MTU - 28)) 10.0.2.2 >/dev/null
  t1=$(date +%s.%N); c1=$(cpu "$3")
  echo "$1 $(echo "$PER / ($t1 - $t0)" | bc) $(echo "$c1 - $c0" | bc)"
}
echo "tap-ping MODE=interleave mtu=$MTU: $SLICES slices of $PER echoes per tool, alternating; load $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$SLICES"); do
  if [ $((i % 2)) = 1 ]; then slice helper $H $HP; slice slirp4netns $S $SP; else slice slirp4netns $S $SP; slice helper $H $HP; fi
done > "$TMP/slices"
python3 - "$TMP/slices" <<'PY'
import statistics, sys
by = {}
for line in open(sys.argv[1]):
    t, r, c = line.split(); by.setdefault(t, []).append((int(r), float(c)))
for t, v in by.items():
    rs = [x[0] for x in v]
    print("%-12s median %d echoes/s (%d-%d: %s), median CPU %.2f s per slice"
          % (t, statistics.median(rs), min(rs), max(rs), " ".join(map(str, rs)), statistics.median(x[1] for x in v)))
h = statistics.median(x[0] for x in by["helper"]); s = statistics.median(x[0] for x in by["slirp4netns"])
pairs = [a[0] / b[0] for a, b in zip(by["helper"], by["slirp4netns"]) if b[0] > 0]
print("ratio of medians helper/slirp4netns %.2fx; median pair ratio %.2fx; per-slice pairs %.2f-%.2fx (%d of %d >= 1.0)"
      % (h / s, statistics.median(pairs), min(pairs), max(pairs), sum(p >= 1 for p in pairs), len(pairs)))
PY
echo "load at end $(cut -d' ' -f1-3 /proc/loadavg)"
