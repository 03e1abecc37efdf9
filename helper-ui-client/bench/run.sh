#!/bin/bash
# Benchmark of helper-ui-client's web console against a real QEMU 7.2 (TCG) and headless
# Chromium, all on this machine:
#   1. "scroll": a Linux guest (Debian's kernel + a busybox initramfs) prints lines as fast as it
#      can on the VGA text console, so QEMU sends Updates all the time. The page (?bench=1)
#      acknowledges each rectangle it has drawn with the server time of the oldest Update in it;
#      the helper reports median/p95 of Update -> pixels-on-canvas latency and rectangles/s.
#   2. "still": the guest hides the cursor and sleeps; the helper's CPU is sampled from
#      /proc/PID/stat with a browser connected and with none.
#   3. "flood": as 1, but the guest prints as fast as it can (TCG then takes a whole core).
#   4. "vnc-scroll", "vnc-still": the reference peer on the same guests: QEMU's own VNC server
#      (-display none -vnc 127.0.0.1:77) with noVNC (Debian's novnc, through websockify) in the
#      same headless Chromium; CPU of QEMU and of websockify over the same window. The dbus runs
#      also report QEMU's CPU, so the two display paths compare as QEMU + helper vs QEMU + websockify.
# Needs: qemu-system-x86, dbus-daemon, chromium, busybox-static, cpio, linux-image-amd64, curl;
#        for the vnc runs also novnc and websockify.
# Usage: helper-ui-client/bench/run.sh [SECONDS]   (results also go to bench/results.txt)
#   BENCH_MODES="scroll flood still" selects runs; HELPER_JAVA_OPTS adds JVM flags to the helper,
#   which otherwise runs with the launcher's (deploy/bench/helper-jvm-flags.sh; HELPER_JVM_FLAGS
#   replaces them) and -Dorg.qemu.helpers.uiclient.webBench=true (the /ack and /stats endpoints).
set -euo pipefail
secs=${1:-20}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
jar=$repo/helper-ui-client/target/helper-ui-client.jar
kernel=$(ls /boot/vmlinuz-* | sort -V | tail -1)
work=$(mktemp -d /tmp/ui-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

if [ ! -f "$jar" ]; then
  (cd "$repo" && mvn -o -q -pl helper-ui-client package -DskipTests)
fi
jvm_flags=$("$repo/deploy/bench/helper-jvm-flags.sh" ui-client)
"$here/make-initrd.sh" scroll "$work/scroll.img"
"$here/make-initrd.sh" flood "$work/flood.img"
"$here/make-initrd.sh" still "$work/still.img"

cat > "$work/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:path=$work/bus.sock</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/>
<allow own="*"/><allow user="*"/></policy></busconfig>
CONF
dbus-daemon --config-file="$work/bus.conf" --nofork --nopidfile & pids+=($!)
for _ in $(seq 50); do [ -S "$work/bus.sock" ] && break; sleep 0.1; done
bus="unix:path=$work/bus.sock"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# QEMU runs under timeout(1): its CPU is that of timeout's child
qemu_ticks() { cpu_ticks "$(pgrep -P "$1" -f qemu-system | head -1)"; }
hz=$(getconf CLK_TCK)
# per-thread CPU of PID: "tid on-cpu-ns timeslices name" lines (/proc/PID/task/*/schedstat: ns
# precision, where /proc/PID/stat counts 10 ms ticks)
thread_cpu() {
  for t in /proc/$1/task/*; do
    [ -r "$t/schedstat" ] || continue
    printf '%s %s %s\n' "${t##*/}" "$(cut -d' ' -f1,3 "$t/schedstat")" "$(tr ' ' _ < "$t/comm")"
  done 2>/dev/null
}
# threads_diff BEFORE AFTER SECS: the threads that ran between two thread_cpu snapshots, busiest first
threads_diff() {
  awk -v t="$3" 'NR==FNR {ns[$1]=$2; n[$1]=$3; next}
    {d=$2-ns[$1]; w=$3-n[$1]; if (d>0) printf "      %-16s %7.3f %% of a core  %6.1f wake-ups/s\n", $4, 100*d/1e9/t, w/t}' "$1" "$2" |
    sort -k2,2nr
}

# run_mode MODE: start QEMU with the MODE initramfs and the helper; sets $helper $qemu $url
run_mode() {
  local mode=$1
  timeout -s KILL 600 qemu-system-x86_64 -nodefaults -no-user-config -machine pc,accel=tcg -m 256 -name "$mode" \
    -display "dbus,addr=$bus,gl=off" -vga std -kernel "$kernel" -initrd "$work/$mode.img" \
    -append "console=tty0 quiet" > "$work/qemu-$mode.log" 2>&1 & qemu=$!; pids+=($qemu)
  mkdir -p "$work/state-$mode"
  # shellcheck disable=SC2086 # word splitting of the flag lists is wanted
  java $jvm_flags -Dorg.qemu.helpers.uiclient.webBench=true ${HELPER_JAVA_OPTS:-} -jar "$jar" --bus-address="$bus" \
    --state-dir "$work/state-$mode" --web 127.0.0.1:0 > "$work/helper-$mode.log" 2>&1 & helper=$!; pids+=($helper)
  for _ in $(seq 300); do grep -q " ready " "$work/helper-$mode.log" && break; sleep 0.1; done
  url=$(grep -o 'http://[^ ]*?token=[A-Za-z0-9_-]*' "$work/helper-$mode.log" | head -1)
  [ -n "$url" ] || { echo "helper did not start:"; cat "$work/helper-$mode.log"; exit 1; }
}

browser() {
  timeout -s KILL 600 chromium --headless=new --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$work/chrome-$1" --window-size=1280,800 "$2" > "$work/chrome-$1.log" 2>&1 & pids+=($!)
  echo $!
}

stats() { curl -s "${url%%\?*}stats?token=${url##*token=}$1"; }

measure() {  # measure MODE: latency, rate and helper CPU while the guest writes to the screen
  local mode=$1
  echo "== $mode: Update -> canvas latency and rate over ${secs}s (after the guest boots)"
  run_mode "$mode"
  local b; b=$(browser "$mode" "$url&bench=1")
  for _ in $(seq 120); do   # wait for the guest's output to start flowing
    n=$(stats "" | sed -n 's/.*"samples":\([0-9]*\).*/\1/p'); [ "${n:-0}" -gt 50 ] && break; sleep 1
  done
  stats "&reset=1" > /dev/null
  local u0 c0 c1 u1
  u0=$(stats "" | sed -n 's/.*"qemuUpdates":\([0-9]*\).*/\1/p'); c0=$(cpu_ticks "$helper"); q0=$(qemu_ticks "$qemu")
  sleep "$secs"
  s=$(stats ""); c1=$(cpu_ticks "$helper"); q1=$(qemu_ticks "$qemu")
  u1=$(echo "$s" | sed -n 's/.*"qemuUpdates":\([0-9]*\).*/\1/p')
  cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v t="$secs" 'BEGIN{printf "%.1f", 100*(b-a)/hz/t}')
  qcpu=$(awk -v a="$q0" -v b="$q1" -v hz="$hz" -v t="$secs" 'BEGIN{printf "%.1f", 100*(b-a)/hz/t}')
  qemu_rate=$(awk -v a="$u0" -v b="$u1" -v t="$secs" 'BEGIN{printf "%.1f", (b-a)/t}')
  echo "   stats: $s"
  echo "   QEMU Update calls/s: $qemu_rate   helper CPU: $cpu % of a core   QEMU CPU: $qcpu %"
  median=$(echo "$s" | sed -n 's/.*"medianMs":\([0-9.]*\).*/\1/p')
  p95=$(echo "$s" | sed -n 's/.*"p95Ms":\([0-9.]*\).*/\1/p')
  fps=$(echo "$s" | sed -n 's/.*"fps":\([0-9.]*\).*/\1/p')
  line=$(printf "%s: update_to_canvas_median_ms=%.1f p95_ms=%.1f rects_drawn_per_s=%.1f qemu_updates_per_s=%s helper_cpu_pct=%s qemu_cpu_pct=%s" \
    "$mode" "$median" "$p95" "$fps" "$qemu_rate" "$cpu" "$qcpu")
  kill "$b" "$helper" "$qemu" 2>/dev/null || true; wait "$helper" 2>/dev/null || true; sleep 1
}
scroll_line=skipped; flood_line=skipped; still_cpu_viewer=skipped; still_cpu_none=skipped; still_updates=skipped
modes=${BENCH_MODES:-scroll flood still}
case " $modes " in *" scroll "*) measure scroll; scroll_line=$line ;; esac
case " $modes " in *" flood "*) measure flood; flood_line=$line ;; esac
case " $modes " in *" still "*) ;; *) modes_still=no ;; esac
if [ "${modes_still:-yes}" = yes ]; then

echo "== still: helper CPU over ${secs}s while the screen does not change"
run_mode still
sleep 25   # boot
b=$(browser still "$url")
sleep 5
su0=$(stats "" | sed -n 's/.*"qemuUpdates":\([0-9]*\).*/\1/p')
thread_cpu "$helper" > "$work/t0"
c0=$(cpu_ticks "$helper"); q0=$(qemu_ticks "$qemu"); sleep "$secs"; c1=$(cpu_ticks "$helper"); q1=$(qemu_ticks "$qemu")
thread_cpu "$helper" > "$work/t1"
still_qemu_viewer=$(awk -v a="$q0" -v b="$q1" -v hz="$hz" -v t="$secs" 'BEGIN{printf "%.2f", 100*(b-a)/hz/t}')
su1=$(stats "" | sed -n 's/.*"qemuUpdates":\([0-9]*\).*/\1/p'); still_updates=$((su1 - su0))
still_cpu_viewer=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v t="$secs" 'BEGIN{printf "%.2f", 100*(b-a)/hz/t}')
kill "$b" 2>/dev/null || true; sleep 3
thread_cpu "$helper" > "$work/t2"
c0=$(cpu_ticks "$helper"); sleep "$secs"; c1=$(cpu_ticks "$helper")
thread_cpu "$helper" > "$work/t3"
still_cpu_none=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v t="$secs" 'BEGIN{printf "%.2f", 100*(b-a)/hz/t}')
echo "   helper CPU: $still_cpu_viewer % with a browser connected, $still_cpu_none % with none; QEMU $still_qemu_viewer % (browser connected)"
echo "   helper threads with a browser:"; threads_diff "$work/t0" "$work/t1" "$secs"
echo "   helper threads with none:"; threads_diff "$work/t2" "$work/t3" "$secs"
echo "   load average: $(cut -d' ' -f1-3 /proc/loadavg)"
kill "$helper" "$qemu" 2>/dev/null || true; wait "$helper" 2>/dev/null || true; sleep 1
fi

# measure_vnc MODE: the same guest shown by QEMU's VNC server and noVNC; sets $vnc_line
measure_vnc() {
  local mode=$1 guest=${1#vnc-}
  command -v websockify > /dev/null || { echo "vnc runs need websockify: apt-get install websockify"; exit 1; }
  [ -f /usr/share/novnc/vnc_lite.html ] || { echo "vnc runs need noVNC: apt-get install novnc"; exit 1; }
  echo "== $mode: QEMU -vnc + websockify + noVNC in Chromium, CPU over ${secs}s"
  timeout -s KILL 600 qemu-system-x86_64 -nodefaults -no-user-config -machine pc,accel=tcg -m 256 -name "$mode" \
    -display none -vnc 127.0.0.1:77 -vga std -kernel "$kernel" -initrd "$work/$guest.img" \
    -append "console=tty0 quiet" > "$work/qemu-$mode.log" 2>&1 & qemu=$!; pids+=($qemu)
  websockify --web /usr/share/novnc 127.0.0.1:6177 127.0.0.1:5977 > "$work/websockify-$mode.log" 2>&1 & local ws=$!; pids+=($ws)
  sleep 20   # boot, as the dbus runs wait for the guest's output to flow
  local b; b=$(browser "$mode" "http://127.0.0.1:6177/vnc_lite.html?host=127.0.0.1&port=6177&scale=false")
  sleep 5
  # websockify forks one child per connection: count the whole group
  local w0 w1 q0 q1
  ws_ticks() { local t=0; for p in $ws $(pgrep -P "$ws"); do t=$((t + $(cpu_ticks "$p" 2>/dev/null || echo 0))); done; echo $t; }
  q0=$(qemu_ticks "$qemu"); w0=$(ws_ticks); sleep "$secs"; q1=$(qemu_ticks "$qemu"); w1=$(ws_ticks)
  local qc wc
  qc=$(awk -v a="$q0" -v b="$q1" -v hz="$hz" -v t="$secs" 'BEGIN{printf "%.1f", 100*(b-a)/hz/t}')
  wc=$(awk -v a="$w0" -v b="$w1" -v hz="$hz" -v t="$secs" 'BEGIN{printf "%.1f", 100*(b-a)/hz/t}')
  n_ws=$(grep -c "connecting to" "$work/websockify-$mode.log" || true); echo "   websockify proxied ${n_ws:-0} VNC connection(s) (noVNC connected if > 0)"
  echo "   QEMU (VNC server inside) CPU: $qc %   websockify CPU: $wc %"
  vnc_line="$mode: qemu_cpu_pct=$qc websockify_cpu_pct=$wc vnc_connections=${n_ws:-0}"
  kill "$b" "$ws" "$qemu" 2>/dev/null || true; sleep 1
}
vnc_scroll_line=skipped; vnc_still_line=skipped
case " $modes " in *" vnc-scroll "*) measure_vnc vnc-scroll; vnc_scroll_line=$vnc_line ;; esac
case " $modes " in *" vnc-still "*) measure_vnc vnc-still; vnc_still_line=$vnc_line ;; esac

{
  echo "date: $(date -u +%FT%TZ)  host: $(nproc) cores  kernel guest: $(basename "$kernel")  window: ${secs}s"
  echo "$scroll_line"
  echo "$flood_line"
  echo "still: helper_cpu_with_viewer_pct=$still_cpu_viewer helper_cpu_no_viewer_pct=$still_cpu_none qemu_updates_in_window=$still_updates qemu_cpu_pct=${still_qemu_viewer:-skipped}"
  echo "$vnc_scroll_line"
  echo "$vnc_still_line"
} | tee "$here/results.txt"
