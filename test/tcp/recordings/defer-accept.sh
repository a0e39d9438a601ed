#!/bin/bash
# Records what real Linux does with TCP_DEFER_ACCEPT on a listener: the peer's
# ACK that ends the handshake is dropped while it carries no data
# (tcp_check_req, TcpExtTCPDeferAcceptDrop), the request stays in SYN-RECV
# without SYN-ACK retransmissions until the deferring period's last timeout
# (syn_ack_recalc), and accept() returns once data came, or once the peer
# answers that last SYN-ACK. Two private network namespaces joined by a veth
# pair; nothing leaves them:
#
#   netns tl-defer-srv  10.94.0.2/24  a Python listener, TCP_DEFER_ACCEPT 5
#   netns tl-defer-cli  10.94.0.1/24  the client
#
# Cases: `silent` (the client connects and sends nothing for 20 s), `late-data`
# (it sends 6 bytes 2 s after connecting). Printed: getsockopt's value, the
# listener's SYN-RECV count 0.5 s in, when accept() returned, the counter,
# and the packets (times from the SYN, tcpdump's relative numbers).
# Run as root: bash test/tcp/recordings/defer-accept.sh > test/tcp/recordings/defer-accept.txt
# Recorded on Linux 6.18.44 (x86_64), Python 3.11, tcpdump 4.99.3, iproute2 6.1.
set -e
. "$(dirname "$0")/netns-pair.sh"
netns_pair tl-defer 10.94
CAP=$(mktemp)
recorder_cleanup() { rm -f "$CAP"; }
run() {
  local case=$1
  ip netns exec $A nstat -n
  ip netns exec $A tcpdump -i tl-defer-a -n -tt -l tcp port 80 > "$CAP" 2>/dev/null &
  local td=$!
  sleep 0.5
  echo "case $case"
  ip netns exec $A python3 -c "
import socket, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 5)
print('getsockopt TCP_DEFER_ACCEPT', l.getsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT))
l.bind(('0.0.0.0', 80)); l.listen(4)
t0 = time.time()
c, _ = l.accept()
print('accept after %.1f s' % (time.time() - t0))
d = c.recv(100)
print('read', len(d))
time.sleep(25 - (time.time() - t0))" &
  local srv=$!
  sleep 0.3
  ip netns exec $B python3 -c "
import socket, time
s = socket.create_connection(('10.94.0.2', 80))
if '$case' == 'late-data':
    time.sleep(2)
    s.send(b'hello\n')
time.sleep(20)
s.close()" &
  local cli=$!
  sleep 0.5
  echo "SYN-RECV at 0.5 s: $(ip netns exec $A ss -Htn state syn-recv | wc -l)"
  wait $cli $srv 2>/dev/null || true
  kill $td; wait $td 2>/dev/null || true
  ip netns exec $A nstat TcpExtTCPDeferAcceptDrop | awk '/TcpExt/ {print $1, $2}'
  # Times from the SYN; the ISNs (absolute numbers) and options left out.
  awk '/^[0-9]+\.[0-9]+ IP / {if (!t0) t0 = $1; printf "%.1f", $1 - t0; $1 = ""; sub(/ IP /, " "); sub(/, options \[.*\]/, ""); print}' "$CAP" |
    sed -E 's/ (seq|ack) [0-9]{5,},/ \1,/g; s/10\.94\.0\.1\.[0-9]+/client/; s/10\.94\.0\.2\.80/server/'
  echo
}
run silent
run late-data
