#!/usr/bin/env python3
"""tcp_v4_err on a request sock (TCP_NEW_SYN_RECV): which ICMP errors drop it.

Two namespaces eg-a (server 10.99.0.1, listening on 80) and eg-b (10.99.0.2,
raw sockets). For each ICMP (type, code): a raw SYN from eg-b, the SYN-ACK read
back, then an ICMP error quoting that SYN-ACK (or, for 'other seq', its ISN + 1)
sent to the server; ss shows whether the SYN-RECV request survived, nstat the
counters. Run as root; cleans up its namespaces. test/host/request-sock.test.ts
follows what it printed on Linux 6.18.44 (the kernel of linux-traces):

    dest-unreach net (3/0): request before: True, after: False
    dest-unreach host (3/1): request before: True, after: False
    dest-unreach port (3/3): request before: True, after: True
    dest-unreach host-prohib (3/10): request before: True, after: True
    time-exceeded (11/0): request before: True, after: False
    param-problem (12/0): request before: True, after: False
    dest-unreach host, other seq: request before: True, after: True
    TcpExtOutOfWindowIcmps          1
    TcpExtListenDrops               4
"""
import os, socket, struct, subprocess, time, random

def sh(cmd, check=True):
    return subprocess.run(cmd, shell=True, check=check, capture_output=True, text=True).stdout

def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def ip_hdr(src, dst, proto, plen):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + plen, random.randint(1, 65535), 0, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack('!H', csum(h)) + h[12:]

def tcp_syn(src, dst, sport, dport, seq):
    opts = struct.pack('!BBH', 2, 4, 1460)
    th = struct.pack('!HHIIBBHHH', sport, dport, seq, 0, (5 + 1) << 4, 0x02, 64240, 0, 0) + opts
    ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, len(th))
    c = csum(ph + th)
    return th[:16] + struct.pack('!H', c) + th[18:]

def main():
    sh('ip netns del eg-a', check=False); sh('ip netns del eg-b', check=False)
    sh('ip netns add eg-a && ip netns add eg-b')
    sh('ip link add eg-va netns eg-a type veth peer name eg-vb netns eg-b')
    sh('ip -n eg-a addr add 10.99.0.1/24 dev eg-va && ip -n eg-a link set eg-va up && ip -n eg-a link set lo up')
    sh('ip -n eg-b addr add 10.99.0.2/24 dev eg-vb && ip -n eg-b link set eg-vb up')
    # The client's kernel must not answer the SYN-ACK with a RST.
    sh('ip netns exec eg-b iptables -A OUTPUT -p tcp --tcp-flags RST RST -j DROP')
    srv = subprocess.Popen(['ip', 'netns', 'exec', 'eg-a', 'python3', '-c',
        'import socket,time\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n'
        's.bind(("10.99.0.1",80));s.listen(16);time.sleep(120)'])
    time.sleep(0.5)
    print(sh(f'ip netns exec eg-b python3 {os.path.abspath(__file__)} client'), end='')
    print(sh('ip netns exec eg-a nstat -az TcpExtListenDrops TcpExtOutOfWindowIcmps'))
    srv.kill()
    sh('ip netns del eg-a'); sh('ip netns del eg-b')


def client():
        cases = [('dest-unreach net (3/0)', 3, 0, 0), ('dest-unreach host (3/1)', 3, 1, 0),
                 ('dest-unreach port (3/3)', 3, 3, 0), ('dest-unreach host-prohib (3/10)', 3, 10, 0),
                 ('time-exceeded (11/0)', 11, 0, 0), ('param-problem (12/0)', 12, 0, 0),
                 ('dest-unreach host, other seq', 3, 1, 1)]
        tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        rx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
        rx.settimeout(2)
        for i, (name, typ, code, off) in enumerate(cases):
            sport = 41000 + i
            syn = tcp_syn('10.99.0.2', '10.99.0.1', sport, 80, 1000 + i)
            tx.sendto(ip_hdr('10.99.0.2', '10.99.0.1', 6, len(syn)) + syn, ('10.99.0.1', 0))
            while True:
                pkt = rx.recv(2048)
                ihl = (pkt[0] & 15) * 4
                sp, dp, sq = struct.unpack('!HHI', pkt[ihl:ihl + 8])
                if sp == 80 and dp == sport: break
            synack = bytearray(pkt[:ihl + 8])
            struct.pack_into('!I', synack, ihl + 4, (sq + off) & 0xffffffff)
            before = sh(f'ip netns exec eg-a ss -Htn state syn-recv "( sport = :80 and dport = :{sport} )"').strip()
            icmp = struct.pack('!BBHI', typ, code, 0, 0) + bytes(synack)
            icmp = icmp[:2] + struct.pack('!H', csum(icmp)) + icmp[4:]
            ix = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
            ix.sendto(icmp, ('10.99.0.1', 0))
            time.sleep(0.2)
            after = sh(f'ip netns exec eg-a ss -Htn state syn-recv "( sport = :80 and dport = :{sport} )"').strip()
            print(f'{name}: request before: {bool(before)}, after: {bool(after)}', flush=True)


if __name__ == '__main__':
    import sys
    client() if sys.argv[1:] == ['client'] else main()
