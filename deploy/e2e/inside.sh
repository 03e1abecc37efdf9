#!/bin/bash
# Runs inside the booted container of deploy/e2e/systemd.sh (as the unit qdh-e2e.service); writes
# PASS or FAIL to /var/tmp/qdh-e2e.result. vm1 runs the two-UID layout, vm2 one UID per helper.
set -u
helpers=(slirp-dhcp compress tpm-stub ui-client)
declare -A busname=([slirp-dhcp]=org.qemu.SlirpDhcp1 [compress]=org.qemu.Compress1 [tpm-stub]=org.qemu.TpmStub1
    [ui-client]=org.qemu.UiClient1)
failed=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; failed=1; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
prop() { systemctl show -p "$2" --value "$1"; }
user_of() { [ "$1" = vm1 ] && echo qemu-helpers || echo "qdh-$2"; }
bus() { echo "unix:path=/run/qemu-vm/$1/bus.sock"; }
status_of() { qemu-helpers status --bus-address="$(bus "$1")" --policy="/etc/qemu-dbus-helpers/$1/policy.json"; }
# processes (in this container) whose real uid is $1
procs_of_uid() { local n=0 f; for f in /proc/[0-9]*/status; do
    awk -v u="$1" '/^Uid:/ { exit ($2 == u) ? 0 : 1 }' "$f" 2>/dev/null && n=$((n + 1)); done; echo $n; }
# retries "$@" for up to 15 s (a stop job of a dependent unit may finish just after systemctl returns)
eventually() { local i; for i in $(seq 1 75); do "$@" && return 0; sleep 0.2; done; "$@"; }
no_procs() { [ "$(procs_of_uid "$(id -u "$1")")" = 0 ]; }
ready_unit() { [ "$(prop "$1" ActiveState)/$(prop "$1" SubState)" = active/running ] && prop "$1" StatusText | grep -q '^ready'; }

rm -f /var/tmp/qdh-e2e.result
[ -x /usr/local/bin/qdh-diag ] && /usr/local/bin/qdh-diag
echo "== configuring vm1 (two UIDs) and vm2 (one UID per helper)"
port=5981
for vm in vm1 vm2; do
    mkdir -p "/etc/qemu-dbus-helpers/$vm" "/var/lib/qemu-vm/$vm/images"
    # QEMU's user here is nobody (no QEMU runs: the checks are about the helpers)
    sed 's/"user": "libvirt-qemu"/"user": "nobody"/' /usr/share/doc/qemu-dbus-helpers/examples/policy.json \
        > "/etc/qemu-dbus-helpers/$vm/policy.json"
    layout=two-uids; [ $vm = vm2 ] && layout=uid-per-helper
    sed -e "s/^QEMU_USER=.*/QEMU_USER=nobody/" -e "s/^QEMU_HELPERS_LAYOUT=.*/QEMU_HELPERS_LAYOUT=$layout/" \
        -e "s/^QEMU_HELPERS_WEB=.*/QEMU_HELPERS_WEB=127.0.0.1:$port/" \
        /usr/share/doc/qemu-dbus-helpers/examples/vm.env > "/etc/qemu-dbus-helpers/$vm/vm.env"
    port=$((port + 1))
done
chgrp qemu-vm /var/lib/qemu-vm/vm1/images /var/lib/qemu-vm/vm2/images
chmod 2770 /var/lib/qemu-vm/vm1/images /var/lib/qemu-vm/vm2/images
for h in "${helpers[@]}"; do
    mkdir -p "/etc/systemd/system/qemu-helper-$h@vm2.service.d"
    cp "/usr/share/doc/qemu-dbus-helpers/examples/uid-per-helper/qemu-helper-$h.conf" \
        "/etc/systemd/system/qemu-helper-$h@vm2.service.d/user.conf"
done
systemctl daemon-reload

echo "== systemctl start qemu-vm@vm1.target qemu-vm@vm2.target"
t0=$(date +%s%N)
check "both targets start" systemctl start qemu-vm@vm1.target qemu-vm@vm2.target
echo "   started in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
for vm in vm1 vm2; do
    check "qemu-vm-bus@$vm active" systemctl is-active -q "qemu-vm-bus@$vm.service"
    for h in "${helpers[@]}"; do
        u="qemu-helper-$h@$vm.service"
        check "$u active (running), READY, StatusText '$(prop "$u" StatusText)'" ready_unit "$u"
        check "$u runs as $(user_of $vm "$h")" [ "$(ps_user=$(prop "$u" MainPID); stat -c %U "/proc/$ps_user")" = "$(user_of $vm "$h")" ]
    done
    systemctl status --no-pager --lines=0 "qemu-helper-tpm-stub@$vm.service" | sed 's/^/   /'
done

echo "== qemu-helpers status per VM: owners and UIDs"
for vm in vm1 vm2; do
    out=$(status_of $vm); echo "$out" | sed "s/^/   $vm: /"
    for h in "${helpers[@]}"; do
        u="qemu-helper-$h@$vm.service"
        line=$(echo "$out" | awk -v n="${busname[$h]}" '$1 == n')
        want="$(prop "$u" MainPID) $(id -u "$(user_of $vm "$h")") helper ready"
        check "$vm ${busname[$h]}: pid uid trust status = $want" [ "$(echo "$line" | awk '{print $3, $4, $5, $6}')" = "$want" ]
    done
done

echo "== a compression job inside the sandbox (openat2 from the held root, O_TMPFILE, linkat)"
img=/var/lib/qemu-vm/vm1/images
head -c 4194304 /dev/zero > $img/disk.raw
check "helper-compress submit compress disk.raw disk.raw.zst: done" /usr/libexec/qemu-dbus-helpers/compress submit \
    --bus-address="$(bus vm1)" --policy=/etc/qemu-dbus-helpers/vm1/policy.json -q -f zstd compress $img/disk.raw $img/disk.raw.zst
check "disk.raw.zst ($(stat -c '%s bytes, %U:%G' $img/disk.raw.zst 2>/dev/null)) written by the helper's user" \
    [ "$(stat -c %U:%G $img/disk.raw.zst 2>/dev/null)" = qemu-helpers:qemu-vm ]

echo "== sockets: in each helper's runtime directory (group qemu-vm, mode 0750: no access for others)"
for vm in vm1 vm2; do
    for s in slirp-dhcp/slirp.sock tpm-stub/tpm.sock tpm-stub/tpm-ctrl.sock; do
        f=/run/qemu-vm/$vm/$s d=$(dirname "/run/qemu-vm/$vm/$s")
        check "$f: socket $(stat -c '%A %U:%G' "$f" 2>/dev/null) in $(stat -c '%A %U:%G' "$d" 2>/dev/null)" \
            bash -c "[ -S '$f' ] && [ \"\$(stat -c %G '$f')\" = qemu-vm ] && [ \"\$(stat -c '%a %G' '$d')\" = '750 qemu-vm' ]"
    done
done

echo "== SIGKILL helper-tpm-stub of vm1: systemd restarts it, ready again"
u=qemu-helper-tpm-stub@vm1.service
old=$(prop $u MainPID)
systemctl kill -s KILL $u
for _ in $(seq 1 300); do
    pid=$(prop $u MainPID)
    [ "$pid" != 0 ] && [ "$pid" != "$old" ] && ready_unit $u && break
    sleep 0.2
done
check "$u restarted (NRestarts=$(prop $u NRestarts), pid $old -> $(prop $u MainPID)) and READY" \
    bash -c "[ $(prop $u NRestarts) -ge 1 ] && [ $(prop $u MainPID) != $old ]"
check "$u ready again" ready_unit $u
check "vm1 org.qemu.TpmStub1 owned by the new pid, ready" \
    bash -c "qemu-helpers status --bus-address='$(bus vm1)' | awk '\$1 == \"org.qemu.TpmStub1\" {print \$3, \$6}' | grep -qx '$(prop $u MainPID) ready'"

echo "== systemctl stop qemu-helper-compress@vm2: name released, exit 0, no process left"
u=qemu-helper-compress@vm2.service
check "$u stops" systemctl stop $u
check "$u inactive, Result=$(prop $u Result), exit status $(prop $u ExecMainStatus)" \
    bash -c "[ \"$(prop $u ActiveState)\" = inactive ] && [ \"$(prop $u ExecMainStatus)\" = 0 ]"
check "org.qemu.Compress1 gone from vm2's bus" bash -c "! qemu-helpers status --bus-address='$(bus vm2)' | grep -q org.qemu.Compress1"
check "no process of qdh-compress" eventually no_procs qdh-compress
journalctl -q -u $u -o cat | grep -E ' (stopping|stopped) ' | sed 's/^/   /'

echo "== systemctl stop qemu-vm@vm1.target: nothing of vm1 left, vm2 untouched"
check "qemu-vm@vm1.target stops" systemctl stop qemu-vm@vm1.target
for h in "${helpers[@]}"; do
    check "qemu-helper-$h@vm1 inactive" eventually bash -c "! systemctl is-active -q qemu-helper-$h@vm1.service"
done
check "qemu-vm-bus@vm1 inactive" eventually bash -c "! systemctl is-active -q qemu-vm-bus@vm1.service"
check "no process of qemu-helpers" eventually no_procs qemu-helpers
check "/run/qemu-vm/vm1 removed" eventually [ ! -e /run/qemu-vm/vm1 ]
check "vm2's tpm-stub still ready" ready_unit qemu-helper-tpm-stub@vm2.service
check "qemu-vm@vm2.target stops" systemctl stop qemu-vm@vm2.target
for h in "${helpers[@]}"; do
    check "no process of qdh-$h" eventually no_procs "qdh-$h"
done
if [ $failed = 0 ]; then echo PASS > /var/tmp/qdh-e2e.result; else
    echo FAIL > /var/tmp/qdh-e2e.result
    journalctl -q --no-pager -o short-monotonic -u 'qemu-*' | tail -60 | sed 's/^/   journal: /'
fi
echo "== result: $(cat /var/tmp/qdh-e2e.result)"
