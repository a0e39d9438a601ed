#!/bin/bash
# Records when real Linux ACKs data it receives in small or full-sized pushed
# segments, once the connection's quick ACKs are spent: the reader's read
# sends the ACK at once when the segment was pushed (tcp_measure_rcv_mss sets
# ICSK_ACK_PUSHED, __tcp_cleanup_rbuf answers it) and the exchange is not
# interactive; without a read, the delayed-ACK timer does (40 ms).
# Two private network namespaces joined by a veth pair; nothing leaves them:
#
#   netns tl-push-srv  10.95.0.2/24  the receiver (a Python server); tcpdump
#   netns tl-push-cli  10.95.0.1/24  the writer: 30 writes, 100 ms apart
#
# Cases: `small-read` (10-byte writes, the server reads them as they come),
# `small-noread` (10-byte writes, the server never reads), `mss-read` (writes
# of one MSS, 1448 bytes, read as they come); `interactive`: 10 requests the
# server echoes at once (the exchange becomes interactive: pingpong), then 10
# writes it only reads; `interactive-quickack`: the same, the server setting
# TCP_QUICKACK to 1 after each of those reads. Each line is a data segment, as
# `N seq a:b ack-delay D` with D the time from the segment to the server's
# first ACK covering it, rounded to the millisecond.
# Run as root: bash test/tcp/recordings/pushed-acks.sh > test/tcp/recordings/pushed-acks.txt
# Recorded on Linux 6.18.44 (x86_64), Python 3.11, tcpdump 4.99.3.
set -e
. "$(dirname "$0")/netns-pair.sh"
netns_pair tl-push 10.95
for ns in $A $B; do ip netns exec $ns sysctl -qw net.ipv4.tcp_congestion_control=reno; done
CAP=$(mktemp)
recorder_cleanup() { rm -f "$CAP"; }
run() {
  local case=$1 size=$2 read=$3 echo=${4:-0} quickack=${5:-0}
  ip netns exec $A tcpdump -i tl-push-a -n -tt -l -S tcp port 80 > "$CAP" 2>/dev/null &
  local td=$!
  sleep 0.5
  ip netns exec $A python3 -c "
import socket, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('0.0.0.0', 80)); l.listen(4)
c, _ = l.accept()
if $read:
    while True:
        d = c.recv(1 << 20)
        if not d: break
        if d.startswith(b'e'): c.send(d)
        elif $quickack: c.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
else:
    time.sleep(3.5)
c.close()" &
  local srv=$!
  sleep 0.3
  ip netns exec $B python3 -c "
import socket, time
s = socket.create_connection(('10.95.0.2', 80))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
if $echo:
    for i in range(10):
        s.send(b'e' * $size)
        s.recv(100)
        time.sleep(0.1)
    for i in range(10):
        s.send(b'q' * $size)
        time.sleep(0.1)
else:
    for i in range(30):
        s.send(b'x' * $size)
        time.sleep(0.1)
time.sleep(0.3)
s.close()"
  wait $srv 2>/dev/null || true
  sleep 0.2
  kill $td; wait $td 2>/dev/null || true
  echo "case $case"
  python3 - "$CAP" <<'PY'
import re, sys
data, acks, base = [], [], None
for line in open(sys.argv[1]):
    m = re.match(r'(\d+\.\d+) IP (\S+) > (\S+): Flags \[([^\]]*)\], (.*)', line)
    if not m: continue
    t, src, dst, flags, rest = float(m[1]), m[2], m[3], m[4], m[5]
    seq = re.search(r'seq (\d+):(\d+)', rest)
    ack = re.search(r'ack (\d+)', rest)
    if src.endswith('.80'):
        if ack: acks.append((t, int(ack[1])))
    elif seq:
        if base is None: base = int(seq[1]) - 1
        data.append((t, int(seq[1]) - base, int(seq[2]) - base))
for i, (t, a, b) in enumerate(data, 1):
    d = next((ta - t for ta, n in acks if ta >= t and n - base >= b), None)
    print(f'{i} seq {a}:{b} ack-delay {round(d * 1000) if d is not None else "none"}')
PY
  echo
}
run small-read 10 1
run small-noread 10 0
run mss-read 1448 1
run interactive 10 1 1 0
run interactive-quickack 10 1 1 1
