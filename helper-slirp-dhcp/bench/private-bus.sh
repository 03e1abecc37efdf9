# Sourced by the bench scripts: start_private_bus DIR starts a private dbus-daemon with its socket at DIR/bus.sock
# (any local user may connect and own names: a bench bus, not a deployment's), appends its pid to PIDS, and
# waits for the socket. The bench's helper then runs with --bus-address=unix:path=DIR/bus.sock.
start_private_bus() {
  cat > "$1/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:path=$1/bus.sock</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/><allow user="*"/></policy></busconfig>
CONF
  dbus-daemon --config-file="$1/bus.conf" --nofork 2>/dev/null & PIDS+=($!)
  for _ in $(seq 50); do [ -S "$1/bus.sock" ] && return 0; sleep 0.1; done
  echo "private bus did not start in $1" >&2; return 1
}
