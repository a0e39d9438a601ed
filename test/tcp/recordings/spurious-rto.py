#!/usr/bin/env python3
# Records what real Linux does after a spurious retransmission timeout: the
# undo by timestamps (tcp_try_undo_loss through tcp_packet_delayed) and F-RTO
# (tcp_frto=2, RFC 5682 with SACK: tcp_process_loss). Two private network
# namespaces joined by a veth pair; nothing leaves them:
#
#   netns s4f-a  10.98.0.1/24  the Linux under test: listen, accept, write 20 segments
#   netns s4f-b  no address; this script's raw peer 10.98.0.2 on an AF_PACKET socket
#
# The peer sends a SYN (mss 1460, sackOK, TS, wscale 7) and ACKs the SYN-ACK
# 10 ms later (window 1000 << 7), so the kernel's SRTT is about 10 ms and its
# RTO 10 + 200 ms. The kernel sends its 10-segment initial window of 1448-byte
# segments and the peer stays silent until the RTO retransmits segment 0. Then,
# 10 ms after that retransmission:
#
#   ts    the peer ACKs segments 0 and 1 echoing segment 0's original TSval:
#         the ACK was only delayed (TcpExtTCPLossUndo).
#   frto  the peer ACKs segment 0 echoing the retransmission's TSval; 10 ms
#         after the kernel's next segment it ACKs segment 1 (never
#         retransmitted) with the same echo: the timeout was spurious
#         (TcpExtTCPLossUndo, TcpExtTCPSpuriousRTOs).
#   real  segments 1 to 9 were lost: as frto, but the second answer is a
#         duplicate ACK SACKing segment 10. That segment (the tail loss probe's
#         new data) went once, before the RTO, so Linux's F-RTO takes its SACK
#         as proof that the timeout was spurious (tcp_process_loss step 3.b,
#         FLAG_ORIG_SACK_ACKED) and undoes it; RACK then finds 1 to 9 lost
#         and a SACK recovery repairs them.
#   nofrto  as frto, with net.ipv4.tcp_frto=0: the conventional RTO recovery.
#
# And the undo of a fast recovery: 10 ms after the window the peer SACKs
# segments 1 to 3; RACK's reordering timer retransmits segment 0 (Recovery).
# 10 ms after that retransmission:
#
#   fr-ts       ACK of everything, echoing segment 0's original TSval
#               (tcp_try_undo_recovery by timestamp: TcpExtTCPFullUndo).
#   fr-dsack    ACK of everything echoing the retransmission, with a D-SACK
#               of segment 0 (every retransmission needless: TcpExtTCPFullUndo).
#   fr-late     ACK of everything echoing the retransmission (no undo), then a
#               duplicate ACK with the D-SACK of segment 0 (TcpExtTCPDSACKUndo).
#   fr-partial  ACK of 0 to 3, echoing the original (a partial ACK:
#               TcpExtTCPPartialUndo, TcpExtTCPTSReorder).
#   fr-dsack3   as fr-dsack, but the D-SACK covers segments 0 to 2, of which
#               only 0 was retransmitted: more duplicates than retransmissions
#               (tcp_dsack_seen: a dubious D-SACK, TcpExtTCPDSACKIgnoredDubious;
#               no undo).
#
# And a D-SACK of a tail loss probe (tlp-dsack): only 10 segments are written;
# 10 ms after the window the peer ACKs 0 to 8; the probe retransmits segment 9
# (nothing new to send), and 10 ms after it the peer ACKs everything with a
# D-SACK of segment 9: original and probe both arrived (FLAG_DSACK_TLP).
#
# After that the peer answers each burst 10 ms after it arrives: the first
# segment it misses and a SACK of the run above it. Printed per scenario: each
# segment the kernel sent (ms since the RTO retransmission, segment numbers,
# TSval relative to the original segment 0's), each ACK the peer sent ("ack n":
# segments below n), the kernel's nstat counters that changed, and the
# socket's tcpi_dsack_dups as ss shows it (0 when ss prints none).
# Run as root: python3 test/tcp/recordings/spurious-rto.py   (output: spurious-rto.txt)
# Recorded on Linux 6.18.44 (x86_64, CONFIG_HZ=250), Python 3.11.
import os
import socket
import struct
import subprocess
import sys
import time

NS_A, NS_B = 's4f-a', 's4f-b'
A_ADDR, B_ADDR = '10.98.0.1', '10.98.0.2'
MSS = 1448
SEGS = 20
SCENARIOS = ('ts', 'frto', 'real', 'nofrto', 'fr-ts', 'fr-dsack', 'fr-late', 'fr-partial', 'fr-dsack3',
             'tlp-dsack')
COUNTERS = ('TcpExtTCPLossUndo', 'TcpExtTCPSpuriousRTOs', 'TcpExtTCPFullUndo', 'TcpExtTCPPartialUndo',
            'TcpExtTCPDSACKUndo', 'TcpExtTCPTSReorder', 'TcpExtTCPSACKReorder', 'TcpExtTCPDSACKRecv', 'TcpExtTCPTimeouts', 'TcpExtTCPLossFailures', 'TcpRetransSegs',
            'TcpExtTCPSackRecovery', 'TcpExtTCPLostRetransmit', 'TcpExtTCPDSACKRecvSegs',
            'TcpExtTCPDSACKIgnoredDubious', 'TcpExtTCPDSACKOfoRecv', 'TcpExtTCPDSACKIgnoredOld',
            'TcpExtTCPDSACKIgnoredNoUndo', 'TcpExtTCPSACKDiscard', 'TcpExtTCPLossProbes',
            'TcpExtTCPLossProbeRecovery')


def sh(*args):
    subprocess.run(args, check=True)


def setup():
    teardown()
    for ns in (NS_A, NS_B):
        sh('ip', 'netns', 'add', ns)
    sh('ip', 'link', 'add', 's4f-va', 'netns', NS_A, 'type', 'veth', 'peer', 'name', 's4f-vb', 'netns', NS_B)
    sh('ip', '-n', NS_A, 'addr', 'add', A_ADDR + '/24', 'dev', 's4f-va')
    sh('ip', '-n', NS_A, 'link', 'set', 's4f-va', 'up')
    sh('ip', '-n', NS_B, 'link', 'set', 's4f-vb', 'up')
    mac = subprocess.run(['ip', 'netns', 'exec', NS_B, 'cat', '/sys/class/net/s4f-vb/address'],
                         check=True, capture_output=True, text=True).stdout.strip()
    sh('ip', '-n', NS_A, 'neigh', 'add', B_ADDR, 'lladdr', mac, 'dev', 's4f-va', 'nud', 'permanent')
    # No TSO/GSO: the kernel's segments arrive as it counts them.
    sh('ip', 'netns', 'exec', NS_A, sys.executable, '-c', OFFLOADS_OFF)


# ethtool -K s4f-va tso off gso off gro off sg off tx off, by the legacy ioctls.
OFFLOADS_OFF = r'''
import ctypes, fcntl, socket, struct
s = socket.socket()
for cmd in (0x1F, 0x24, 0x2C, 0x19, 0x17):
    ev = ctypes.create_string_buffer(struct.pack('II', cmd, 0))
    fcntl.ioctl(s, 0x8946, struct.pack('16sP', b's4f-va', ctypes.addressof(ev)))
'''


def teardown():
    for ns in (NS_A, NS_B):
        subprocess.run(['ip', 'netns', 'del', ns], stderr=subprocess.DEVNULL)


SERVER = r'''
import socket, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b'cubic')
l.bind(('%s', 8080)); l.listen(1)
c, _ = l.accept(); c.send(b'x' * %%d); time.sleep(2)
''' % A_ADDR


def segs_of(scenario):
    """How many segments the server writes."""
    return 10 if scenario == 'tlp-dsack' else SEGS


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


def tsval_of(tcp, off):
    opts = tcp[20:off]
    i = 0
    while i < len(opts):
        k = opts[i]
        if k == 0:
            break
        if k == 1:
            i += 1
            continue
        if k == 8:
            return struct.unpack('!I', opts[i + 2:i + 6])[0]
        i += opts[i + 1]
    return None


def peer(scenario, a_mac_s):
    """Runs inside s4f-b (re-executed with `peer`)."""
    a_mac = bytes.fromhex(a_mac_s.replace(':', ''))
    b_mac = bytes.fromhex(open('/sys/class/net/s4f-vb/address').read().strip().replace(':', ''))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    s.bind(('s4f-vb', 0))
    sport = 41000 + SCENARIOS.index(scenario)
    my_ts = [1000]

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
            off = (off >> 4) * 4
            plen = struct.unpack('!H', ip[2:4])[0] - ihl - off
            return time.monotonic(), seq, plen, tsval_of(tcp, off), flags

    def ts_opt(ecr):
        my_ts[0] += 1
        return b'\x01\x01\x08\x0a' + struct.pack('!II', my_ts[0], ecr)

    syn_opts = (struct.pack('!BBH', 2, 4, 1460) + b'\x04\x02' + b'\x08\x0a' + struct.pack('!II', 1000, 0)
                + b'\x01' + struct.pack('!BBB', 3, 3, 7))
    send(packet(sport, 0, 0, 0x02, 65535, syn_opts))
    _, iss, _, synack_ts, _ = recv(1)
    time.sleep(0.01)
    send(packet(sport, 1, iss + 1, 0x10, 1000, ts_opt(synack_ts)))
    base = iss + 1
    log = []
    t0 = [None]
    orig_ts0 = [None]

    def seg_name(seq, plen):
        a, b = (seq - base) / MSS, (seq - base + plen) / MSS
        return 'seg %g' % a if b - a == 1 else 'segs %g..%g' % (a, b - 1)

    def got(r):
        t, seq, plen, tsv, flags = r
        rel = '-' if t0[0] is None else '%.1f' % ((t - t0[0]) * 1000)
        log.append('%s out %s tsval %+d%s' % (rel, seg_name(seq, plen), tsv - orig_ts0[0],
                                             ' FIN' if flags & 1 else ''))

    def ack(n, ecr, sack=None):
        opts = ts_opt(ecr)
        what = 'ack %d' % n
        if sack is not None:
            opts += b'\x01\x01\x05\x0a' + struct.pack('!II', base + sack[0] * MSS, base + sack[1] * MSS)
            what += ' sack %d..%d' % (sack[0], sack[1] - 1)
        send(packet(sport, 1, base + n * MSS, 0x10, 1000, opts))
        rel = '-' if t0[0] is None else '%.1f' % ((time.monotonic() - t0[0]) * 1000)
        log.append('%s in %s ecr %+d' % (rel, what, ecr - orig_ts0[0]))
        if os.environ.get('S4F_SS'):
            # Diagnosis only (it delays the script): the kernel's view after the ACK.
            time.sleep(0.002)
            info = subprocess.run(['ip', 'netns', 'exec', NS_A, 'ss', '-tinH', 'sport', '8080'],
                                  capture_output=True, text=True).stdout.split()
            log.append('   ss: ' + ' '.join(w for w in info if w.split(':')[0] in
                                             ('cwnd', 'ssthresh', 'unacked', 'retrans', 'lost', 'sacked')))

    # The initial window.
    first = []
    while len(first) < 10:
        r = recv(1)
        if r is None:
            break
        if orig_ts0[0] is None:
            orig_ts0[0] = r[3]
        first.append(r)
        got(r)
    t_sent = first[0][0]
    if scenario.startswith('fr-'):
        # 10 ms after the window: segment 0 missing, 1 to 3 SACKed.
        time.sleep(max(0, t_sent + 0.01 - time.monotonic()))
        ack(0, orig_ts0[0], (1, 4))
    if scenario == 'tlp-dsack':
        # 10 ms after the window: 0 to 8 acknowledged; the probe retransmits 9.
        time.sleep(max(0, t_sent + 0.01 - time.monotonic()))
        ack(9, orig_ts0[0])
        tlp = recv(1)
        t0[0] = tlp[0]
        log.append('loss probe of segment %d %.1f ms after the first segment'
                   % ((tlp[1] - base) // MSS, (tlp[0] - t_sent) * 1000))
        got(tlp)
        time.sleep(0.01)
        ack(10, tlp[3], (9, 10))
        r = recv(0.05)
        while r is not None:
            got(r)
            r = recv(0.05)
        for line in log:
            print(line)
        return
    # The tail loss probe (new data, ~2 SRTT later) comes first, or in fr-*
    # what the recovery sends before segment 0.
    rtx = recv(1)
    while rtx[1] != base:
        log.append('%.1f ms after the first segment:' % ((rtx[0] - t_sent) * 1000))
        got(rtx)
        rtx = recv(1)
    t0[0] = rtx[0]
    log.append('retransmission of segment 0 %.1f ms after the first segment' % ((rtx[0] - t_sent) * 1000))
    got(rtx)
    rtx_ts = rtx[3]
    time.sleep(0.01)
    # What the peer holds: in ts and frto every original arrived (late); in
    # real, segments 1 to 9 were lost. Then whatever arrives.
    held = set(range(0, 11)) if scenario != 'real' else {0, 10}

    def arrived(p):
        for k in range((p[1] - base) // MSS, (p[1] - base + p[2]) // MSS):
            held.add(k)

    def answer(ecr):
        n = 0
        while n in held:
            n += 1
        above = sorted(k for k in held if k > n)
        sack = None
        if above:
            e = above[0]
            while e + 1 in held:
                e += 1
            sack = (above[0], e + 1)
        ack(n, ecr, sack)
        return n

    if scenario.startswith('fr-'):
        held = set(range(0, 10))
    if scenario == 'ts':
        ack(2, orig_ts0[0])
    elif scenario == 'fr-ts':
        ack(10, orig_ts0[0])
    elif scenario == 'fr-dsack':
        ack(10, rtx_ts, (0, 1))
    elif scenario == 'fr-dsack3':
        ack(10, rtx_ts, (0, 3))
    elif scenario == 'fr-late':
        ack(10, rtx_ts)
        r = recv(0.01)
        while r is not None:
            got(r)
            arrived(r)
            r = recv(0.002)
        ack(10, rtx_ts, (0, 1))
    elif scenario == 'fr-partial':
        ack(4, orig_ts0[0])
    else:
        ack(1, rtx_ts)
        r = recv(0.1)
        if r is not None:
            got(r)
            arrived(r)
            time.sleep(0.01)
        if scenario in ('frto', 'nofrto'):
            ack(2, rtx_ts)
        else:
            ack(1, rtx_ts, (10, 11))
    # Then each burst is answered 10 ms after it arrives (one ACK, echoing the
    # last segment's TSval), until the whole stream is held.
    deadline = time.monotonic() + 1.5
    while len([k for k in range(SEGS) if k in held]) < SEGS and time.monotonic() < deadline:
        r = recv(0.02)
        pend = []
        while r is not None:
            got(r)
            pend.append(r)
            r = recv(0.002)
        if not pend:
            continue
        time.sleep(0.01)
        for p in pend:
            arrived(p)
        answer(pend[-1][3])
    for line in log:
        print(line)


def nstat():
    out = subprocess.run(['ip', 'netns', 'exec', NS_A, 'nstat', '-az'] + list(COUNTERS),
                         capture_output=True, text=True).stdout
    vals = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 2 and f[0] in COUNTERS:
            vals[f[0]] = int(f[1])
    return vals


def main():
    if len(sys.argv) > 1 and sys.argv[1] == 'peer':
        peer(sys.argv[2], sys.argv[3])
        return
    # Fresh namespaces for each scenario: the counters are the scenario's own,
    # read as soon as the peer is done (the server's FIN then goes unanswered).
    for scenario in SCENARIOS:
        setup()
        try:
            if scenario == 'nofrto':
                sh('ip', 'netns', 'exec', NS_A, 'sysctl', '-q', '-w', 'net.ipv4.tcp_frto=0')
            a_mac = subprocess.run(['ip', 'netns', 'exec', NS_A, 'cat', '/sys/class/net/s4f-va/address'],
                                   check=True, capture_output=True, text=True).stdout.strip()
            before = nstat()
            server = subprocess.Popen(['ip', 'netns', 'exec', NS_A, 'python3', '-c',
                                       SERVER % (segs_of(scenario) * MSS)])
            time.sleep(0.3)
            print('== %s' % scenario)
            sys.stdout.flush()
            subprocess.run(['ip', 'netns', 'exec', NS_B, sys.executable, os.path.abspath(__file__),
                            'peer', scenario, a_mac], check=True)
            after = nstat()
            print('counters: ' + ' '.join('%s=%d' % (k, after[k] - before.get(k, 0))
                                          for k in COUNTERS if after.get(k, 0) != before.get(k, 0)))
            info = subprocess.run(['ip', 'netns', 'exec', NS_A, 'ss', '-tinH', 'sport', '8080'],
                                  capture_output=True, text=True).stdout.split()
            dups = [w for w in info if w.startswith('dsack_dups:')]
            print('ss: ' + (dups[0] if dups else 'dsack_dups:0'))
            sys.stdout.flush()
            server.wait()
        finally:
            teardown()


if __name__ == '__main__':
    main()
