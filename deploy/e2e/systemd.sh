#!/usr/bin/env bash
# End-to-end under a real systemd: builds a Debian 12 root with mmdebstrap, installs the .deb in it
# through apt (so its Depends: come along from the Debian mirror), boots it with systemd-nspawn and,
# inside, starts two VMs' targets (vm1 two UIDs, vm2 one UID per helper) and checks (inside.sh):
# every helper active (running) with READY and its STATUS=, qemu-helpers status per VM with the
# right owners and UIDs, sockets owned by group qemu-vm, a SIGKILLed helper restarted and ready
# again, a stopped helper gone from the bus with no process left, a stopped VM leaving nothing.
# Needs root, mmdebstrap, systemd-container; the only traffic is apt's, to the Debian mirror.
# Usage: deploy/e2e/systemd.sh [DEB]   (default: deploy/target/qemu-dbus-helpers_*_all.deb)
#   QDH_E2E_ROOT=DIR: keep the root in DIR; when DIR already holds one, only reinstall the .deb in it
#   (dpkg -i, for quick reruns while changing the package; the full run installs through apt).
#   QDH_E2E_DIAG=FILE: a script run inside before the checks (for diagnosing a failing unit).
# Run heavy things one at a time on a shared machine: flock /tmp/bench.lock deploy/e2e/systemd.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
deb=${1:-$(ls -t "$here"/../target/qemu-dbus-helpers_*_all.deb 2>/dev/null | head -1)}
[ -f "$deb" ] || { echo "systemd.sh: no .deb: run mvn package first (or give its path)" >&2; exit 2; }
for tool in mmdebstrap systemd-nspawn; do
    command -v "$tool" >/dev/null || { echo "systemd.sh: $tool missing (apt-get install mmdebstrap systemd-container)" >&2; exit 2; }
done
t0=$(date +%s)
if [ -n "${QDH_E2E_ROOT:-}" ]; then
    root=$QDH_E2E_ROOT
else
    work=$(mktemp -d /var/tmp/qdh-e2e.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    root=$work/root
fi
if [ -n "${QDH_E2E_ROOT:-}" ] && [ -x "$root/usr/bin/qemu-helpers" ]; then
    echo "== reusing the root in $root: dpkg -i $(basename "$deb")"
    cp "$deb" "$root/tmp/"
    chroot "$root" dpkg -i "/tmp/$(basename "$deb")"
    rm -f "$root/tmp/$(basename "$deb")"
else
echo "== building the root in $root with $(basename "$deb")"
mmdebstrap --quiet --variant=minbase --include=systemd,dbus,systemd-sysv \
    --customize-hook="copy-in '$deb' /tmp" \
    --customize-hook="chroot \"\$1\" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /tmp/$(basename "$deb")" \
    --customize-hook="rm -f \"\$1\"/tmp/*.deb" \
    bookworm "$root"
fi
t1=$(date +%s)
echo "== root ready in $((t1 - t0)) s ($(du -sm "$root" | cut -f1) MB)"

# The checks run inside as a unit started at boot; it powers the container off when done.
install -m 0755 "$here/inside.sh" "$root/usr/local/bin/qdh-e2e"
[ -n "${QDH_E2E_DIAG:-}" ] && install -m 0755 "$QDH_E2E_DIAG" "$root/usr/local/bin/qdh-diag"
cat > "$root/etc/systemd/system/qdh-e2e.service" <<'UNIT'
[Unit]
Description=qemu-dbus-helpers end-to-end checks
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/usr/local/bin/qdh-e2e
ExecStopPost=/bin/systemctl --no-block poweroff
StandardOutput=journal+console
StandardError=journal+console
[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/qdh-e2e.service "$root/etc/systemd/system/multi-user.target.wants/qdh-e2e.service"
echo "== booting"
timeout 600 systemd-nspawn -q --register=no --keep-unit -D "$root" --boot </dev/null || true
t2=$(date +%s)
echo "== booted, checked and powered off in $((t2 - t1)) s; total $((t2 - t0)) s"
if [ "$(cat "$root/var/tmp/qdh-e2e.result" 2>/dev/null)" = PASS ]; then
    echo "systemd.sh: PASS"
else
    echo "systemd.sh: FAIL (result: $(cat "$root/var/tmp/qdh-e2e.result" 2>/dev/null || echo none))"
    exit 1
fi
