#!/bin/bash
# Records the pacing and delivery rates real Linux reports (ss -tin: tcpi_pacing_rate
# from tcp_update_pacing_rate, tcpi_delivery_rate and app_limited from tcp_rate.c),
# with the fields they are computed from on the same line (mss, cwnd, rtt). Two
# private network namespaces joined by a veth pair; nothing leaves them:
#
#   netns tl-pace-srv  10.95.0.2/24  a Python server: reads 200000 bytes, answers 3000
#   netns tl-pace-cli  10.95.0.1/24  a Python client: sends 200000 bytes, reads the answer
#
# Reno (inside a namespace only reno and bbr may be chosen; CUBIC has no
# cong_control hook either, so it is paced by the same function). Printed: ss
# -tinH of both ends a second after the exchange (-n: rates in bits per second,
# exact).
# Run as root: bash test/tcp/recordings/pacing.sh > test/tcp/recordings/pacing.txt
# Recorded on Linux 6.18.44 (x86_64), Python 3.11, iproute2 6.1.
set -e
. "$(dirname "$0")/netns-pair.sh"
netns_pair tl-pace 10.95
for ns in $A $B; do ip netns exec $ns sysctl -qw net.ipv4.tcp_congestion_control=reno; done
ip netns exec $A python3 -c "
import socket, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('0.0.0.0', 80)); l.listen(4)
c, _ = l.accept()
n = 0
while n < 200000:
    d = c.recv(65536)
    if not d: break
    n += len(d)
c.send(b'y' * 3000)
time.sleep(3)" &
sleep 0.3
ip netns exec $B python3 -c "
import socket, time
s = socket.socket(); s.connect(('10.95.0.2', 80))
s.send(b'x' * 200000)
s.recv(65536)
time.sleep(3)" &
sleep 1
echo "== server"
ip netns exec $A ss -tinH state established
echo "== client"
ip netns exec $B ss -tinH state established
wait
