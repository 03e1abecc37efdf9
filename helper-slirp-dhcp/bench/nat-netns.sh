#!/bin/bash
# Side by side, one run: a plain network namespace as the "guest", reaching servers on the host's 127.0.0.1
# through the gateway 10.0.2.2, over
#   A: helper-slirp-dhcp with its tap front end (--netns PATH --tap tap0), and
#   B: slirp4netns 1.2.0 (libslirp) --configure in another namespace,
#   C: pasta (Debian passt 0.0~git20230309) --config-net in a third one (TRANSLATORS="helper slirp4netns" to
#      leave it out), as root with --runas 0:0 (as root it otherwise drops to nobody and cannot enter the
#      namespace), address 10.0.2.100/24 and gateway 10.0.2.2 like the others; the gateway maps to the host's
#      loopback (pasta's default). Before measuring, one echo through 10.0.2.2 must come back from our own echo
#      server, else the column is skipped (nothing is sent on unless the mapping is proven),
# at each MTU in $MTUS: iperf3 guest->host and host->guest (-R) in Gbit/s with CPU seconds per GiB of the
# translator (helper JVM or slirp4netns), then one-byte ping-pong round trips/s over one TCP connection and
# connect + 1 KiB + close connections/s with the translator's CPU microseconds per round trip or connection (python3
# clients in the namespace, servers on 127.0.0.1). Two connections/s figures: "connect", the client closes first
# (the one-way echo server answers the 1 KiB, the client closes after reading it), and "connect-sc", the server
# closes first (it answers the 1 KiB and closes, as an HTTP/1.0 server does; the client reads to the end). Each
# connection goes to the next of $PORTS (16) server ports in turn: a client that closes first keeps its port in
# TIME_WAIT for 60 s per destination, and with one server port every tool fell to the same 400-480/s after about
# 14,000 connections (EADDRNOTAVAIL at 28,232: the guest kernel's free-port search; neither translator offers TCP
# timestamps, so net.ipv4.tcp_tw_reuse cannot help), not a translator's speed.
# Nothing leaves the machine: the namespaces' only route is the translator. Root. Usage: bench/nat-netns.sh [secs]
# MODE=interleave (latency only, no iperf3; FIGURES="pingpong" e.g. measures only some of them): at each MTU every translator in $TRANSLATORS (default there: helper
# slirp4netns) is set up at once, each in its own namespace, and the round-trip and connections/s clients run in
# alternating slices of $SLICE seconds (default 0.5): one discarded warm-up slice per translator, then $SLICES
# (default 15; 7 x 1 s before the sixth round: one regime switch could decide a cell) slices each, the order reversed every slice (A B, B A, ...), so that both translators see the same
# load and scheduler placement within seconds of each other. Each slice is a fresh client process (ping-pong: a
# new connection per slice). Reported per translator: the median rate over the slices, its min-max, the median
# translator CPU us per operation; then the ratio of medians (helper / slirp4netns), the median of the
# per-slice-pair ratios (slice i of each tool; the robust figure) and their min-max. The default (MODE=sequential) is the older mode: one translator after the other,
# one $SECS-second figure each.
set -euo pipefail
SECS=${1:-5}
MTUS=${MTUS:-1500 65520}
HERE=$(cd "$(dirname "$0")" && pwd)
MOD=$(dirname "$HERE")
JAR=${HELPER_JAR:-$MOD/target/helper-slirp-dhcp.jar} # HELPER_JAR: a copy, so a rebuild cannot change it mid-run
# BASE_JAR=path adds a column "baseline": the helper from that jar (before/after a change, in the same run), with
# BASE_JVM_FLAGS if set (e.g. the same jar on C2 against C1)
MODE=${MODE:-sequential}
SLICES=${SLICES:-15}; SLICE=${SLICE:-0.5}
if [ "$MODE" = interleave ]; then TRANSLATORS=${TRANSLATORS:-helper${BASE_JAR:+ baseline} slirp4netns}; fi
TRANSLATORS=${TRANSLATORS:-helper${BASE_JAR:+ baseline} slirp4netns pasta}
for t in iperf3:iperf3 slirp4netns:slirp4netns python3:python3 ip:iproute2 dbus-daemon:dbus-daemon; do
  command -v "${t%%:*}" >/dev/null || { echo "missing ${t%%:*}: apt-get install ${t##*:}" >&2; exit 1; }
done
[ -f "$JAR" ] || (cd "$MOD/.." && mvn -o -q -pl helper-slirp-dhcp -am package -DskipTests)
JVM_FLAGS=${HELPER_JVM_FLAGS:-$("$MOD/../deploy/bench/helper-jvm-flags.sh" slirp-dhcp)}
TMP=$(mktemp -d /tmp/natns.XXXXXX)
NA=natA$$; NB=natB$$; NC=natC$$
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.3
  for ns in $(ip netns list | awk "{print \$1}" | grep -E "^nat[ABC]$$"); do
    for p in $(ip netns pids $ns 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del $ns 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
# shellcheck source=private-bus.sh
. "$HERE/private-bus.sh"
start_private_bus "$TMP"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
IPERF=$(free_port); PORTS=${PORTS:-16}
iperf3 -s -B 127.0.0.1 -p "$IPERF" > /dev/null 2>&1 & PIDS+=($!)
cat > "$TMP/echo.py" <<'PY'
import os, socket, sys, threading
# echo.py PORTFILE COUNT [reply]: COUNT listeners on 127.0.0.1, their ports written comma-separated to PORTFILE;
# echo: echoes until the client closes; reply: echoes 1 KiB, then closes first
reply = len(sys.argv) > 3 and sys.argv[3] == "reply"
listeners = []
for _ in range(int(sys.argv[2])):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0)); s.listen(512); listeners.append(s)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(",".join(str(s.getsockname()[1]) for s in listeners))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
def serve(c):
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    got = 0
    while not reply or got < 1024:
        d = c.recv(65536)
        if not d: break
        got += len(d)
        c.sendall(d)
    c.close()
def accept(s):
    while True:
        c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
for s in listeners[1:]:
    threading.Thread(target=accept, args=(s,), daemon=True).start()
accept(listeners[0])
PY
cat > "$TMP/client.py" <<'PY'
import socket, sys, time
mode, ports, secs = sys.argv[1], [int(p) for p in sys.argv[2].split(",")], float(sys.argv[3])
port = ports[0]
end = time.time() + secs; n = 0
if mode == "check":
    c = socket.create_connection(("10.0.2.2", port), timeout=secs); c.sendall(b"ping-echo")
    sys.exit(0 if c.recv(16) == b"ping-echo" else 1)
if mode == "pingpong":
    c = socket.create_connection(("10.0.2.2", port)); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while time.time() < end:
        c.sendall(b"x"); c.recv(1); n += 1
else:
    kib = b"k" * 1024; to_eof = mode == "connect-sc"  # connect-sc: the server closes first, read to its FIN
    while time.time() < end:
        c = socket.create_connection(("10.0.2.2", ports[n % len(ports)])); c.sendall(kib); got = 0
        while got < 1024 or to_eof:
            d = c.recv(4096)
            if not d: break
            got += len(d)
        c.close()
        if got != 1024: sys.exit("short reply: %d bytes" % got)
        n += 1
print("%.0f" % (n / secs))
PY
python3 "$TMP/echo.py" "$TMP/echo.ports" "$PORTS" & PIDS+=($!)
python3 "$TMP/echo.py" "$TMP/reply.ports" "$PORTS" reply & PIDS+=($!)
for _ in $(seq 50); do [ -f "$TMP/echo.ports" ] && [ -f "$TMP/reply.ports" ] && break; sleep 0.1; done
ECHO=$(cat "$TMP/echo.ports"); REPLY=$(cat "$TMP/reply.ports")
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

setup() { # $1 = helper|slirp4netns, $2 = mtu; sets NS and TPID (the translator's pid)
  if [ "$1" = helper ] || [ "$1" = baseline ]; then
    local jar=$JAR flags=$JVM_FLAGS instance=()
    # the baseline owns its own bus name (--instance): in MODE=interleave both helpers are on the one bus at once
    [ "$1" = baseline ] && { jar=$BASE_JAR; flags=${BASE_JVM_FLAGS:-$JVM_FLAGS}; instance=(--instance baseline --vmstate-id slirp-baseline); }
    NS=${NA}_$2; [ "$1" = baseline ] && NS=${NA}b_$2 # both up at once in MODE=interleave
    ip netns add $NS; ip -n $NS link set lo up
    # shellcheck disable=SC2086
    java $flags -jar "$jar" --bus-address=unix:path=$TMP/bus.sock --state-dir="$TMP/state-$1-$2" \
      --netns /run/netns/$NS --tap tap0 --mtu "$2" --upstream 127.0.0.1:9 "${instance[@]}" > "$TMP/$1-$2.log" 2>&1 &
    TPID=$!
    for i in $(seq 150); do grep -q " ready " "$TMP/$1-$2.log" && break; sleep 0.1; done
    ip -n $NS addr add 10.0.2.15/24 dev tap0; ip -n $NS route add default via 10.0.2.2
  elif [ "$1" = pasta ]; then
    NS=${NC}_$2; ip netns add $NS
    pasta --config-net -f --runas 0:0 -4 -t none -u none -T none -U none -m "$2" -a 10.0.2.100 -n 24 \
      -g 10.0.2.2 --netns /run/netns/$NS > "$TMP/pasta-$2.log" 2>&1 & TPID=$!
    for i in $(seq 50); do ip -n $NS addr show 2>/dev/null | grep -q 10.0.2.100 && break; sleep 0.1; done
  else
    NS=${NB}_$2; ip netns add $NS; ip -n $NS link set lo up
    ip netns exec $NS sleep 100000 & local holder=$!
    # slirp4netns joins the holder's namespace: wait until `ip netns exec` has entered it (else it is the host's)
    for i in $(seq 50); do
      [ "$(readlink /proc/$holder/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break; sleep 0.05
    done
    slirp4netns --configure --mtu="$2" "$holder" tap0 > "$TMP/s4n-$2.log" 2>&1 & TPID=$!
    for i in $(seq 50); do ip -n $NS addr show tap0 2>/dev/null | grep -q 10.0.2.100 && break; sleep 0.1; done
  fi
  sleep 0.5
}
teardown() {
  kill "$TPID" 2>/dev/null || true; wait "$TPID" 2>/dev/null || true
  for p in $(ip netns pids $NS 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
  ip netns del $NS
}
iperf() { # $1 = extra flags; prints "Gbit/s cpu-s/GiB"
  local b a out
  b=$(cpu "$TPID")
  out=$(ip netns exec $NS iperf3 -c 10.0.2.2 -p "$IPERF" -t "$SECS" -J $1 2>/dev/null || true)
  a=$(cpu "$TPID")
  python3 -c '
import json, sys
d = json.loads(sys.argv[1]); r = d["end"]["sum_received"]
gib = r["bytes"] / 2**30
print("%.2f %.2f" % (r["bits_per_second"] / 1e9, (int(sys.argv[2]) / int(sys.argv[3])) / gib))' "$out" "$((a - b))" "$HZ" \
    2>/dev/null || echo "failed -"
}
rate() { # $1 = pingpong|connect|connect-sc; prints "per-second(translator CPU us per operation)"
  local b a r
  b=$(cpu "$TPID")
  local port=$ECHO; [ "$1" = connect-sc ] && port=$REPLY
  r=$(ip netns exec $NS python3 "$TMP/client.py" "$1" "$port" "$SECS" 2>/dev/null || echo failed)
  a=$(cpu "$TPID")
  [ "$r" = failed ] && { echo failed; return; }
  python3 -c 'import sys; r, t, hz, s = map(float, sys.argv[1:]); print("%d(%.0f)" % (r, t / hz * 1e6 / max(1, r * s)))' \
    "$r" "$((a - b))" "$HZ" "$SECS"
}
echo "nat-netns bench: ${SECS}s per figure, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "helper JVM flags: $JVM_FLAGS"
if [ "$MODE" = interleave ]; then
  echo "MODE=interleave: $SLICES slices of ${SLICE}s per translator and figure, alternating, after one warm-up slice"
  : > "$TMP/slices"
  declare -A TNS TPIDS
  for mtu in $MTUS; do
    live=""
    for t in $TRANSLATORS; do
      setup $t "$mtu"; TNS[$t]=$NS; TPIDS[$t]=$TPID
      if [ "$t" = pasta ] && ! ip netns exec $NS python3 "$TMP/client.py" check "$ECHO" 2 >/dev/null 2>&1; then
        echo "pasta $mtu skipped: no echo from our server through 10.0.2.2"; teardown; continue
      fi
      live="$live $t"
    done
    for fig in ${FIGURES:-pingpong connect connect-sc}; do
      SECS_SAVED=$SECS; SECS=$SLICE
      for t in $live; do NS=${TNS[$t]}; TPID=${TPIDS[$t]}; rate $fig > /dev/null; done # warm-up, discarded
      order=$live
      for i in $(seq "$SLICES"); do
        for t in $order; do
          NS=${TNS[$t]}; TPID=${TPIDS[$t]}
          echo "$mtu $fig $t $i $(rate $fig) $(cut -d' ' -f1 /proc/loadavg)" >> "$TMP/slices"
        done
        order=$(echo $order | tr ' ' '\n' | tac | tr '\n' ' ')
      done
      SECS=$SECS_SAVED
    done
    for t in $live; do NS=${TNS[$t]}; TPID=${TPIDS[$t]}; teardown; done
  done
  python3 - "$TMP/slices" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    mtu, fig, t, i, r, load = line.split()
    m = re.match(r"(\d+)\((\d+)\)", r)
    if not m: continue
    rows.setdefault((mtu, fig), {}).setdefault(t, {})[int(i)] = (int(m[1]), int(m[2]), float(load))
print("%-6s %-9s %-12s %10s %17s %8s %s" % ("mtu", "figure", "translator", "median/s", "min-max", "cpu us", "slices"))
for (mtu, fig), by in rows.items():
    for t, sl in by.items():
        rs = [v[0] for v in sl.values()]
        print("%-6s %-9s %-12s %10d %17s %8d %s" % (mtu, fig, t, statistics.median(rs), "%d-%d" % (min(rs), max(rs)),
              statistics.median(v[1] for v in sl.values()), " ".join(str(r) for r in rs)))
    for name in ("helper", "baseline"):
        if name not in by or "slirp4netns" not in by:
            continue
        h, s = by[name], by["slirp4netns"]
        pairs = [h[i][0] / s[i][0] for i in h if i in s and s[i][0] > 0]
        # the median of the pair ratios is the robust figure: a pair's two slices are adjacent in time, so a
        # scheduler-regime switch spoils one pair, while it can move either tool's median of its own slices
        print("%-6s %-9s ratio of medians %s/slirp4netns %.2fx; median pair ratio %.2fx; per-slice pairs %.2f-%.2fx (%d of %d >= 1.0); load %.1f-%.1f"
              % (mtu, fig, name, statistics.median(v[0] for v in h.values()) / statistics.median(v[0] for v in s.values()),
                 statistics.median(pairs), min(pairs), max(pairs), sum(p >= 1 for p in pairs), len(pairs),
                 min(v[2] for d in (h, s) for v in d.values()), max(v[2] for d in (h, s) for v in d.values())))
PY
  exit 0
fi
printf '%-12s %6s %-18s %-18s %12s %12s %12s\n' translator mtu "guest->host Gb/s,cpu/GiB" "host->guest" "rtt/s(cpu us)" \
  "conn/s(cpu us)" "server-closes"
for mtu in $MTUS; do
  for t in $TRANSLATORS; do
    setup $t "$mtu"
    if [ "$t" = pasta ] && ! ip netns exec $NS python3 "$TMP/client.py" check "$ECHO" 2 >/dev/null 2>&1; then
      printf '%-12s %6s skipped: no echo from our server through 10.0.2.2 (%s)\n' "$t" "$mtu" \
        "$(tr '\n' ' ' < "$TMP/pasta-$mtu.log" | cut -c1-120)"
      teardown; continue
    fi
    up=$(iperf ""); down=$(iperf "-R")
    pp=$(rate pingpong); cc=$(rate connect); cs=$(rate connect-sc)
    printf '%-12s %6s %-18s %-18s %12s %12s %12s\n' "$t" "$mtu" "$up" "$down" "$pp" "$cc" "$cs"
    teardown
  done
done
