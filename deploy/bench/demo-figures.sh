#!/usr/bin/env bash
# The demo's figures, one run (README "Demo"): deploy/demo.sh twice (the first fills the guest and AppCDS caches),
# the time from starting deploy/demo.sh to "demo-guest: ready" in the serial log on the second run; then, typing
# through the UI client's TypeText (the path the web console's keys take), a shell variable set before
# 'qemu-helpers migrate' and read after it, save and restore, and Ctrl-C (SIGINT) leaving no process of the demo.
# Run under the machine's lock: flock /tmp/bench.lock deploy/bench/demo-figures.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export DEMO_DIR=${DEMO_DIR:-$(mktemp -d /tmp/demo-figures.XXXXXX)}
SERIAL=$DEMO_DIR/log/guest-serial.log
QH="java -jar deploy/target/deploy.jar"
WEB=127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PID=
cleanup() { [ -n "$PID" ] && kill -INT "$PID" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT
await() { # $1 = text in the serial log, $2 = seconds
  local end=$((SECONDS + $2))
  until grep -qa -- "$1" "$SERIAL" 2>/dev/null; do
    [ $SECONDS -lt $end ] || { echo "no '$1' in $SERIAL within $2 s" >&2; tail -20 "$SERIAL" >&2; exit 1; }
    sleep 0.2
  done
}
type_text() {
  busctl --address="$(cat "$DEMO_DIR/bus.address")" call org.qemu.UiClient1 /org/qemu/UiClient1 org.qemu.UiClient1 \
    TypeText us 0 "$1" >/dev/null
}
for run in 1 2; do
  rm -f "$SERIAL"
  t0=$(date +%s%N)
  # env --default-signal: a job a script starts in the background has SIGINT ignored, and the JVM keeps it so
  setsid env --default-signal=INT deploy/demo.sh --web "$WEB" > "$DEMO_DIR.run$run.out" 2>&1 &
  PID=$!
  await "demo-guest: ready" 180
  echo "run $run: deploy/demo.sh to 'demo-guest: ready': $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  [ $run = 2 ] && break
  kill -INT "$PID"; wait "$PID" || true; PID=
done
grep -a "^demo-guest:" "$SERIAL"
sleep 1
type_text $'DEMO_VAR=survived-migration\n'
type_text $'echo typed-$((6*7))\n'
await "typed-42" 30
$QH migrate --dir "$DEMO_DIR"
type_text $'echo after-migrate=$DEMO_VAR\n'
await "after-migrate=survived-migration" 60
$QH save --dir "$DEMO_DIR" --out "$DEMO_DIR/vm.save"
$QH restore --dir "$DEMO_DIR" "$DEMO_DIR/vm.save"
type_text $'echo after-restore=$DEMO_VAR\n'
await "after-restore=survived-migration" 60
kill -INT "$PID"; wait "$PID" || true; PID=
sleep 1
left=$(pgrep -f -- "$DEMO_DIR" || true)
[ -z "$left" ] && echo "after Ctrl-C: no process of the demo left" || { echo "left: $left" >&2; exit 1; }
