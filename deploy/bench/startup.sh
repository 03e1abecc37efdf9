#!/usr/bin/env bash
# Start-to-ready time and idle RSS of each helper process: median of N fresh starts (default 5),
# with the JVM flags the launcher uses, without and with the AppCDS archive the launcher keeps.
#
# Start-to-ready: from just before the fork of `java` to the moment the helper's "ready" log line
# arrives. The script waits for that line in a blocking read on a pipe: polling a log file (a fork of
# grep and sleep every few ms) steals CPU from the JVM on a 2-core machine and measured up to twice
# the real time. Idle RSS: VmRSS SETTLE seconds after ready (default 10): an idle helper, not the
# tail of its start (the JVM hands compiler arenas back to malloc every 5 s and trims the native
# heap every 5 s, see HelperArgs).
# "cds on": one recording run, `qemu-helpers cds` (a static archive of the classes it loaded), then
# the measured runs, as the launcher does across two launches.
# The recommended set-up: every helper reads a trust policy (--policy; POLICY=0 measures without one).
# Then the four together (TOGETHER=0 skips it): RSS and PSS of each and their sum.
# Usage: deploy/bench/startup.sh [runs]      (after mvn package; SETTLE=seconds, HELPERS="...", POLICY=0|1, TOGETHER=0|1)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
settle=${SETTLE:-10}
helpers=${HELPERS:-slirp-dhcp compress tpm-stub ui-client}
work=$(mktemp -d /tmp/qdh-startup.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; [ -n "${busPid:-}" ] && kill $busPid 2>/dev/null; rm -rf "$work"' EXIT
deploy() { java -jar deploy/target/deploy.jar "$@"; }
deploy bus-config --socket "$work/bus.sock" > "$work/bus.conf"
dbus-daemon --config-file="$work/bus.conf" --fork --print-address=1 --print-pid=1 > "$work/bus"
addr=$(sed -n 1p "$work/bus"); busPid=$(sed -n 2p "$work/bus")
export MALLOC_ARENA_MAX=2   # as the launcher (HelperArgs.ENVIRONMENT)
mkdir -p "$work/root"
policy_arg=
if [ "${POLICY:-1}" = 1 ]; then
  printf '{"default": "untrusted", "rules": [{"uid": %d, "level": "admin"}]}\n' "$(id -u)" > "$work/policy.json"
  policy_arg="--policy=$work/policy.json"
fi

args_for() {
  case "$1" in
    slirp-dhcp) echo "--netdev-socket=$work/slirp.sock" ;;
    compress) echo "--root=$work/root" ;;
    tpm-stub) echo "--server=unix:$work/tpm.sock --ctrl=unix:$work/tpm-ctrl.sock" ;;
    ui-client) echo "--web=127.0.0.1:0" ;;
  esac
}
sub_for() { [ "$1" = ui-client ] && echo serve || true; }

# one_start NAME FLAGS SETTLE -> prints "ms rss_kib" (VmRSS SETTLE seconds after ready)
one_start() {
  local name=$1 flags=$2 settle=$3 log="$work/$1.log" fifo="$work/$1.fifo" start end= line pid catPid rss
  : > "$log"; rm -f "$fifo"; mkfifo "$fifo"
  start=$EPOCHREALTIME
  # shellcheck disable=SC2046,SC2086
  java $flags -jar "helper-$name/target/helper-$name.jar" $(sub_for "$name") --bus-address="$addr" \
      --state-dir="$work/state-$name" $policy_arg $(args_for "$name") > "$fifo" 2>&1 &
  pid=$!
  exec 3< "$fifo"
  while IFS= read -r line <&3; do
    printf '%s\n' "$line" >> "$log"
    case "$line" in *" ready "*) end=$EPOCHREALTIME; break ;; esac
  done
  [ -n "$end" ] || { echo "helper $name died:" >&2; cat "$log" >&2; exit 1; }
  cat <&3 >> "$log" & catPid=$!
  sleep "$settle"
  rss=$(awk '/VmRSS/{print $2}' "/proc/$pid/status")
  kill -TERM $pid; wait $pid 2>/dev/null || true; wait $catPid 2>/dev/null || true; exec 3<&-
  awk -v s="$start" -v e="$end" -v r="$rss" 'BEGIN { printf "%d %d\n", (e - s) * 1000, r }'
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf "%-12s %-6s %12s %14s   %s\n" helper cds ready_ms_med idle_rss_MiB "all ready_ms"
for name in $helpers; do
  for mode in off on; do
    if [ "$mode" = on ]; then
      jsa="$work/$name.jsa"
      flags=$(deploy jvm-flags "$name" --cds-archive="$jsa")
      one_start "$name" "$flags" 1 > /dev/null   # the recording run
      deploy cds "$name" --archive="$jsa"
    fi
    flags=$(if [ "$mode" = on ]; then deploy jvm-flags "$name" --cds-archive="$jsa"; else deploy jvm-flags "$name"; fi)
    : > "$work/samples"
    for _ in $(seq "$runs"); do one_start "$name" "$flags" "$settle" >> "$work/samples"; done
    ms=$(cut -d' ' -f1 "$work/samples" | median)
    rss=$(cut -d' ' -f2 "$work/samples" | median)
    printf "%-12s %-6s %12s %14s   %s\n" "$name" "$mode" "$ms" "$(awk -v k="$rss" 'BEGIN{printf "%.1f", k/1024}')" \
        "$(cut -d' ' -f1 "$work/samples" | tr '\n' ' ')"
  done
done

# The four helpers of one VM running together, as the launcher runs them from its second launch (its flags,
# each with its archive, --policy): RSS counts the pages they share (the JDK's libjvm, libc, the module image)
# once per process, PSS divides each shared page among the processes that map it, so their PSS sum is what
# the four cost the machine. Read from /proc/PID/smaps_rollup SETTLE seconds after the last is ready.
if [ "${TOGETHER:-1}" = 1 ]; then
  declare -A tpid
  for name in $helpers; do
    flags=$(deploy jvm-flags "$name" --cds-archive="$work/$name.jsa")
    : > "$work/$name.together.log"
    # shellcheck disable=SC2046,SC2086
    java $flags -jar "helper-$name/target/helper-$name.jar" $(sub_for "$name") --bus-address="$addr" \
        --state-dir="$work/state-$name" $policy_arg $(args_for "$name") > "$work/$name.together.log" 2>&1 &
    tpid[$name]=$!
  done
  for name in $helpers; do   # not timed: polling is fine here
    for _ in $(seq 600); do grep -q " ready " "$work/$name.together.log" && break; sleep 0.1; done
    grep -q " ready " "$work/$name.together.log" || { echo "helper $name died:" >&2; cat "$work/$name.together.log" >&2; exit 1; }
  done
  sleep "$settle"
  printf "\n%-12s %10s %10s   (together, cds on, %s s after ready)\n" helper rss_MiB pss_MiB "$settle"
  sum_rss=0; sum_pss=0
  for name in $helpers; do
    rss=$(awk '/^Rss:/{print $2}' "/proc/${tpid[$name]}/smaps_rollup")
    pss=$(awk '/^Pss:/{print $2}' "/proc/${tpid[$name]}/smaps_rollup")
    sum_rss=$((sum_rss + rss)); sum_pss=$((sum_pss + pss))
    printf "%-12s %10.1f %10.1f\n" "$name" "$(awk -v k="$rss" 'BEGIN{print k/1024}')" "$(awk -v k="$pss" 'BEGIN{print k/1024}')"
  done
  printf "%-12s %10.1f %10.1f\n" sum "$(awk -v k="$sum_rss" 'BEGIN{print k/1024}')" "$(awk -v k="$sum_pss" 'BEGIN{print k/1024}')"
  for name in $helpers; do kill -TERM "${tpid[$name]}"; done
  for name in $helpers; do wait "${tpid[$name]}" 2>/dev/null || true; done
fi
