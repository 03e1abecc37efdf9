#!/bin/sh
# Builds a tiny initramfs for the Linux-guest tests and the demo from Debian packages already on the host:
# busybox-static (/bin/busybox) and the virtio-net modules of linux-image-amd64. The guest loads the modules,
# gets a lease with udhcpc (sending hostname "LinuxGuest", or the kernel command line's guest_hostname=NAME),
# resolves names through the DNS it was given (not with guest_checks=off), prints the results on ttyS0 and
# powers off. A test (or the demo, demo-initramfs.sh) may append a second cpio archive (the kernel unpacks
# concatenated archives) holding /test.sh: the guest runs it after the lease and before powering off.
# Kernel command line words without a dot reach init as environment variables (kernel-parameters.txt).
# Cached: rebuilt only when missing or when this script changes.
# Usage: build-initramfs.sh CACHE_DIR  -> prints the path of the .cpio.gz
set -eu
CACHE=${1:?usage: build-initramfs.sh CACHE_DIR}
KVER=$(ls /lib/modules | sort -V | tail -1)
[ -x /bin/busybox ] || { echo "missing /bin/busybox: apt-get install busybox-static" >&2; exit 1; }
[ -d "/lib/modules/$KVER" ] || { echo "missing kernel modules: apt-get install linux-image-amd64" >&2; exit 1; }
SUM=$(cat "$0" /bin/busybox | md5sum | cut -c1-12)
OUT="$CACHE/slirp-guest-$KVER-$SUM.cpio.gz"
if [ -f "$OUT" ]; then echo "$OUT"; exit 0; fi
mkdir -p "$CACHE"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/bin" "$WORK/mod" "$WORK/proc" "$WORK/sys" "$WORK/dev" "$WORK/etc" "$WORK/tmp"
cp /bin/busybox "$WORK/bin/busybox"
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net; do
  f=$(find "/lib/modules/$KVER" -name "$m.ko*" | head -1)
  [ -n "$f" ] || { echo "module $m not found for $KVER" >&2; exit 1; }
  case "$f" in
    *.xz) xz -dc "$f" > "$WORK/mod/$m.ko" ;;
    *.zst) zstd -dcq "$f" > "$WORK/mod/$m.ko" ;;
    *) cp "$f" "$WORK/mod/$m.ko" ;;
  esac
done
cat > "$WORK/udhcpc.sh" <<'S'
#!/bin/busybox sh
case "$1" in
  bound|renew)
    /bin/busybox ip addr add "$ip/$mask" dev "$interface"
    [ -n "$router" ] && /bin/busybox ip route add default via "$router"
    : > /etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done
    echo "GUEST-LEASE ip=$ip mask=$mask router=$router dns=$dns domain=$domain search=$search lease=$lease"
    ;;
esac
S
cat > "$WORK/init" <<'S'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net; do
  /bin/busybox insmod /mod/$m.ko || echo "GUEST-INSMOD-FAILED $m"
done
/bin/busybox ip link set lo up
/bin/busybox ip link set eth0 up
echo "GUEST-UDHCPC-START"
/bin/busybox udhcpc -i eth0 -s /udhcpc.sh -x hostname:${guest_hostname:-LinuxGuest} -q -t 10 -T 1 -n \
  || echo "GUEST-NO-LEASE"
if [ "${guest_checks:-on}" != off ]; then
  for n in linuxguest.vm.internal www.upstream.test nobody.vm.internal; do
    echo "GUEST-NSLOOKUP $n"
    /bin/busybox nslookup "$n" 10.0.2.3 2>&1 | /bin/busybox sed 's/^/GUEST-NS: /'
  done
  /bin/busybox ping -c 1 -W 2 10.0.2.2 >/dev/null 2>&1 && echo "GUEST-PING-GW ok"
fi
if [ -f /test.sh ]; then
  /bin/busybox mkdir -p /usr/bin /bin /sbin /usr/sbin && /bin/busybox --install -s
  echo "GUEST-TEST-START"
  /bin/busybox sh /test.sh 2>&1
fi
echo "GUEST-DONE"
/bin/busybox poweroff -f
S
chmod +x "$WORK/init" "$WORK/udhcpc.sh" "$WORK/bin/busybox"
(cd "$WORK" && find . | cpio -o -H newc --quiet | gzip -1) > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "$OUT"
