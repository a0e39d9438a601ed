#!/usr/bin/env python3
# Records when real Linux ACKs a FIN that arrives on an active-open socket
# before any data, in a packetdrill-like harness: a tun device in a private
# network namespace, local 192.168.0.1 (the kernel's socket), remote 192.0.2.1
# (this script), the exchange of
# ../shared/conformance/packetdrill-tcplab/half-close/peer-half-close-keep-sending.pkt:
# SYN, SYN-ACK 50 ms later (no timestamps, wscale 6), the peer's FIN 100 ms
# after the handshake, read() 10 ms after the FIN, then write(100).
# Run as root: python3 fin-ack-active-open.py [runs]   (output: fin-ack-active-open.txt)
# Recorded on Linux 6.18.44 (x86_64, CONFIG_HZ=250), Python 3.11.
import fcntl, os, select, socket, struct, subprocess, sys, threading, time

NS = 'tcplab-rec-fin'


def child():
    tunsetiff, iff_tun, iff_no_pi = 0x400454CA, 1, 0x1000
    fd = os.open('/dev/net/tun', os.O_RDWR)
    fcntl.ioctl(fd, tunsetiff, struct.pack('16sH', b'rec-tun0', iff_tun | iff_no_pi))
    for c in ('ip link set lo up', 'ip link set rec-tun0 up', 'ip addr add 192.168.0.1/16 dev rec-tun0',
              'ip route add 192.0.2.1 via 192.168.0.1 dev rec-tun0',
              'sysctl -q net.ipv4.tcp_congestion_control=reno', 'sysctl -q net.ipv4.tcp_timestamps=1'):
        subprocess.run(c.split(), check=True)
    subprocess.run(['sysctl', '-q', 'net.ipv4.tcp_rmem=4096 131072 6291456'], check=True)

    def csum(b):
        if len(b) % 2:
            b += b'\0'
        s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
        s = (s >> 16) + (s & 0xFFFF)
        s += s >> 16
        return ~s & 0xFFFF

    def inject(dport, seq, ack, flags, win, opts=b''):
        t = struct.pack('!HHIIBBHHH', 8080, dport, seq, ack, ((20 + len(opts)) // 4) << 4, flags, win, 0, 0) + opts
        src, dst = socket.inet_aton('192.0.2.1'), socket.inet_aton('192.168.0.1')
        t = t[:16] + struct.pack('!H', csum(src + dst + struct.pack('!BBH', 0, 6, len(t)) + t)) + t[18:]
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(t), 1, 0, 64, 6, 0, src, dst)
        os.write(fd, ip[:10] + struct.pack('!H', csum(ip)) + ip[12:] + t)

    t0 = [0.0]

    def ms():
        return (time.monotonic() - t0[0]) * 1000

    def outbound(timeout):
        while True:
            r, _, _ = select.select([fd], [], [], max(0, timeout))
            if not r:
                return None
            p = os.read(fd, 65535)
            if p[9] != 6:
                continue
            t = p[(p[0] & 15) * 4:]
            sport, _, seq, ack, off, flags, win = struct.unpack('!HHIIBBH', t[:16])
            return dict(t=ms(), sport=sport, seq=seq, ack=ack, flags=flags, win=win, len=len(t) - (off >> 4) * 4)

    names = {0x02: 'S', 0x10: '.', 0x18: 'P.', 0x11: 'F.'}

    def show(p, iss):
        print('%8.3f ms > %-2s seq +%d ack %d win %d len %d' % (
            p['t'], names.get(p['flags'], hex(p['flags'])), (p['seq'] - iss) & 0xFFFFFFFF,
            (p['ack'] - 1000) & 0xFFFFFFFF, p['win'], p['len']), flush=True)

    fin = threading.Event()
    s = socket.socket()

    def app():
        s.connect(('192.0.2.1', 8080))
        fin.wait()
        time.sleep(0.010)
        print('%8.3f ms read() = %r' % (ms(), s.recv(100)), flush=True)
        s.send(b'x' * 100)
        print('%8.3f ms write(100)' % ms(), flush=True)

    t0[0] = time.monotonic()
    threading.Thread(target=app, daemon=True).start()
    syn = outbound(1)
    t0[0] += syn['t'] / 1000
    syn['t'] = 0.0
    iss = syn['seq']
    show(syn, iss)
    time.sleep(0.050)
    inject(syn['sport'], 1000, iss + 1, 0x12, 65535, b'\x02\x04\x05\xb4\x01\x01\x04\x02\x01\x03\x03\x06')
    print('%8.3f ms < S. win 65535 <mss 1460,nop,nop,sackOK,nop,wscale 6>' % ms())
    show(outbound(1), iss)
    time.sleep(0.100)
    inject(syn['sport'], 1001, iss + 1, 0x11, 1024)
    print('%8.3f ms < F. seq 1 ack 1 win 1024' % ms())
    fin.set()
    end = time.monotonic() + 0.1
    while (p := outbound(end - time.monotonic())) is not None:
        show(p, iss)
    out = subprocess.run(['nstat', '-az', 'TcpExtDelayedACKs'], capture_output=True, text=True).stdout
    print([l for l in out.splitlines() if 'DelayedACKs' in l][0].split()[:2])


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == '--child':
        child()
        sys.exit(0)
    print('# ' + ' '.join(os.uname()[2:3]) + ', tun harness, ' + time.strftime('%Y-%m-%d'))
    for i in range(int(sys.argv[1]) if len(sys.argv) > 1 else 3):
        subprocess.run(['ip', 'netns', 'add', NS], check=True)
        try:
            print('# run %d' % (i + 1), flush=True)
            subprocess.run(['ip', 'netns', 'exec', NS, sys.executable, __file__, '--child'], check=True)
        finally:
            subprocess.run(['ip', 'netns', 'del', NS], check=True)
