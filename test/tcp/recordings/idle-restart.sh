#!/bin/bash
# Records what real Linux does to the congestion window of a sender that goes
# idle, and of one that keeps writing a little (tcp_slow_start_after_idle).
# Two private network namespaces joined by a veth pair; nothing leaves them:
#
#   netns tl-idle-srv  10.97.0.2/24  a Python server that reads everything
#   netns tl-idle-cli  10.97.0.1/24  the writer; ss reads its cwnd
#
# Reno. The writer grows cwnd with 40 writes of 64 KiB, then, per case:
# `idle`: sleeps 1 s and writes one segment: cwnd before and right after that
# write (tcp_cwnd_restart halves it per RTO of idleness, at least 10);
# `trickle`: writes 100 bytes every 50 ms for 1.5 s, each acknowledged at once:
# cwnd every 0.25 s (the ACKs' tcp_cong_avoid keeps snd_cwnd_stamp fresh, so
# tcp_cwnd_application_limited never cuts it). Each case with
# tcp_slow_start_after_idle 1 and 0. The RTO is 204 ms on the veth pair.
# Run as root: bash test/tcp/recordings/idle-restart.sh > test/tcp/recordings/idle-restart.txt
# Recorded on Linux 6.18.44 (x86_64), Python 3.11, iproute2 6.1.
set -e
. "$(dirname "$0")/netns-pair.sh"
netns_pair tl-idle 10.97
for ns in $A $B; do ip netns exec $ns sysctl -qw net.ipv4.tcp_congestion_control=reno; done
run() {
  local case=$1 sssai=$2
  ip netns exec $B sysctl -qw net.ipv4.tcp_slow_start_after_idle=$sssai
  ip netns exec $A python3 -c "
import socket
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('0.0.0.0', 80)); l.listen(4)
c, _ = l.accept()
while c.recv(1 << 20): pass" &
  local srv=$!
  sleep 0.3
  echo "case $case tcp_slow_start_after_idle=$sssai"
  ip netns exec $B python3 -c "
import socket, subprocess, time
def cwnd(label):
    out = subprocess.run(['ss', '-tni', 'dst', '10.97.0.2'], capture_output=True, text=True).stdout
    print(label, ' '.join(w for w in out.split() if w.startswith(('rto:', 'cwnd:'))))
s = socket.socket(); s.connect(('10.97.0.2', 80))
for i in range(40): s.sendall(b'x' * 65536)
time.sleep(0.05)
cwnd('grown')
if '$case' == 'idle':
    time.sleep(1.0)
    cwnd('idle 1 s')
    s.send(b'x' * 1448)
    cwnd('after the write')
else:
    for i in range(30):
        s.send(b'x' * 100)
        time.sleep(0.05)
        if i % 5 == 4: cwnd('trickle %.2f s' % ((i + 1) * 0.05))
s.close()"
  wait $srv 2>/dev/null || true
  echo
}
run idle 1
run idle 0
run trickle 1
run trickle 0
