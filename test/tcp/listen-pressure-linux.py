#!/usr/bin/env python3
"""How many SYN_RECV requests a Linux listener keeps, and which old ones its
SYN-ACK timer prunes: the observations test/tcp/listen-pressure.test.ts and
src/tcp/listen.ts state, made on Linux 6.18.44 (the traces' kernel), as root,
in two network namespaces joined by a veth pair. Raw SYNs from spoofed
sources 10.77.x.y; the server's route to them points back at the client
namespace, which does not forward, so the SYN-ACKs die there.

Usage: sudo python3 listen-pressure-linux.py

Recorded (2026-11-21):
  backlog=16 syncookies=0 max_syn_backlog=2048, 40 SYNs: 17 SYN-RECV; TCPReqQFullDrop 23, ListenDrops 23
  backlog=16 syncookies=1 max_syn_backlog=2048, 40 SYNs: 17 SYN-RECV; SyncookiesSent 23, TCPReqQFullDoCookies 23
  backlog=100 syncookies=0 max_syn_backlog=8, 40 SYNs: 7 SYN-RECV; ListenDrops 33, TCPReqQFullDrop 0
  backlog=16 syncookies=1 max_syn_backlog=8, 40 SYNs: 17 SYN-RECV
  backlog=0 syncookies=0, 5 SYNs: 1 SYN-RECV; TCPReqQFullDrop 4
  backlog=20, 12 SYNs at 0: SYN-ACKs at 0, 1, 3 s to all 12; at 7.1 s to 10 (2 dropped)
  backlog=20, 12 SYNs at 0 and 8 more at 6.5 s: all 12 old get a SYN-ACK at 7.1 s
"""

import random
import socket
import struct
import subprocess
import sys
import time

SRV, CLI = 'ea-srv', 'ea-cli'


def sh(*args, ns=None, check=True):
    cmd = (['ip', 'netns', 'exec', ns] if ns else []) + list(args)
    return subprocess.run(cmd, check=check, capture_output=True, text=True).stdout


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def syn(src, dst, sport, dport, seq):
    opts = struct.pack('!BBH', 2, 4, 1460)
    tcp = struct.pack('!HHIIBBHHH', sport, dport, seq, 0, 6 << 4, 0x02, 64240, 0, 0) + opts
    ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack('!H', csum(ph + tcp)) + tcp[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), random.randint(1, 65535), 0, 64, 6, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return ip[:10] + struct.pack('!H', csum(ip)) + ip[12:] + tcp


def setup(syncookies, max_syn_backlog):
    for ns in (SRV, CLI):
        sh('ip', 'netns', 'del', ns, check=False)
        sh('ip', 'netns', 'add', ns)
    sh('ip', 'link', 'add', 'ea-s0', 'netns', SRV, 'type', 'veth', 'peer', 'name', 'ea-c0', 'netns', CLI)
    sh('ip', 'addr', 'add', '10.77.0.2/24', 'dev', 'ea-s0', ns=SRV)
    sh('ip', 'link', 'set', 'ea-s0', 'up', ns=SRV)
    sh('ip', 'addr', 'add', '10.77.0.1/24', 'dev', 'ea-c0', ns=CLI)
    sh('ip', 'link', 'set', 'ea-c0', 'up', ns=CLI)
    sh('ip', 'route', 'add', '10.77.0.0/16', 'via', '10.77.0.1', 'dev', 'ea-s0', ns=SRV)
    sh('sysctl', '-qw', f'net.ipv4.tcp_syncookies={syncookies}',
       f'net.ipv4.tcp_max_syn_backlog={max_syn_backlog}', ns=SRV)


def teardown():
    for ns in (SRV, CLI):
        sh('ip', 'netns', 'del', ns, check=False)


def run(backlog, syncookies, max_syn_backlog, batches, watch=0.0):
    """batches: [(at_seconds, count)]; returns (SYN-RECV count, nstat lines, SYN-ACK times)."""
    setup(syncookies, max_syn_backlog)
    listener = subprocess.Popen(['ip', 'netns', 'exec', SRV, 'python3', '-c',
                                 'import socket,time;l=socket.socket();l.bind(("0.0.0.0",80));'
                                 f'l.listen({backlog});time.sleep(30)'])
    dump = subprocess.Popen(['ip', 'netns', 'exec', CLI, 'tcpdump', '-i', 'ea-c0', '-n', '-tt', '-l',
                             'tcp[13] == 18'], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    time.sleep(0.5)
    sender = subprocess.Popen(['ip', 'netns', 'exec', CLI, 'python3', __file__, '--send',
                               repr(batches)])
    sender.wait()
    time.sleep(max(0.3, watch - batches[-1][0]))
    count = len(sh('ss', '-tan', 'state', 'syn-recv', ns=SRV).splitlines()) - 1
    nstat = [l for l in sh('nstat', '-az', ns=SRV).splitlines()
             if any(k in l for k in ('ReqQFull', 'ListenDrops', 'ListenOverflows', 'SyncookiesSent'))]
    dump.terminate()
    out = dump.communicate()[0]
    listener.kill()
    teardown()
    return count, nstat, out


def send(batches):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    t0 = time.monotonic()
    for b, (at, n) in enumerate(batches):
        time.sleep(max(0.0, t0 + at - time.monotonic()))
        for i in range(n):
            s.sendto(syn(f'10.77.{b + 1}.{i % 200 + 1}', '10.77.0.2', 20000 + i, 80, random.getrandbits(32)),
                     ('10.77.0.2', 0))


if __name__ == '__main__':
    if sys.argv[1:2] == ['--send']:
        send(eval(sys.argv[2]))
        sys.exit(0)
    for backlog, sc, msb, n in [(16, 0, 2048, 40), (16, 1, 2048, 40), (100, 0, 8, 40), (16, 1, 8, 40), (0, 0, 2048, 5)]:
        count, nstat, _ = run(backlog, sc, msb, [(0, n)])
        print(f'backlog={backlog} syncookies={sc} max_syn_backlog={msb}, {n} SYNs: {count} SYN-RECV;', *nstat)
    for batches in ([(0, 12)], [(0, 12), (6.5, 8)]):
        _, _, out = run(20, 1, 2048, batches, watch=8.0)
        print(f'backlog=20 batches={batches}: SYN-ACKs (time, source):')
        print(out)
