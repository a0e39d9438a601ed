#!/bin/bash
# Records when real Linux gives a socket its congestion control: socket()
# (tcp_init_sock -> tcp_assign_congestion_control), not connect() or listen();
# an accepted socket gets the namespace's default of when the handshake
# completes (tcp_ca_openreq_child), not its listener's. Two private network
# namespaces joined by a veth pair; nothing leaves them:
#
#   netns tl-cc-srv  10.96.0.2/24  a Python listener on port 80
#   netns tl-cc-cli  10.96.0.1/24  a Python client
#
# In each namespace net.ipv4.tcp_congestion_control is bbr when the sockets
# are made and reno from then on (outside the initial namespace only the
# algorithms of tcp_allowed_congestion_control can be chosen: reno and bbr
# here). Printed: TCP_CONGESTION of each socket.
# Run as root: bash test/tcp/recordings/socket-cc.sh > test/tcp/recordings/socket-cc.txt
# Recorded on Linux 6.18.44 (x86_64), Python 3.11.
set -e
. "$(dirname "$0")/netns-pair.sh"
netns_pair tl-cc 10.96
for ns in $A $B; do ip netns exec $ns sysctl -qw net.ipv4.tcp_congestion_control=bbr; done
READY=$(mktemp -u)
ip netns exec $A python3 - "$READY" <<'PY' &
import socket, subprocess, sys
cc = lambda s: s.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(b'\0').decode()
l = socket.socket()
subprocess.run(['sysctl', '-qw', 'net.ipv4.tcp_congestion_control=reno'], check=True)
l.bind(('0.0.0.0', 80))
l.listen(4)
open(sys.argv[1], 'w').close()
c, _ = l.accept()
print('listener', cc(l))
print('accepted', cc(c))
PY
srv=$!
while [ ! -f "$READY" ]; do sleep 0.05; done
rm -f "$READY"
ip netns exec $B python3 - <<'PY'
import socket, subprocess
cc = lambda s: s.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(b'\0').decode()
s = socket.socket()
print('client at socket()', cc(s))
subprocess.run(['sysctl', '-qw', 'net.ipv4.tcp_congestion_control=reno'], check=True)
s.connect(('10.96.0.2', 80))
print('client after connect()', cc(s))
PY
wait $srv
