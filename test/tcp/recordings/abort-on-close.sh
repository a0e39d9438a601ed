#!/bin/bash
# Records what real Linux does when an application closes a connection whose
# received data it never read (tcp_close: "if (data_was_unread)" -> RST, not
# FIN; RFC 2525 2.17), against a close with nothing unread. Two private
# network namespaces joined by a veth pair; nothing leaves them:
#
#   netns tl-abort-srv  10.93.0.2/24  a Python server: accept, wait 1 s, close, never read
#   netns tl-abort-cli  10.93.0.1/24  nc, tcpdump on its veth
#
# Cases: `unread`, the client sends "hello\n" (echo hello | nc); `nothing`,
# it sends nothing (nc < /dev/null). Printed per case: what the client's
# command line printed, the segments (tcpdump -n, times relative to the SYN),
# and the counters of both namespaces that changed.
# labs/abort-on-close.lab plays the same steps.
# Run as root: bash test/tcp/recordings/abort-on-close.sh > test/tcp/recordings/abort-on-close.txt
# Recorded on Linux 6.18.44 (x86_64), Python 3.11, netcat-openbsd 1.219, tcpdump 4.99.3.
set -e
OUT=$(mktemp -d)
recorder_cleanup() { rm -rf "$OUT"; }
. "$(dirname "$0")/netns-pair.sh"

# Each case in namespaces of its own: their counters are that case's.
run() {
  local label=$1 client=$2
  netns_pair tl-abort 10.93
  for ns in $A $B; do ip netns exec "$ns" sysctl -qw net.ipv4.tcp_rmem="4096 131072 33554432"; done
  ip netns exec $B tcpdump -n -i tl-abort-b -w "$OUT/$label.pcap" tcp 2>/dev/null &
  local td=$!
  sleep 0.5
  ip netns exec $A python3 -c "
import socket, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('0.0.0.0', 80)); l.listen(4)
c, _ = l.accept()
time.sleep(1)
c.close()
time.sleep(1)" &
  local srv=$!
  sleep 0.3
  echo "case $label"
  echo "\$ $client"
  ip netns exec $B bash -c "$client" 2>&1
  wait $srv
  sleep 0.2
  kill $td
  wait $td 2>/dev/null || true
  tcpdump -n -ttttt -r "$OUT/$label.pcap" 2>/dev/null
  echo "server:" $(ip netns exec $A nstat -a | grep -E '^(Tcp|TcpExt)' | awk '{print $1 "=" $2}')
  echo "client:" $(ip netns exec $B nstat -a | grep -E '^(Tcp|TcpExt)' | awk '{print $1 "=" $2}')
  echo
}
run unread 'echo hello | nc 10.93.0.2 80; echo "exit $?"'
run nothing 'nc 10.93.0.2 80 < /dev/null; echo "exit $?"'
