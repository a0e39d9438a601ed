#!/usr/bin/env python3
"""Plays packetdrill's tcp/fast_retransmit/fr-4pkt-fack-last-mss.pkt against the
real kernel and prints when its RACK reordering timer retransmits: the
observation docs/packetdrill.md cites for that script (Linux 6.18.44, HZ 250:
31.4 to 34.5 ms after the SACK, where the script expects 40 ms +- 5 ms).

Run as root (python3, iproute2):

    python3 test/tools/linux-rack-reo-timer.py [runs]

Two private network namespaces joined by a veth pair; nothing leaves them:

    netns rackobs-a  10.99.0.1/24 (the Linux under test: listen, accept, write 4000 bytes)
    netns rackobs-b  no address; this script's raw peer 10.99.0.2 on an AF_PACKET socket

The peer sends the script's SYN (mss 1000, sackOK, wscale 7), ACKs the SYN-ACK
100 ms later (win 320), waits 100 ms after the data and SACKs the last
segment (3001:4001), then prints each retransmission's delay. packetdrill's
defaults.sh sysctls that matter are set in rackobs-a; the listener uses CUBIC
(TCP_CONGESTION: the namespace's default may not be settable).
"""

import os
import socket
import struct
import subprocess
import sys
import time

NS_A, NS_B = 'rackobs-a', 'rackobs-b'
A_ADDR, B_ADDR = '10.99.0.1', '10.99.0.2'


def sh(*args):
    subprocess.run(args, check=True)


def setup():
    for ns in (NS_A, NS_B):
        subprocess.run(['ip', 'netns', 'del', ns], stderr=subprocess.DEVNULL)
        sh('ip', 'netns', 'add', ns)
    sh('ip', 'link', 'add', 'rackobs-va', 'netns', NS_A, 'type', 'veth', 'peer', 'name', 'rackobs-vb', 'netns', NS_B)
    sh('ip', '-n', NS_A, 'addr', 'add', A_ADDR + '/24', 'dev', 'rackobs-va')
    sh('ip', '-n', NS_A, 'link', 'set', 'rackobs-va', 'up')
    sh('ip', '-n', NS_B, 'link', 'set', 'rackobs-vb', 'up')
    mac = subprocess.run(['ip', 'netns', 'exec', NS_B, 'cat', '/sys/class/net/rackobs-vb/address'],
                         check=True, capture_output=True, text=True).stdout.strip()
    sh('ip', '-n', NS_A, 'neigh', 'add', B_ADDR, 'lladdr', mac, 'dev', 'rackobs-va', 'nud', 'permanent')
    for kv in ('tcp_early_retrans=4', 'tcp_recovery=1', 'tcp_frto=2', 'tcp_sack=1', 'tcp_reordering=3'):
        sh('ip', 'netns', 'exec', NS_A, 'sysctl', '-q', '-w', 'net.ipv4.' + kv)


def teardown():
    for ns in (NS_A, NS_B):
        subprocess.run(['ip', 'netns', 'del', ns], stderr=subprocess.DEVNULL)


SERVER = r'''
import socket, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b'cubic')
l.bind(('%s', 8080)); l.listen(1)
c, _ = l.accept(); c.send(b'x' * 4000); time.sleep(1.5)
''' % A_ADDR


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def packet(sport, seq, ack, flags, win, opts=b''):
    hdr = struct.pack('!HHIIBBHHH', sport, 8080, seq & 0xffffffff, ack & 0xffffffff,
                      ((20 + len(opts)) // 4) << 4, flags, win, 0, 0) + opts
    ph = socket.inet_aton(B_ADDR) + socket.inet_aton(A_ADDR) + struct.pack('!BBH', 0, 6, len(hdr))
    hdr = hdr[:16] + struct.pack('!H', csum(ph + hdr)) + hdr[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(hdr), 1, 0x4000, 64, 6, 0,
                     socket.inet_aton(B_ADDR), socket.inet_aton(A_ADDR))
    return ip[:10] + struct.pack('!H', csum(ip)) + ip[12:] + hdr


def peer(run):
    """Runs inside rackobs-b (re-executed with `peer`)."""
    a_mac = bytes.fromhex(sys.argv[2].replace(':', ''))
    b_mac = bytes.fromhex(open('/sys/class/net/rackobs-vb/address').read().strip().replace(':', ''))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    s.bind(('rackobs-vb', 0))
    sport = 40000 + int(run)

    def send(pkt):
        s.send(a_mac + b_mac + b'\x08\x00' + pkt)

    def recv(timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            s.settimeout(max(0.0001, end - time.monotonic()))
            try:
                fr, addr = s.recvfrom(70000)
            except socket.timeout:
                return None
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            ip = fr[14:]
            ihl = (ip[0] & 15) * 4
            if ip[9] != 6:
                continue
            tcp = ip[ihl:]
            _, dport, seq, _, off, flags = struct.unpack('!HHIIBB', tcp[:14])
            if dport != sport:
                continue
            plen = struct.unpack('!H', ip[2:4])[0] - ihl - (off >> 4) * 4
            return time.monotonic(), seq, plen
        return None

    syn_opts = struct.pack('!BBH', 2, 4, 1000) + b'\x04\x02' + b'\x01\x01\x01' + struct.pack('!BBB', 3, 3, 7)
    send(packet(sport, 0, 0, 0x02, 32792, syn_opts))
    t_synack, iss, _ = recv(1)
    time.sleep(0.1)
    t_ack = time.monotonic()
    send(packet(sport, 1, iss + 1, 0x10, 320))
    got = 0
    t_data = None
    while got < 4000:
        r = recv(1)
        if r is None:
            break
        t_data = t_data or r[0]
        got += r[2]
    time.sleep(0.1)
    t_sack = time.monotonic()
    sack = b'\x05\x0a' + struct.pack('!II', iss + 3001, iss + 4001) + b'\x01\x01'
    send(packet(sport, 1, iss + 1, 0x10, 320, sack))
    r = recv(0.3)
    if r is None:
        print('run %s: no retransmission within 300 ms' % run)
    else:
        # The RTTs the kernel saw (as this end saw them): the SYN-ACK's (min_RTT)
        # and the data's; RACK waits min_RTT/4 + 2 ms in jiffies, then a tick.
        print('run %s: %d:%d retransmitted %.1f ms after the SACK (SYN-ACK RTT %.1f ms, data RTT %.1f ms)'
              % (run, r[1] - iss, r[1] - iss + r[2], (r[0] - t_sack) * 1000,
                 (t_ack - t_synack) * 1000, (t_sack - t_data) * 1000))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == 'peer':
        peer(sys.argv[3])
        return
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    setup()
    try:
        a_mac = subprocess.run(['ip', 'netns', 'exec', NS_A, 'cat', '/sys/class/net/rackobs-va/address'],
                               check=True, capture_output=True, text=True).stdout.strip()
        for run in range(runs):
            server = subprocess.Popen(['ip', 'netns', 'exec', NS_A, 'python3', '-c', SERVER])
            time.sleep(0.3)
            subprocess.run(['ip', 'netns', 'exec', NS_B, sys.executable, os.path.abspath(__file__),
                            'peer', a_mac, str(run)], check=True)
            server.wait()
    finally:
        teardown()


if __name__ == '__main__':
    main()
