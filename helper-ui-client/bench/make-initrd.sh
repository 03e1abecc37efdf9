#!/bin/sh
# make-initrd.sh MODE OUT: a busybox-static initramfs whose /init draws on the VGA text console.
#   scroll: prints a numbered line every 10 ms (the screen changes all the time, while the guest
#           leaves CPU for QEMU, the helper and the browser on a 2-core machine)
#   flood:  prints lines as fast as it can (the guest saturates a core)
#   still:  prints one line, hides the cursor, sleeps (the screen does not change)
set -eu
mode=$1; out=$2
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
mkdir -p "$d/bin" "$d/proc" "$d/dev" "$d/sys"
cp /bin/busybox "$d/bin/busybox"
cat > "$d/init" <<INIT
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs dev /dev
exec >/dev/tty0 2>&1
echo "bench guest ready: $mode"
if [ "$mode" = scroll ] || [ "$mode" = flood ]; then
  i=0
  while true; do
    i=\$((i+1)); echo "line \$i the quick brown fox jumps over the lazy dog 0123456789"
    [ "$mode" = scroll ] && /bin/busybox usleep 10000
  done
else
  printf '\033[?25l'
  exec /bin/busybox sleep 100000
fi
INIT
chmod +x "$d/init"
(cd "$d" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out"
