#!/usr/bin/env bash
# Installs the Debian packages listed in the given files when any is missing; quick when all are there.
# Usage: deploy/install-packages.sh deploy/packages/test.txt [more lists...]
set -euo pipefail
mapfile -t wanted < <(grep -hv '^\s*\(#\|$\)' "$@" | sort -u)
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q "${missing[@]}"
