# The demo guest's /test.sh (deploy/guest/demo-initramfs.sh appends it to the tests' initramfs): one line per step
# on the serial log and on the VGA console (tty1), "demo-guest: ready", then a shell on the VGA console whose
# output is also copied to the serial log. It never returns, so the guest stays up.
# From the kernel command line: guest_hostname (sent in the lease request), demo_port (the host page's port).
say() {
  echo "demo-guest: $*"
  echo "demo-guest: $*" > /dev/tty1
}
hostname "${guest_hostname:-demo-guest}"
addr=$(ip -4 -o addr show dev eth0 | awk '{print $4}')
gw=$(ip route | awk '/^default/ {print $3}')
dns=$(awk '/^nameserver/ {print $2; exit}' /etc/resolv.conf)
say "lease ${addr:-none} hostname $(hostname) router ${gw:-none} dns ${dns:-none}"
domain=${guest_domain:-vm.internal}
resolved=$(nslookup "$(hostname).$domain" "${dns:-10.0.2.3}" 2>/dev/null | awk '/^Address/ {a=$NF} END {print a}')
say "dns $(hostname).$domain is ${resolved:-not resolved}"
page=$(timeout 10 wget -q -O - "http://${gw:-10.0.2.2}:${demo_port:-0}/" 2>/dev/null | head -n 1)
say "http ${gw:-10.0.2.2}:${demo_port:-0} says: ${page:-nothing}"
# tpm_tis is built into Debian's kernel (CONFIG_TCG_TIS=y): it probed at boot; modprobe covers a modular build.
modprobe tpm_tis 2>/dev/null
if [ -d /sys/class/tpm/tpm0 ]; then
  driver=$(basename "$(readlink /sys/class/tpm/tpm0/device/driver)" 2>/dev/null)
  say "tpm tpm0 driver ${driver:-unknown} version $(cat /sys/class/tpm/tpm0/tpm_version_major 2>/dev/null)"
  for n in 0 7; do
    say "pcr-sha256 $n $(cat /sys/class/tpm/tpm0/pcr-sha256/$n 2>/dev/null || echo unreadable)"
  done
else
  say "tpm none"
fi
say "ready"
export PS1='demo-guest# '
cd /
while true; do
  # setsid + opening tty1 in the session leader: tty1 becomes the shell's controlling terminal (Ctrl-C works).
  setsid sh -c 'exec </dev/tty1; sh -i 2>&1 | tee /dev/ttyS0 >/dev/tty1'
done
