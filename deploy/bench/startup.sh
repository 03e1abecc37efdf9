#!/usr/bin/env bash
# Start-to-ready time and idle RSS of each helper process: median of N fresh starts (default 5),
# with the JVM flags the launcher uses, without and with the AppCDS archive the launcher keeps.
# Start-to-ready: from fork to the helper's one "ready" log line. Idle RSS: VmRSS 3 s after ready.
# Usage: deploy/bench/startup.sh [runs]      (after mvn package)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
work=$(mktemp -d /tmp/qdh-startup.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; [ -n "${busPid:-}" ] && kill $busPid 2>/dev/null; rm -rf "$work"' EXIT
java -jar deploy/target/deploy.jar bus-config --socket "$work/bus.sock" > "$work/bus.conf"
dbus-daemon --config-file="$work/bus.conf" --fork --print-address=1 --print-pid=1 > "$work/bus"
addr=$(sed -n 1p "$work/bus"); busPid=$(sed -n 2p "$work/bus")
export MALLOC_ARENA_MAX=2   # as the launcher (HelperArgs.ENVIRONMENT)
mkdir -p "$work/root"

args_for() {
  case "$1" in
    slirp-dhcp) echo "--netdev-socket=$work/slirp.sock" ;;
    compress) echo "--root=$work/root" ;;
    tpm-stub) echo "--server=unix:$work/tpm.sock --ctrl=unix:$work/tpm-ctrl.sock" ;;
    ui-client) echo "--web=127.0.0.1:0" ;;
  esac
}
sub_for() { [ "$1" = ui-client ] && echo serve || true; }

# one_start NAME EXTRA_FLAGS... -> prints "ms rss_kib"
one_start() {
  local name=$1; shift
  local log="$work/$name.$RANDOM.log" start end pid flags
  : > "$log"
  flags=$(java -jar deploy/target/deploy.jar jvm-flags "$name")
  start=$(date +%s%N)
  # shellcheck disable=SC2046,SC2086
  java $flags "$@" -jar "helper-$name/target/helper-$name.jar" $(sub_for "$name") --bus-address="$addr" \
      --state-dir="$work/state-$name" $(args_for "$name") > "$log" 2>&1 &
  pid=$!
  until grep -q " ready " "$log"; do
    kill -0 $pid 2>/dev/null || { echo "helper $name died:" >&2; cat "$log" >&2; exit 1; }
    sleep 0.002
  done
  end=$(date +%s%N)
  sleep 3
  local rss; rss=$(awk '/VmRSS/{print $2}' /proc/$pid/status)
  kill -TERM $pid; wait $pid 2>/dev/null || true
  echo "$(( (end - start) / 1000000 )) $rss"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf "%-12s %-6s %12s %14s\n" helper cds ready_ms_med idle_rss_MiB
for name in slirp-dhcp compress tpm-stub ui-client; do
  for mode in off on; do
    extra=()
    if [ "$mode" = on ]; then
      jsa="$work/$name.jsa"
      [ -f "$jsa" ] || one_start "$name" -XX:ArchiveClassesAtExit="$jsa" > /dev/null
      extra=(-XX:SharedArchiveFile="$jsa")
    fi
    : > "$work/samples"
    for _ in $(seq "$runs"); do one_start "$name" "${extra[@]}" >> "$work/samples"; done
    ms=$(cut -d' ' -f1 "$work/samples" | median)
    rss=$(cut -d' ' -f2 "$work/samples" | median)
    printf "%-12s %-6s %12s %14s\n" "$name" "$mode" "$ms" "$(awk -v k="$rss" 'BEGIN{printf "%.1f", k/1024}')"
  done
done
