#!/bin/sh
# The demo guest's initramfs: build-initramfs.sh's (the tests' guest) with a second cpio archive appended that holds
# demo-guest.sh as /test.sh. Cached next to it: rebuilt only when either script or busybox changes.
# Usage: demo-initramfs.sh CACHE_DIR  -> prints the path of the .cpio.gz
set -eu
CACHE=${1:?usage: demo-initramfs.sh CACHE_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
BASE=$(sh "$HERE/build-initramfs.sh" "$CACHE")
SUM=$(cat "$0" "$HERE/demo-guest.sh" "$BASE" | md5sum | cut -c1-12)
OUT="$CACHE/demo-guest-$SUM.cpio.gz"
if [ -f "$OUT" ]; then echo "$OUT"; exit 0; fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp "$HERE/demo-guest.sh" "$WORK/test.sh"
(cd "$WORK" && echo test.sh | cpio -o -H newc --quiet | gzip -1) > "$WORK/extra.cpio.gz"
cat "$BASE" "$WORK/extra.cpio.gz" > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "$OUT"
