#!/bin/bash
# Records where real Linux takes a passive open's receive buffer from: the
# listening socket's sk_rcvbuf (tcp_rmem[1] when socket() made it, or SO_RCVBUF),
# not tcp_rmem as it is when the SYN or the ACK arrives. Two private network
# namespaces joined by a veth pair; nothing leaves them:
#
#   netns tl-rmem-srv  10.97.0.2/24  a Python listener on port 80
#   netns tl-rmem-cli  10.97.0.1/24  a Python client; tcpdump on its veth
#
# Cases (tcp_rmem of the server's namespace; the client's stays the default):
#   default      "4096 131072 6291456" throughout
#   down         socket() with the default, then tcp_rmem "4096 16384 1048576"
#                before bind(), listen() and the SYN
#   up           socket() under "4096 16384 1048576", then the default again
#                before bind(), listen() and the SYN
#   so-rcvbuf    the default; SO_RCVBUF 8192 set on the socket after listen()
#   big-rcvbuf   the default; SO_RCVBUF 1048576 after listen(), clamped by
#                net.core.rmem_max (212992)
#   rmem-max     net.core.rmem_max 4194304; socket() under "4096 16384 1048576"
#                (the scale covers rmem_max when it is larger than tcp_rmem[2])
#   rmem-max-big net.core.rmem_max 4194304; SO_RCVBUF 1048576 after listen()
#
# net.core.rmem_max, which is not per namespace, is 212992 (its default) but
# where a case says otherwise, and is put back after the run.
# Printed per case: the SYN-ACK's window field and wscale, the listener's
# SO_RCVBUF before the SYN, the accepted socket's SO_RCVBUF, and ss's rb.
# Run as root: bash test/tcp/recordings/listener-rmem.sh > test/tcp/recordings/listener-rmem.txt
# Recorded on Linux 6.18.44 (x86_64), Python 3.11, tcpdump 4.99.3.
set -e
OUT=$(mktemp -d)
RMEM_MAX=$(sysctl -n net.core.rmem_max)
recorder_cleanup() {
  sysctl -qw net.core.rmem_max="$RMEM_MAX"
  rm -rf "$OUT"
}
. "$(dirname "$0")/netns-pair.sh"
netns_pair tl-rmem 10.97
DEFAULT="4096 131072 6291456"
SMALL="4096 16384 1048576"
for ns in $A $B; do ip netns exec $ns sysctl -qw net.ipv4.tcp_rmem="$DEFAULT"; done

# case, tcp_rmem at socket(), tcp_rmem from bind() on, SO_RCVBUF after listen()
# (0: none), net.core.rmem_max
run() {
  local label=$1 at_socket=$2 after=$3 rcvbuf=$4 rmem_max=$5
  sysctl -qw net.core.rmem_max="$rmem_max"
  ip netns exec $A sysctl -qw net.ipv4.tcp_rmem="$at_socket"
  ip netns exec $B tcpdump -n -i tl-rmem-b -c 2 -w "$OUT/$label.pcap" 'tcp port 80 and tcp[tcpflags] & tcp-syn != 0' 2>/dev/null &
  local td=$!
  sleep 0.5
  ip netns exec $A python3 - "$after" "$rcvbuf" "$OUT/ready" > "$OUT/$label.srv" <<'PY' &
import socket, subprocess, sys, time
after, rcvbuf, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
l = socket.socket()
subprocess.run(['sysctl', '-qw', 'net.ipv4.tcp_rmem=' + after], check=True)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('0.0.0.0', 80))
l.listen(16)
if rcvbuf:
    l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
print('listener SO_RCVBUF', l.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
open(ready, 'w').close()
c, _ = l.accept()
print('child SO_RCVBUF', c.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
time.sleep(0.2)
ss = subprocess.run(['ss', '-tmnH', 'state', 'established'], capture_output=True, text=True).stdout
rb = [w for w in ss.replace('(', ',').replace(')', ',').split(',') if w.startswith('rb')]
print('child ss rb', rb[0][2:] if rb else '?')
PY
  local srv=$!
  while [ ! -f "$OUT/ready" ]; do sleep 0.05; done
  rm -f "$OUT/ready"
  ip netns exec $B python3 -c "
import socket, time
s = socket.create_connection(('10.97.0.2', 80)); time.sleep(0.5)"
  wait $srv
  wait $td || true
  ip netns exec $A sysctl -qw net.ipv4.tcp_rmem="$DEFAULT"
  echo "case $label"
  echo "tcp_rmem at socket() $at_socket"
  echo "tcp_rmem from bind() $after"
  echo "SO_RCVBUF after listen() $rcvbuf"
  echo "net.core.rmem_max $rmem_max"
  cat "$OUT/$label.srv"
  tcpdump -n -r "$OUT/$label.pcap" 2>/dev/null | grep 'Flags \[S\.\]' |
    sed -E 's/.* win ([0-9]+),.*wscale ([0-9]+)\].*/SYN-ACK win \1 wscale \2/'
  echo
}
run default "$DEFAULT" "$DEFAULT" 0 212992
run down "$DEFAULT" "$SMALL" 0 212992
run up "$SMALL" "$DEFAULT" 0 212992
run so-rcvbuf "$DEFAULT" "$DEFAULT" 8192 212992
run big-rcvbuf "$DEFAULT" "$DEFAULT" 1048576 212992
run rmem-max "$SMALL" "$SMALL" 0 4194304
run rmem-max-big "$DEFAULT" "$DEFAULT" 1048576 4194304
