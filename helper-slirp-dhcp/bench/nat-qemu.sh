#!/bin/bash
# Side by side, one run: a QEMU 7.2 guest (TCG, the busybox Linux guest of guest/build-initramfs.sh) downloads
# SIZE MiB from an HTTP server on the host's 127.0.0.1 through the gateway 10.0.2.2, over
#   A: -netdev stream to helper-slirp-dhcp (this suite's NAT), and
#   B: -netdev user (QEMU's built-in libslirp),
# alternating ROUNDS times (BASE_JAR=path adds a third run per round, "baseline": the helper from that jar). Reports MB/s (the guest's `time wget`) and host CPU seconds per GiB (QEMU + helper,
# from /proc/PID/stat), each run with its time and load average, and per round the ratios against -netdev user.
# Nothing leaves the machine. Usage: bench/nat-qemu.sh [SIZE_MIB] [ROUNDS]
# For analysis (they cost CPU; not for the figures): DUMP=DIR writes QEMU's filter-dump of each run's netdev
# (80-byte snaplen) to DIR/dump-RUN.pcap (bench/pcap-segments.py reads it); THREADS=1 prints each thread's CPU and
# run-queue wait (/proc/PID/task/*/stat, schedstat) over the timed window.
set -euo pipefail
SIZE=${1:-512}
ROUNDS=${2:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
MOD=$(dirname "$HERE")
JAR=${HELPER_JAR:-$MOD/target/helper-slirp-dhcp.jar} # HELPER_JAR: a copy, so a rebuild cannot change it mid-run
for t in qemu-system-x86_64:qemu-system-x86 busybox:busybox-static dbus-daemon:dbus-daemon cpio:cpio; do
  command -v "${t%%:*}" >/dev/null || { echo "missing ${t%%:*}: apt-get install ${t##*:}" >&2; exit 1; }
done
[ -f "$JAR" ] || (cd "$MOD/.." && mvn -o -q -pl helper-slirp-dhcp -am package -DskipTests)
JVM_FLAGS=${HELPER_JVM_FLAGS:-$("$MOD/../deploy/bench/helper-jvm-flags.sh" slirp-dhcp)}
TMP=$(mktemp -d /tmp/natbench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.3; rm -rf "$TMP"; }
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
BASE=$(sh "$MOD/../deploy/guest/build-initramfs.sh" "$HOME/.cache/qemu-dbus-helpers/slirp-guest")
KERNEL=$(ls /boot/vmlinuz-* | sort -V | tail -1)
mkdir -p "$TMP/www" "$TMP/extra"
head -c $((SIZE << 20)) /dev/urandom > "$TMP/www/big"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
busybox httpd -f -p 127.0.0.1:$PORT -h "$TMP/www" & PIDS+=($!)
cat > "$TMP/extra/test.sh" <<S
wget -q -O /dev/null http://10.0.2.2:$PORT/big || echo GUEST-WGET-FAILED # warm-up of the host's page cache
time wget -q -O /dev/null http://10.0.2.2:$PORT/big || echo GUEST-WGET-FAILED
echo BENCH-DONE
sleep 5
S
(cd "$TMP/extra" && echo test.sh | cpio -o -H newc --quiet | gzip -1 > ../extra.cpio.gz)
cat "$BASE" "$TMP/extra.cpio.gz" > "$TMP/initrd"
# shellcheck source=private-bus.sh
. "$HERE/private-bus.sh"
start_private_bus "$TMP"
threads() { # "pid:comm@tid cpu-ticks runqueue-wait-in-10ms" per thread of $1
  for t in /proc/$1/task/*; do
    echo "$1:$(tr ' ' _ < "$t/comm")@${t##*/} $(cut -d')' -f2 "$t/stat" | awk '{print $12+$13}') $(awk '{print $2/10000000}' "$t/schedstat")"
  done
}
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }   # utime+stime in clock ticks
HZ=$(getconf CLK_TCK)

run() { # $1 = helper|baseline|user
  local log=$TMP/serial-$1.txt hpid= qpid before after secs
  rm -f "$log"
  local net
  if [ "$1" != user ]; then
    local jar=$JAR; [ "$1" = baseline ] && jar=$BASE_JAR
    # shellcheck disable=SC2086
    java $JVM_FLAGS -jar "$jar" --bus-address=unix:path=$TMP/bus.sock --state-dir="$TMP/state" \
      --netdev-socket="$TMP/net.sock" --upstream 127.0.0.1:9 > "$TMP/helper.log" 2>&1 & hpid=$!
    for i in $(seq 600); do grep -q " ready " "$TMP/helper.log" && break; sleep 0.1; done
    grep -q " ready " "$TMP/helper.log" || { echo "helper not ready within 60 s:"; cat "$TMP/helper.log"; return 1; }
    net="-netdev stream,id=n0,server=off,addr.type=unix,addr.path=$TMP/net.sock"
  else
    net="-netdev user,id=n0"
  fi
  # shellcheck disable=SC2086
  qemu-system-x86_64 -nodefaults -no-user-config -machine pc -accel tcg -m 512 -display none -no-reboot \
    -kernel "$KERNEL" -initrd "$TMP/initrd" -append "console=ttyS0 quiet panic=-1" -serial file:"$log" \
    $net -device virtio-net-pci,netdev=n0 ${DUMP:+-object filter-dump,id=d0,netdev=n0,maxlen=80,file=$DUMP/dump-$1.pcap} \
    > "$TMP/qemu.log" 2>&1 & qpid=$!
  for i in $(seq 600); do grep -q GUEST-TEST-START "$log" 2>/dev/null && break; sleep 0.2; done
  before=$(cpu $qpid); hb=0; [ -n "$hpid" ] && hb=$(cpu $hpid)
  local t0 t1; t0=$(date +%s.%N)
  [ -n "${THREADS:-}" ] && { threads $qpid; [ -n "$hpid" ] && threads $hpid; } > "$TMP/th0-$1"
  for i in $(seq 1800); do grep -q BENCH-DONE "$log" 2>/dev/null && break; sleep 0.2; done
  after=$(cpu $qpid); ha=0; [ -n "$hpid" ] && ha=$(cpu $hpid)
  if [ -n "${THREADS:-}" ]; then
    t1=$(date +%s.%N); { threads $qpid; [ -n "$hpid" ] && threads $hpid; } > "$TMP/th1-$1"
    echo "threads of $1 over $(echo "$t1 - $t0" | bc) s:"
    join <(sort "$TMP/th0-$1") <(sort "$TMP/th1-$1") | awk -v w="$(echo "$t1 - $t0" | bc)" -v hz="$HZ" '{
      d = $4 - $2; q = $5 - $3; if (d > 2) printf "   %-28s cpu %5.1f %%  runqueue wait %5.1f %%\n", $1, 100*d/hz/w, q/w }'
  fi
  kill $qpid 2>/dev/null || true; wait $qpid 2>/dev/null || true
  [ -n "$hpid" ] && { kill $hpid; wait $hpid 2>/dev/null || true; }
  if grep -q "GUEST-NO-LEASE\|GUEST-WGET-FAILED" "$log"; then # a failed download is no figure: show why
    echo "$1: the guest's download failed:"; tail -30 "$log"; [ -n "$hpid" ] && tail -20 "$TMP/helper.log"
    return 1
  fi
  secs=$(sed -n 's/^real[ \t]*\([0-9]*\)m \([0-9.]*\)s.*/\1 \2/p' "$log" | awk '{print $1*60+$2}')
  [ -n "$secs" ] || { echo "no timing for $1:"; tail -20 "$log"; return 1; }
  # CPU is counted over both downloads (warm-up and timed): per GiB divides by both
  local line
  line=$(awk -v n="$1" -v s="$secs" -v mb="$SIZE" -v q="$((after - before))" -v h="$((ha - hb))" -v hz="$HZ" 'BEGIN {
    g = 2*mb/1024
    printf "%-8s %7.1f MB/s   host CPU %6.2f s/GiB (QEMU %.2f + helper %.2f)", n, mb*1.048576/s,
      ((q+h)/hz)/g, (q/hz)/g, (h/hz)/g }')
  echo "$line   $(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1-3 /proc/loadavg)"
  RESULT[$1]=$(echo "$line" | awk '{print $2, $6}') # MB/s and CPU s/GiB, for the round's ratios
}
declare -A RESULT
ratio() { # $1 = helper|baseline: its rate and CPU per GiB against -netdev user's in this round
  echo "${RESULT[$1]} ${RESULT[user]}" | awk -v n="$1" '{printf "  %s / -netdev user: rate %.2fx, host CPU per GiB %.2fx\n", n, $1/$3, $2/$4}'
}
echo "nat-qemu bench: ${SIZE} MiB, $ROUNDS rounds, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "helper JVM flags: $JVM_FLAGS"
for r in $(seq "$ROUNDS"); do
  run helper; if [ -n "${BASE_JAR:-}" ]; then run baseline; fi; run user
  echo "round $r:"; ratio helper; if [ -n "${BASE_JAR:-}" ]; then ratio baseline; fi
done
