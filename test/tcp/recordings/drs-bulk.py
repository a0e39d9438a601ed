#!/usr/bin/env python3
# Records receive-buffer autotuning (tcp_rcv_space_adjust) on real Linux: a
# 6 MB transfer over a path with 10 ms one-way delay. This kernel has no netem,
# so the delay is a bridge in a third namespace that forwards every frame
# (AF_PACKET) 10 ms after it arrived. veth offloads off, tcp_rmem
# "4096 131072 33554432", reno. The receiver reads with recv(65536) and prints,
# whenever they change, SO_RCVBUF, TCP_WINDOW_CLAMP and from TCP_INFO
# rcv_ssthresh, rcv_space, rcv_rtt (µs) and rcv_wnd.
# Run as root: python3 drs-bulk.py   (output: drs-bulk.txt)
# Recorded on Linux 6.18.44 (x86_64, CONFIG_HZ=250), Python 3.11.
import ctypes, fcntl, heapq, os, select, socket, struct, subprocess, sys, time

C, R, D = 'tcplab-rec-c', 'tcplab-rec-r', 'tcplab-rec-d'
DELAY = 0.010


def sh(*cmd):
    subprocess.run(cmd, check=True)


def offloads_off(ifname):
    s = socket.socket()
    for cmd in (0x1F, 0x24, 0x2C, 0x19, 0x17):  # ETHTOOL_STSO SGSO SGRO SSG STXCSUM
        ev = ctypes.create_string_buffer(struct.pack('II', cmd, 0))
        fcntl.ioctl(s, 0x8946, struct.pack('16sP', ifname.encode(), ctypes.addressof(ev)))


def relay(a, b):
    sa = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    sa.bind((a, 0))
    sb = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    sb.bind((b, 0))
    for s in (sa, sb):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        s.setblocking(False)
    q, n = [], 0
    while True:
        t = time.monotonic()
        while q and q[0][0] <= t:
            _, _, out, f = heapq.heappop(q)
            try:
                out.send(f)
            except OSError:
                pass
        r, _, _ = select.select([sa, sb], [], [], max(0, q[0][0] - t) if q else 0.5)
        for s in r:
            while True:
                try:
                    f, addr = s.recvfrom(65535)
                except BlockingIOError:
                    break
                if addr[2] != socket.PACKET_OUTGOING:
                    n += 1
                    heapq.heappush(q, (time.monotonic() + DELAY, n, sb if s is sa else sa, f))


def receiver():
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(('10.232.0.2', 5001))
    l.listen(1)
    c, _ = l.accept()
    t0, got, last = time.time(), 0, None

    def snap():
        b = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 240)
        return (c.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF),
                c.getsockopt(socket.IPPROTO_TCP, socket.TCP_WINDOW_CLAMP),
                struct.unpack_from('I', b, 64)[0], struct.unpack_from('I', b, 96)[0],
                struct.unpack_from('I', b, 92)[0], struct.unpack_from('I', b, 232)[0])

    print('    time      read  rcvbuf   clamp  rcv_ssthresh rcv_space rcv_rtt rcv_wnd')
    while True:
        d = c.recv(65536)
        if not d:
            break
        got += len(d)
        v = snap()
        if v[:4] != last:
            print('%8.4f %9d %7d %7d %13d %9d %7d %7d' % ((time.time() - t0, got) + v), flush=True)
            last = v[:4]
    print('read', got, 'bytes in %.3f s' % (time.time() - t0))


def sender():
    time.sleep(0.3)
    s = socket.socket()
    s.connect(('10.232.0.2', 5001))
    buf, sent = b'z' * 65536, 0
    while sent < 6_000_000:
        sent += s.send(buf[:min(65536, 6_000_000 - sent)])
    s.close()


if __name__ == '__main__':
    if len(sys.argv) > 1:
        {'--offloads': lambda: offloads_off(sys.argv[2]), '--relay': lambda: relay(sys.argv[2], sys.argv[3]),
         '--receiver': receiver, '--sender': sender}[sys.argv[1]]()
        sys.exit(0)
    print('# %s, veth + 10 ms each way, offloads off, %s' % (os.uname()[2], time.strftime('%Y-%m-%d')))
    for ns in (C, R, D):
        sh('ip', 'netns', 'add', ns)
    rel = None
    try:
        sh('ip', 'link', 'add', 'c0', 'netns', C, 'type', 'veth', 'peer', 'name', 'rc', 'netns', R)
        sh('ip', 'link', 'add', 'd0', 'netns', D, 'type', 'veth', 'peer', 'name', 'rd', 'netns', R)
        for ns, dev in ((C, 'c0'), (D, 'd0'), (R, 'rc'), (R, 'rd')):
            sh('ip', '-n', ns, 'link', 'set', 'lo', 'up')
            sh('ip', '-n', ns, 'link', 'set', dev, 'up')
            sh('ip', 'netns', 'exec', ns, sys.executable, __file__, '--offloads', dev)
        sh('ip', '-n', C, 'addr', 'add', '10.232.0.1/24', 'dev', 'c0')
        sh('ip', '-n', D, 'addr', 'add', '10.232.0.2/24', 'dev', 'd0')
        for ns in (C, D):
            sh('ip', 'netns', 'exec', ns, 'sysctl', '-q', 'net.ipv4.tcp_rmem=4096 131072 33554432')
            sh('ip', 'netns', 'exec', ns, 'sysctl', '-q', 'net.ipv4.tcp_congestion_control=reno')
        rel = subprocess.Popen(['ip', 'netns', 'exec', R, sys.executable, __file__, '--relay', 'rc', 'rd'])
        rcv = subprocess.Popen(['ip', 'netns', 'exec', D, sys.executable, __file__, '--receiver'])
        sh('ip', 'netns', 'exec', C, sys.executable, __file__, '--sender')
        rcv.wait()
    finally:
        if rel is not None:
            rel.terminate()
            rel.wait()
        for ns in (C, R, D):
            sh('ip', 'netns', 'del', ns)
