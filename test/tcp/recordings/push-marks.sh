#!/bin/bash
# Records where real Linux sets PSH when an application writes more than a
# window's worth at once: a Python client writes 200000 bytes in 64 KiB
# non-blocking writes (each accepted write printed) to a server that never
# reads. Two private network namespaces joined by a veth pair; nothing leaves
# them:
#
#   netns tl-psh-srv  10.96.0.2/24  a Python server: accept, never read
#   netns tl-psh-cli  10.96.0.1/24  the writer; tcpdump on its veth
#
# Reno. Cases: `off`, the veth's offloads off (segments of one MSS on the
# wire, as tcplab sends them); `on`, offloads on (tcpdump shows each TSO send
# as one packet); `icw20`, offloads on and the route's initcwnd 20. Printed per
# case: the writes, then the client's segments that carry PSH (seq ranges).
# The reference for tcplab's segmentation: each TSO send of half the
# congestion window ends with PSH, besides each write's end. The first flights
# and first writes are compared by test/tcp/push-marks.test.ts.
# Run as root: bash test/tcp/recordings/push-marks.sh > test/tcp/recordings/push-marks.txt
# Recorded on Linux 6.18.44 (x86_64), Python 3.11, tcpdump 4.99.3. Needs ethtool.
set -e
OUT=$(mktemp -d)
recorder_cleanup() { rm -rf "$OUT"; }
. "$(dirname "$0")/netns-pair.sh"
run() {
  local label=$1
  netns_pair tl-psh 10.96
  if [ "$label" = off ]; then
    ip netns exec $A ethtool -K tl-psh-a tx off rx off tso off gso off gro off > /dev/null
    ip netns exec $B ethtool -K tl-psh-b tx off rx off tso off gso off gro off > /dev/null
  fi
  if [ "$label" = icw20 ]; then ip -n $B route change 10.96.0.0/24 dev tl-psh-b initcwnd 20; fi
  for ns in $A $B; do
    ip netns exec $ns sysctl -qw net.ipv4.tcp_rmem="4096 131072 33554432"
    ip netns exec $ns sysctl -qw net.ipv4.tcp_congestion_control=reno
  done
  ip netns exec $B tcpdump -n -i tl-psh-b -w "$OUT/$label.pcap" tcp 2>/dev/null &
  local td=$!
  sleep 0.5
  netns_idle_server $A 3
  sleep 0.3
  echo "case $label"
  ip netns exec $B python3 -c "
import select, socket, time
s = socket.socket(); s.connect(('10.96.0.2', 80))
s.setblocking(False)
buf = b'x' * 200000
off = 0
writes = []
while off < len(buf) and len(writes) < 40:
    if not select.select([], [s], [], 2)[1]:
        break
    try:
        n = s.send(buf[off:off + 65536])
    except BlockingIOError:
        continue
    writes.append(n)
    off += n
print('writes', *writes)
time.sleep(1)"
  sleep 2.5
  kill $td
  wait $td 2>/dev/null || true
  tcpdump -n -r "$OUT/$label.pcap" 2>/dev/null | grep '10.96.0.1.[0-9]* > 10.96.0.2.80: Flags \[P\.\]' |
    sed -E 's/.*seq ([0-9]+:[0-9]+).*/P \1/'
  netns_pair_remove
  wait
  echo
}
run off
run on
run icw20
