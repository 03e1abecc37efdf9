#!/bin/bash
# Diagnosis for deploy/e2e/systemd.sh (QDH_E2E_DIAG=deploy/e2e/diag-sandbox.sh): starts helper-compress's
# launcher inside the booted container under one unit property at a time (systemd-run), so that a
# start that fails only under the full unit can be pinned to a setting. A start that gets as far as
# "cannot connect to bus" has passed the --root check (openat2 from the root).
# Seen 2026-12-02: plain and each property below alone (as root, --root=/tmp) pass; the full unit
# (User=qemu-helpers, --root=/var/lib/qemu-vm/vm1/images) fails with "openat2 ...: the kernel lacks the call".
c="/usr/libexec/qemu-dbus-helpers/compress --bus-address=unix:path=/nonexistent"
mkdir -p /var/lib/qemu-vm/diag/images
chgrp qemu-vm /var/lib/qemu-vm/diag/images && chmod 2770 /var/lib/qemu-vm/diag/images
echo "diag plain: $($c --root=/tmp --state-dir=/tmp/d0 2>&1 | tail -1)"
for p in "SystemCallFilter=@system-service" "SystemCallArchitectures=native" "RestrictNamespaces=yes" "LockPersonality=yes" \
         "ProtectClock=yes" "ProtectKernelModules=yes" "ProtectKernelLogs=yes" "ProtectHostname=yes" "RestrictRealtime=yes" \
         "RestrictSUIDSGID=yes" "PrivateDevices=yes" "ProtectKernelTunables=yes" "NoNewPrivileges=yes" \
         "RestrictAddressFamilies=AF_UNIX" "PrivateNetwork=yes" "ProtectSystem=strict" "ProtectHome=yes" "PrivateTmp=yes" \
         "ProtectProc=invisible" "ProtectControlGroups=yes" "CapabilityBoundingSet=" "User=qemu-helpers"; do
    echo "diag $p: $(systemd-run -q --wait --pipe -p "$p" -p Group=qemu-vm $c --root=/var/lib/qemu-vm/diag/images \
        --state-dir=/tmp/d-$RANDOM 2>&1 | tail -1)"
done
