#!/usr/bin/env python3
# Records how real Linux grows the receive window after responses of various
# sizes: two network namespaces joined by a veth pair with offloads off (as the
# reference traces: checksum offload off, which also turns scatter-gather off;
# TSO, GSO and GRO off), tcp_rmem "4096 131072 33554432" (wscale 10, as the
# traces) and reno. One side sends 19, 200, 849, 1448 and 3000 bytes 200 ms
# apart, the other reads each and prints TCP_WINDOW_CLAMP, SO_RCVBUF and ss's
# rcv_ssthresh, rcv_space, rcvmss, advmss; then the windows its ACKs offered.
# Both directions: the receiver is the client (active open), then the server;
# last, with the stock tcp_rmem (wscale 7), labs/capture-file.lab's exchange.
# Run as root: python3 window-growth.py   (output: window-growth.txt)
# Recorded on Linux 6.18.44 (x86_64, CONFIG_HZ=250), Python 3.11.
import ctypes, fcntl, os, re, socket, struct, subprocess, sys, time

A, B = 'tcplab-rec-a', 'tcplab-rec-b'
SIZES = [19, 200, 849, 1448, 3000]


def sh(*cmd):
    subprocess.run(cmd, check=True)


def offloads_off(ifname):
    # ethtool -K IF tso off gso off gro off sg off tx off, by the legacy ioctls.
    s = socket.socket()
    for cmd in (0x1F, 0x24, 0x2C, 0x19, 0x17):
        ev = ctypes.create_string_buffer(struct.pack('II', cmd, 0))
        fcntl.ioctl(s, 0x8946, struct.pack('16sP', ifname.encode(), ctypes.addressof(ev)))


def info(s, peer):
    out = subprocess.run(['ss', '-tinH', 'dst', peer], capture_output=True, text=True).stdout
    g = lambda k: (re.search(k + r':(\S+)', out) or [None, '?'])[1]
    return 'clamp=%d rcvbuf=%d rcv_ssthresh=%s rcv_space=%s rcvmss=%s advmss=%s' % (
        s.getsockopt(socket.IPPROTO_TCP, socket.TCP_WINDOW_CLAMP),
        s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF),
        g('rcv_ssthresh'), g('rcv_space'), g('rcvmss'), g('advmss'))


def receiver(s, peer):
    print('  after handshake:', info(s, peer), flush=True)
    for n in SIZES:
        got = 0
        while got < n:
            got += len(s.recv(n - got))
        time.sleep(0.05)
        print('  after %5d bytes: %s' % (n, info(s, peer)), flush=True)


def sender(s):
    for n in SIZES:
        time.sleep(0.2)
        s.send(b'y' * n)
    time.sleep(0.3)


def role(which, recv_side):
    if recv_side == 'request':
        # labs/capture-file.lab's exchange: an 18-byte request, an 849-byte
        # response, the server closes, then the client.
        if which == 'server':
            l = socket.socket()
            l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            l.bind(('10.231.0.2', 80))
            l.listen(1)
            c, _ = l.accept()
            c.recv(100)
            c.send(b'y' * 849)
            time.sleep(0.1)
        else:
            time.sleep(0.3)
            c = socket.socket()
            c.connect(('10.231.0.2', 80))
            time.sleep(0.1)
            c.send(b'x' * 18)
            while c.recv(1000):
                pass
        c.close()
        return
    if which == 'server':
        l = socket.socket()
        l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        l.bind(('10.231.0.2', 80))
        l.listen(1)
        c, _ = l.accept()
        receiver(c, '10.231.0.1') if recv_side == 'server' else sender(c)
    else:
        time.sleep(0.3)
        c = socket.socket()
        c.connect(('10.231.0.2', 80))
        receiver(c, '10.231.0.2') if recv_side == 'client' else sender(c)
    c.close()


def run(recv_side):
    print('# receiver: %s' % recv_side, flush=True)
    cap = subprocess.Popen(['ip', 'netns', 'exec', A, 'tcpdump', '-i', 'a0', '-n', '-U', '--immediate-mode', '-w', '/tmp/tcplab-rec.pcap', 'tcp'],
                           stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    srv = subprocess.Popen(['ip', 'netns', 'exec', B, sys.executable, __file__, '--role', 'server', recv_side])
    subprocess.run(['ip', 'netns', 'exec', A, sys.executable, __file__, '--role', 'client', recv_side], check=True)
    srv.wait()
    time.sleep(1.0)
    cap.terminate()
    cap.wait()
    txt = subprocess.run(['tcpdump', '-n', '-r', '/tmp/tcplab-rec.pcap'], capture_output=True, text=True).stdout
    for line in txt.splitlines():
        print('  ' + re.sub(r'TS val \d+ ecr \d+', 'TS', line.split(' ', 1)[1]))


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == '--offloads':
        offloads_off(sys.argv[2])
        sys.exit(0)
    if len(sys.argv) > 1 and sys.argv[1] == '--role':
        role(sys.argv[2], sys.argv[3])
        sys.exit(0)
    print('# %s, veth, offloads off, %s' % (os.uname()[2], time.strftime('%Y-%m-%d')))
    sh('ip', 'netns', 'add', A)
    sh('ip', 'netns', 'add', B)
    try:
        sh('ip', 'link', 'add', 'a0', 'netns', A, 'type', 'veth', 'peer', 'name', 'b0', 'netns', B)
        for ns, dev, addr in ((A, 'a0', '10.231.0.1/24'), (B, 'b0', '10.231.0.2/24')):
            sh('ip', '-n', ns, 'link', 'set', 'lo', 'up')
            sh('ip', '-n', ns, 'link', 'set', dev, 'up')
            sh('ip', '-n', ns, 'addr', 'add', addr, 'dev', dev)
            sh('ip', 'netns', 'exec', ns, 'sysctl', '-q', 'net.ipv4.tcp_rmem=4096 131072 33554432')
            sh('ip', 'netns', 'exec', ns, 'sysctl', '-q', 'net.ipv4.tcp_congestion_control=reno')
            sh('ip', 'netns', 'exec', ns, sys.executable, __file__, '--offloads', dev)
        run('client')
        run('server')
        for ns in (A, B):
            sh('ip', 'netns', 'exec', ns, 'sysctl', '-q', 'net.ipv4.tcp_rmem=4096 131072 6291456')
        print('# tcp_rmem 4096 131072 6291456 (wscale 7):', flush=True)
        run('request')
    finally:
        sh('ip', 'netns', 'del', A)
        sh('ip', 'netns', 'del', B)
