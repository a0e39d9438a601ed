#!/bin/bash
# Records sk_sndbuf as real Linux sets it: tcp_wmem[1] when socket() made the
# socket (tcp_init_sock), then, once the connection is established,
# tcp_sndbuf_expand: at least factor x max(10, cwnd, reordering + 1) x per_mss,
# per_mss the truesize of an MSS-sized skb (factor 2, or 3 for bbr), at most
# tcp_wmem[2]. Two private network namespaces joined by a veth pair; nothing
# leaves them:
#
#   netns tl-sndbuf-srv  10.95.0.2/24  a Python listener on port 80
#   netns tl-sndbuf-cli  10.95.0.1/24  a Python client
#
# Cases: congestion control, tcp_wmem when socket() ran, tcp_wmem from then
# on, TCP_MAXSEG before connect() (0: none). Printed per case: SO_SNDBUF of the
# client before connect() and once established, and of the accepted socket.
# Run as root: bash test/tcp/recordings/sndbuf.sh > test/tcp/recordings/sndbuf.txt
# Recorded on Linux 6.18.44 (x86_64), Python 3.11.
set -e
. "$(dirname "$0")/netns-pair.sh"
netns_pair tl-sndbuf 10.95
DEFAULT="4096 16384 4194304"
READY=$(mktemp -u)

run() {
  local label=$1 cc=$2 at_socket=$3 after=$4 maxseg=$5
  for ns in $A $B; do
    ip netns exec $ns sysctl -qw net.ipv4.tcp_congestion_control="$cc"
    ip netns exec $ns sysctl -qw net.ipv4.tcp_wmem="$at_socket"
  done
  ip netns exec $A python3 - "$after" "$READY" > "$READY.srv" <<'PY' &
import socket, subprocess, sys, time
l = socket.socket()
subprocess.run(['sysctl', '-qw', 'net.ipv4.tcp_wmem=' + sys.argv[1]], check=True)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('0.0.0.0', 80))
l.listen(4)
open(sys.argv[2], 'w').close()
c, _ = l.accept()
time.sleep(0.2)
print('accepted', c.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF))
PY
  local srv=$!
  while [ ! -f "$READY" ]; do sleep 0.05; done
  rm -f "$READY"
  ip netns exec $B python3 - "$after" "$maxseg" <<'PY' > "$READY.cli"
import socket, subprocess, sys, time
s = socket.socket()
subprocess.run(['sysctl', '-qw', 'net.ipv4.tcp_wmem=' + sys.argv[1]], check=True)
if int(sys.argv[2]):
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, int(sys.argv[2]))
print('client before connect()', s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF))
s.connect(('10.95.0.2', 80))
time.sleep(0.1)
print('client established', s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF))
time.sleep(0.3)
PY
  wait $srv
  echo "case $label"
  echo "congestion control $cc"
  echo "tcp_wmem at socket() $at_socket"
  echo "tcp_wmem from then on $after"
  echo "TCP_MAXSEG $maxseg"
  cat "$READY.cli" "$READY.srv"
  rm -f "$READY.cli" "$READY.srv"
  echo
}
run reno reno "$DEFAULT" "$DEFAULT" 0
run bbr bbr "$DEFAULT" "$DEFAULT" 0
run socket-time reno "4096 65536 4194304" "4096 4096 4194304" 0
run capped reno "4096 16384 32768" "4096 16384 32768" 0
run maxseg-500 reno "$DEFAULT" "$DEFAULT" 500
run maxseg-400 reno "$DEFAULT" "$DEFAULT" 400
run maxseg-1000 reno "$DEFAULT" "$DEFAULT" 1000
# Where per_mss steps from 1280 to 2304: an MSS whose skb head passes 1024 bytes.
run maxseg-512 reno "$DEFAULT" "$DEFAULT" 512
run maxseg-513 reno "$DEFAULT" "$DEFAULT" 513
