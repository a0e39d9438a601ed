#!/usr/bin/env python3
"""Records what the real tcpdump 4.99.3 prints on a live capture, as fixtures
for test/tools/tcpdump-live.test.ts (tcpdump-live-fixtures.json).

Run as root on Debian 12 (packages: tcpdump, iproute2, iputils-ping):

    python3 test/tools/tcpdump-live-record.py > test/tools/tcpdump-live-fixtures.json
    npx biome format --write test/tools/tcpdump-live-fixtures.json

Everything happens inside two private network namespaces joined by a veth pair,
the reference traces' topology (linux-traces/README.md):

    netns tdrec-a  192.168.0.21/24  eth0 <== veth ==> eth0  192.168.0.22/24  netns tdrec-b
                   MAC 02:00:00:00:00:21          MAC 02:00:00:00:00:22

Nothing is sent outside the namespaces. Each case starts tcpdump in tdrec-a,
makes the traffic it names (ping from tdrec-a), then sends the signal it names
(or waits for tcpdump to exit by itself) and keeps stdout, stderr and the exit
status. The veths are renamed eth0 inside their namespaces, as on a tcplab
host; timestamps and ping ids vary between runs and are left as printed (the
test compares the parts that do not vary); the -w file's name is shown as FILE.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time

A, B = 'tdrec-a', 'tdrec-b'
IFACE = 'eth0'


def sh(*args, check=True):
    return subprocess.run(args, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def setup():
    teardown()
    sh('ip', 'netns', 'add', A)
    sh('ip', 'netns', 'add', B)
    sh('ip', 'link', 'add', 'tdrec-a0', 'netns', A, 'type', 'veth', 'peer', 'name', 'tdrec-b0', 'netns', B)
    sh('ip', '-n', A, 'link', 'set', 'tdrec-a0', 'name', 'eth0')
    sh('ip', '-n', B, 'link', 'set', 'tdrec-b0', 'name', 'eth0')
    for ns, dev, mac, addr in ((A, IFACE, '02:00:00:00:00:21', '192.168.0.21/24'),
                               (B, IFACE, '02:00:00:00:00:22', '192.168.0.22/24')):
        sh('ip', '-n', ns, 'link', 'set', 'lo', 'up')
        sh('ip', '-n', ns, 'link', 'set', dev, 'address', mac)
        sh('ip', '-n', ns, 'addr', 'add', addr, 'dev', dev)
        sh('ip', '-n', ns, 'link', 'set', dev, 'up')
        sh('ip', 'netns', 'exec', ns, 'ethtool', '-K', dev, 'tx', 'off', 'rx', 'off', check=False)
    time.sleep(0.5)


def teardown():
    sh('ip', 'netns', 'del', A, check=False)
    sh('ip', 'netns', 'del', B, check=False)


def ping(dst, count, interval='0.2'):
    sh('ip', 'netns', 'exec', A, 'ping', '-c', str(count), '-i', interval, '-W', '1', dst, check=False)


TRAFFIC = {
    'none': lambda: None,
    'ping1': lambda: ping('192.168.0.22', 1),
    'ping2': lambda: ping('192.168.0.22', 2),
    'ping3-1s': lambda: ping('192.168.0.22', 3, '1'),
    'lo1': lambda: ping('127.0.0.1', 1),
}

# name, argv (after "tcpdump"; IFACE stands for the veth), traffic, how it ends.
# --immediate-mode where the counts matter: without it libpcap (TPACKET_V3) hands
# packets over only when a ring block is retired (after up to 1 s), so a capture
# stopped sooner shows "0 packets captured" with "N packets received by filter";
# tcplab's tcpdump always delivers at once (docs/tcpdump-differences.md).
CASES = [
    ('int-icmp', ['-n', '-i', 'IFACE', 'icmp'], 'ping2', 'SIGINT'),
    ('term-one', ['-n', '-i', 'IFACE', 'icmp[icmptype] = icmp-echo'], 'ping1', 'SIGTERM'),
    ('zero', ['-i', 'IFACE'], 'none', 'SIGINT'),
    ('verbose', ['--immediate-mode', '-v', '-n', '-i', 'IFACE', 'icmp'], 'ping1', 'SIGINT'),
    ('count', ['-n', '--immediate-mode', '-c', '2', '-i', 'IFACE', 'icmp'], 'ping2', 'exit'),
    ('count-one', ['-n', '--immediate-mode', '-c', '1', '-i', 'IFACE', 'icmp'], 'ping1', 'exit'),
    ('write', ['--immediate-mode', '-i', 'IFACE', '-w', 'FILE', 'icmp'], 'ping2', 'SIGINT'),
    ('write-print', ['--immediate-mode', '-n', '-i', 'IFACE', '-w', 'FILE', '--print', 'icmp'], 'ping1', 'SIGINT'),
    ('write-verbose', ['--immediate-mode', '-v', '-i', 'IFACE', '-w', 'FILE', 'icmp'], 'ping3-1s', 'SIGINT'),
    ('any', ['--immediate-mode', '-n', '-i', 'any', 'icmp'], 'ping1', 'SIGINT'),
    ('any-write', ['--immediate-mode', '-i', 'any', '-w', 'FILE', 'icmp'], 'ping1', 'SIGINT'),
    ('any-verbose', ['-v', '-n', '-i', 'any', 'icmp'], 'none', 'SIGINT'),
    ('lo', ['--immediate-mode', '-n', '-i', 'lo', 'icmp'], 'lo1', 'SIGINT'),
    ('any-lo', ['--immediate-mode', '-n', '-i', 'any', 'icmp'], 'lo1', 'SIGINT'),
    ('lo-out', ['--immediate-mode', '-n', '-Q', 'out', '-i', 'lo', 'icmp'], 'lo1', 'SIGINT'),
    ('default-iface', ['--immediate-mode', '-n', 'icmp'], 'ping1', 'SIGINT'),
    ('by-number', ['-n', '-i', '3', 'icmp'], 'none', 'SIGINT'),
    ('snaplen', ['--immediate-mode', '-n', '-s', '100', '-i', 'IFACE', 'icmp'], 'ping1', 'SIGINT'),
    ('snaplen-zero', ['-n', '-s', '0', '-i', 'IFACE', 'icmp'], 'none', 'SIGINT'),
    ('direction-in', ['--immediate-mode', '-n', '-Q', 'in', '-i', 'IFACE', 'icmp'], 'ping1', 'SIGINT'),
    ('direction-out', ['--immediate-mode', '-n', '-Q', 'OUT', '-i', 'IFACE', 'icmp'], 'ping1', 'SIGINT'),
    ('usr1', ['-n', '--immediate-mode', '-i', 'IFACE', 'icmp'], 'ping1', 'SIGUSR1'),
    ('list', ['-D'], 'none', 'exit'),
    ('list-long', ['--list-interfaces', '-i', 'eth9'], 'none', 'exit'),
    ('no-device', ['-i', 'eth9'], 'none', 'exit'),
    ('no-device-w', ['-i', 'eth9', '-w', 'FILE'], 'none', 'exit'),
    ('bad-index', ['-i', '99'], 'none', 'exit'),
    ('zero-index', ['-i', '0'], 'none', 'exit'),
    ('bad-filter', ['-i', 'IFACE', 'tcp port'], 'none', 'exit'),
    ('bad-port', ['-i', 'IFACE', 'port 99999'], 'none', 'exit'),
    ('bad-direction', ['-i', 'IFACE', '-Q', 'sideways'], 'none', 'exit'),
    ('bad-snaplen', ['-i', 'IFACE', '-s', 'x'], 'none', 'exit'),
    ('big-snaplen', ['-i', 'IFACE', '-s', '262145'], 'none', 'exit'),
    ('bad-count', ['-i', 'IFACE', '-c', '0'], 'none', 'exit'),
    ('bad-write', ['-i', 'IFACE', '-w', '/nonexistent/x.pcap'], 'none', 'exit'),
    ('bad-write-and-filter', ['-i', 'IFACE', '-w', '/nonexistent/x.pcap', 'tcp port'], 'none', 'exit'),
    ('too-many-t', ['-i', 'IFACE', '-tttttt'], 'none', 'exit'),
    ('no-filter-file', ['-i', 'IFACE', '-F', '/nonexistent/filter'], 'none', 'exit'),
]


def run(name, argv, traffic, ending, tmp):
    sh('ip', '-n', A, 'neigh', 'flush', 'dev', IFACE, check=False)
    file = os.path.join(tmp, f'{name}.pcap')
    real = [IFACE if a == 'IFACE' else file if a == 'FILE' else a for a in argv]
    p = subprocess.Popen(['ip', 'netns', 'exec', A, 'tcpdump', *real],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if ending == 'exit':
        if traffic != 'none':
            time.sleep(0.5)
            TRAFFIC[traffic]()
        try:
            out, err = p.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGINT)
            out, err = p.communicate()
    else:
        time.sleep(0.5)
        TRAFFIC[traffic]()
        time.sleep(0.5 if traffic != 'ping3-1s' else 0.2)
        if ending == 'SIGUSR1':
            p.send_signal(signal.SIGUSR1)
            time.sleep(0.3)
            ending = 'SIGINT'
        p.send_signal(getattr(signal, ending))
        out, err = p.communicate()
    def clean(b):
        return b.decode('latin1').replace(file, 'FILE')
    return {
        'name': name,
        'argv': ['tcpdump', *[IFACE if a == 'IFACE' else a for a in argv]],
        'traffic': traffic,
        'ending': 'SIGUSR1, then SIGINT' if name == 'usr1' else ending,
        'status': p.returncode,
        'stdout': clean(out),
        'stderr': clean(err),
    }


def main():
    if os.geteuid() != 0:
        sys.exit('run as root: it makes network namespaces')
    version = subprocess.run(['tcpdump', '--version'], capture_output=True, text=True).stdout
    setup()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cases = [run(*c, tmp) for c in CASES]
    finally:
        teardown()
    json.dump({
        'recorded_with': 'test/tools/tcpdump-live-record.py',
        'tcpdump_version': version.strip().split('\n'),
        'kernel': os.uname().release,
        'cases': cases,
    }, sys.stdout, indent=1)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
