#!/bin/bash
# Side-by-side benchmarks, one run: helper-slirp-dhcp vs dnsmasq on the same machine.
#   DNS:  dnsperf on a local name (the helper's host record vs dnsmasq's --host-record), queries/s.
#   DHCP: perfdhcp (Debian kea-admin) from a client namespace over a veth pair; durable leases/s
#         (the helper's fsynced journal vs dnsmasq's lease file, which it rewrites per change).
# Needs root (ip netns), dnsperf, perfdhcp, dnsmasq, dbus-daemon, busctl. Usage: bench/run.sh [seconds]
set -euo pipefail
SECS=${1:-10}
RATE=${RATE:-1500}
HERE=$(cd "$(dirname "$0")" && pwd)
MOD=$(dirname "$HERE")
JAR=$MOD/target/helper-slirp-dhcp.jar
for t in dnsperf:dnsperf perfdhcp:kea-admin dnsmasq:dnsmasq-base dbus-daemon:dbus busctl:systemd ip:iproute2; do
  command -v "${t%%:*}" >/dev/null || { echo "missing ${t%%:*}: apt-get install ${t##*:}" >&2; exit 1; }
done
if [ ! -f "$JAR" ]; then (cd "$MOD/.." && mvn -o -q -pl helper-slirp-dhcp package -DskipTests); fi
# the launcher's JVM flags (C1 only, small heap): the deployed helper's figures; HELPER_JVM_FLAGS overrides
JVM_FLAGS=$("$MOD/../deploy/bench/helper-jvm-flags.sh" slirp-dhcp)
TMP=$(mktemp -d /tmp/sdbench.XXXXXX)
S=sdbs$$; C=sdbc$$
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for ns in $S $C; do
    for p in $(ip netns pids $ns 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del $ns 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
ip netns add $S; ip netns add $C
ip link add vs$$ netns $S type veth peer name vc$$ netns $C
ip -n $S link set lo up; ip -n $C link set lo up
ip -n $S addr add 10.0.0.2/8 dev vs$$; ip -n $S addr add 10.0.0.3/8 dev vs$$; ip -n $S link set vs$$ up
ip -n $C addr add 10.0.0.250/8 dev vc$$; ip -n $C link set vc$$ up

# shellcheck source=private-bus.sh
. "$HERE/private-bus.sh"
start_private_bus "$TMP"
BUS=unix:path=$TMP/bus.sock

start_helper() {
  # shellcheck disable=SC2086
  ip netns exec $S java $JVM_FLAGS -jar "$JAR" --bus-address=$BUS --state-dir="$TMP/state" \
    --udp-bind 10.0.0.3 --network 10.0.0.0/8 --upstream 127.0.0.1:9 > "$TMP/helper$1.log" 2>&1 & PIDS+=($!)
  for i in $(seq 150); do grep -q " ready " "$TMP/helper$1.log" && return 0; sleep 0.2; done
  cat "$TMP/helper$1.log" >&2; exit 1
}
rate() { sed -n 's/.*Rate: \([0-9.]*\) 4-way.*/\1/p'; }
qps() { sed -n 's/.*Queries per second: *\([0-9.]*\).*/\1/p'; }

echo "bench: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start, ${SECS}s per measurement"
echo "helper JVM flags: $JVM_FLAGS"
printf 'bench.vm.internal A\n' > "$TMP/queries.txt"

# ---------- DNS ----------
start_helper 1
HPID=${PIDS[-1]}
busctl --address=$BUS call org.qemu.SlirpDhcp1 /org/qemu/SlirpDhcp1 org.qemu.SlirpDhcp1 AddHostRecord ss bench.vm.internal 10.0.0.77
ip netns exec $S dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
  --listen-address=127.0.0.2 --port=53 --host-record=bench.vm.internal,10.0.0.77 --user=root --group=root \
  --pid-file= > "$TMP/dnsmasq-dns.log" 2>&1 & DPID=$!; PIDS+=($DPID)
sleep 1
cpu() { awk '{print $14+$15}' /proc/$1/stat; }   # utime+stime in clock ticks
# The machine is shared: alternate the two servers (2 rounds each), keep the best rate, and also report CPU time
# per query, which does not depend on how much CPU other processes leave over.
ip netns exec $S dnsperf -s 10.0.0.3 -p 53 -d "$TMP/queries.txt" -l 3 > /dev/null 2>&1 || true   # JIT warm-up
H_DNS=0; D_DNS=0; H_US=""; D_US=""
for round in 1 2; do
  for who in helper dnsmasq; do
    if [ $who = helper ]; then P=$HPID; A=10.0.0.3; else P=$DPID; A=127.0.0.2; fi
    c0=$(cpu $P)
    out=$(ip netns exec $S dnsperf -s $A -p 53 -d "$TMP/queries.txt" -l "$SECS" 2>&1 || true)
    c1=$(cpu $P)
    echo "$out" > "$TMP/dnsperf-$who-$round.txt"
    q=$(echo "$out" | sed -n 's/.*Queries completed: *\([0-9]*\).*/\1/p')
    r=$(echo "$out" | qps)
    us=$(awk -v t=$((c1 - c0)) -v q="${q:-0}" -v hz="$(getconf CLK_TCK)" 'BEGIN { if (q > 0) printf "%.1f", t * 1e6 / hz / q; else print "n/a" }')
    echo "  dns round $round $who: $r queries/s, $us us CPU/query"
    if [ $who = helper ]; then H_DNS=$(awk -v a="$H_DNS" -v b="$r" 'BEGIN{print (b > a) ? b : a}'); H_US="$H_US $us"
    else D_DNS=$(awk -v a="$D_DNS" -v b="$r" 'BEGIN{print (b > a) ? b : a}'); D_US="$D_US $us"; fi
  done
done
kill $DPID; wait $DPID 2>/dev/null || true

# ---------- DHCP (durable leases) ----------
PERF=(perfdhcp -4 -l vc$$ -r "$RATE" -R 100000)
ip netns exec $C "${PERF[@]}" -p 5 10.0.0.2 > /dev/null 2>&1 || true   # JIT warm-up
H_DHCP=$(ip netns exec $C "${PERF[@]}" -p "$SECS" 10.0.0.2 2>&1 | tee "$TMP/perfdhcp-helper.txt" | rate || true)
# durability check: SIGKILL the helper right after the run, restart it on the same state, count what it recovers
kill -9 $HPID; wait $HPID 2>/dev/null || true
start_helper 2
H_LEASES=$(sed -n 's/.*leases_recovered.* leases=\([0-9]*\).*/\1/p' "$TMP/helper2.log")
kill ${PIDS[-1]}; wait ${PIDS[-1]} 2>/dev/null || true

: > "$TMP/dnsmasq.leases"
ip netns exec $S dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --port=0 --interface=vs$$ \
  --bind-interfaces --dhcp-range=10.0.0.15,10.255.255.254,86400 --dhcp-leasefile="$TMP/dnsmasq.leases" \
  --dhcp-lease-max=1000000 --dhcp-authoritative --no-ping --user=root --group=root --pid-file= \
  > "$TMP/dnsmasq-dhcp.log" 2>&1 & DPID=$!; PIDS+=($DPID)
sleep 1
ip netns exec $C "${PERF[@]}" -p 5 10.0.0.2 > /dev/null 2>&1 || true
D_DHCP=$(ip netns exec $C "${PERF[@]}" -p "$SECS" 10.0.0.2 2>&1 | tee "$TMP/perfdhcp-dnsmasq.txt" | rate || true)
sleep 1; D_LEASES=$(wc -l < "$TMP/dnsmasq.leases")
kill $DPID; wait $DPID 2>/dev/null || true

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "n/a" }'; }
echo
echo "| measurement | helper-slirp-dhcp | dnsmasq 2.90 | ratio |"
echo "|---|---|---|---|"
echo "| DNS queries/s, local name (dnsperf -l $SECS, best of 2 alternating rounds) | $H_DNS | $D_DNS | $(ratio "$H_DNS" "$D_DNS") |"
echo "| DNS CPU time per query, microseconds (each round) |$H_US |$D_US | |"
echo "| durable DHCP leases/s (perfdhcp -r $RATE -R 100000 -p $SECS) | $H_DHCP | $D_DHCP | $(ratio "$H_DHCP" "$D_DHCP") |"
echo "| leases on disk after warm-up + measured run | $H_LEASES (recovered after kill -9) | $D_LEASES (lease file lines) | |"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
