#!/bin/bash
# Records real Linux filling a receiver that never reads: the window closing,
# the sender's zero-window probes with their backoff, the receiver's answers
# (rate-limited by tcp_invalid_ratelimit). Two private network namespaces
# joined by a veth pair with offloads off (segments of one MSS, as tcplab
# sends them); nothing leaves them:
#
#   netns tl-zw-srv  10.94.0.2/24  a Python server: accept, never read
#   netns tl-zw-cli  10.94.0.1/24  seq 200000 | nc; tcpdump on its veth
#
# tcp_rmem "4096 131072 33554432" and the congestion control named by the
# first argument: bbr (the default, as in the reference traces) or reno (which
# tcplab runs as Linux does; its bbr is CUBIC). Printed:
# ss -tnoi of both ends after 1 s, ss -tno of the client after 10 s, and the
# segments (tcpdump -n, times from the SYN). The reference for
# labs/zero-window.lab (tcp-server --read never stands for the server), whose
# header says where tcplab's run differs and why. Needs ethtool.
# Run as root: bash test/tcp/recordings/zero-window.sh > test/tcp/recordings/zero-window.txt
#              bash test/tcp/recordings/zero-window.sh reno > test/tcp/recordings/zero-window-reno.txt
# Recorded on Linux 6.18.44 (x86_64), Python 3.11, netcat-openbsd 1.219, tcpdump 4.99.3.
set -e
CC=${1:-bbr}
OUT=$(mktemp -d)
recorder_cleanup() { rm -rf "$OUT"; }
. "$(dirname "$0")/netns-pair.sh"
netns_pair tl-zw 10.94
ip netns exec $A ethtool -K tl-zw-a tx off rx off tso off gso off gro off > /dev/null
ip netns exec $B ethtool -K tl-zw-b tx off rx off tso off gso off gro off > /dev/null
for ns in $A $B; do
  ip netns exec $ns sysctl -qw net.ipv4.tcp_rmem="4096 131072 33554432"
  ip netns exec $ns sysctl -qw net.ipv4.tcp_congestion_control=$CC
done
ip netns exec $B tcpdump -n -i tl-zw-b -w "$OUT/zw.pcap" tcp 2>/dev/null &
td=$!
sleep 0.5
netns_idle_server $A 12
srv=$!
sleep 0.3
(seq 200000 | ip netns exec $B nc 10.94.0.2 80) &
cli=$!
sleep 1
echo "== 1 s: server ss -tnoi"
ip netns exec $A ss -tnoi state established
echo "== 1 s: client ss -tnoi"
ip netns exec $B ss -tnoi state established
sleep 9
echo "== 10 s: client ss -tno"
ip netns exec $B ss -tno state established
kill $cli 2>/dev/null || true
wait $srv 2>/dev/null || true
sleep 0.2
kill $td
wait $td 2>/dev/null || true
echo "== segments"
tcpdump -n -ttttt -r "$OUT/zw.pcap" 2>/dev/null
