/**
 * Differential test against the real iptables at run time, for sequences not
 * in the recorded fixtures. Each sequence runs in a fresh private network
 * namespace (`ip netns add`), never outside it, and on a fresh tcplab host;
 * stdout, stderr and the exit status must be the same. Skipped, with the
 * reason printed, without root or without the `iptables` and `ip` commands
 * (Debian packages iptables and iproute2).
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { NETFILTER_COMMANDS } from '../../src/netfilter/commands.js';
import { textInput } from '../../src/os/streams.js';
import { System } from '../../src/os/system.js';
import { Network } from '../../src/sim/network.js';

function unavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  for (const tool of ['iptables', 'ip']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `no ${tool} command`;
  }
  const v = spawnSync('iptables', ['-V'], { encoding: 'utf8' });
  if (!v.stdout.includes('v1.8.9 (nf_tables)'))
    return `iptables is ${v.stdout.trim()}, not v1.8.9 (nf_tables)`;
  return undefined;
}

const SEQUENCES: (string | readonly [string, string])[][] = [
  [
    'iptables -N web',
    'iptables -A INPUT -p tcp -m multiport --dports 80,443,8000:8080 -j web',
    'iptables -A web -s 10.0.0.0/255.255.0.0 -m limit --limit 20/min --limit-burst 7 -j LOG --log-prefix web:',
    'iptables -A web -j ACCEPT',
    'iptables -I INPUT -i lo -j ACCEPT',
    'iptables -L -v --line-numbers',
    'iptables -S',
    'iptables -D INPUT 2',
    'iptables -X web',
    'iptables -F web',
    'iptables -X web',
    'iptables -L -n',
  ],
  [
    'iptables -A OUTPUT -o eth+ -p udp ! --dport 53 -j REJECT --reject-with icmp-host-unreachable',
    'iptables -A OUTPUT -p icmp --icmp-type time-exceeded -j DROP',
    'iptables -A OUTPUT -p icmp ! --icmp-type ttl-zero-during-transit -j ACCEPT',
    'iptables -A FORWARD ! -s 192.168.0.0/16 ! -d 172.16.0.0/12 -f -j DROP',
    'iptables -A FORWARD -p tcp --tcp-flags SYN,FIN SYN,FIN -j DROP',
    'iptables -L',
    'iptables -L -n -v -x',
    'iptables -S FORWARD',
    'iptables -C FORWARD -p tcp --tcp-flags SYN,FIN SYN,FIN -j DROP',
    'iptables -C FORWARD -p tcp --tcp-flags SYN,FIN SYN -j DROP',
  ],
  [
    'iptables -nL',
    'iptables -P FORWARD DROP',
    'iptables -A INPUT -m state --state ESTABLISHED -m conntrack --ctstate RELATED -j ACCEPT',
    'iptables -A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -m limit --limit 3/hour -j ACCEPT',
    'iptables -R INPUT 1 -p udp --sport 53 -j ACCEPT',
    'iptables -I INPUT 3 -p icmp -j ACCEPT',
    'iptables -Z INPUT 1',
    'iptables -S -v',
    'iptables -L INPUT 2 -v -n',
    'iptables -N chain-1',
    'iptables -E chain-1 chain-2',
    'iptables -S chain-2',
    'iptables -A INPUT -j chain-2 -g chain-2',
    'iptables -A INPUT -g chain-2',
    'iptables -L INPUT --line-numbers -n',
  ],
  [
    'iptables -A INPUT -p tcp --dport 0x50 -j ACCEPT',
    'iptables -A INPUT -p tcp --sport 010 -j ACCEPT',
    'iptables -A INPUT -p TCP --dport https -j ACCEPT',
    'iptables -A INPUT -p udp --dport 1:2 --sport 3: -j ACCEPT',
    'iptables -A INPUT -p icmp -m icmp --icmp-type 11/1 -j ACCEPT',
    'iptables -A INPUT -s 10.1.1.1/24 -d 0/0 -j ACCEPT',
    'iptables -A INPUT --source 1.2.3.4 --destination 5.6.7.8 --protocol udp --jump DROP',
    'iptables --list-rules',
    'iptables --list INPUT --numeric --verbose --exact --line-numbers',
    'iptables -Lv',
    'iptables -F INPUT -v',
    'iptables -L -x',
  ],
  [
    'iptables -N a',
    'iptables -S -v',
    'iptables -S a -v',
    'iptables -A INPUT -p tcp --tcp-flags ALL SYN,ACK -j ACCEPT',
    'iptables -A INPUT -p icmp --icmp-type echo-req -j ACCEPT',
    'iptables -A INPUT -p tcp -m tcp --dport 80 -m tcp --sport 1 -j ACCEPT',
    'iptables -A INPUT -m conntrack --ctstate new,established -j ACCEPT',
    'iptables -A INPUT -j LOG --log-prefix a\\b',
    'iptables -D INPUT -p tcp --dport 81',
    'iptables -A INPUT -p tcp --dport 80 -m limit --limit 1/d --limit-burst 10000',
    'iptables -A INPUT -m limit --limit 1/d --limit-burst 10001',
    'iptables -A INPUT -p udp -m multiport --ports 1:2,3,4:5,6,7:8,9,10:11,12,13',
    'iptables -A INPUT -p udp -m multiport --ports 1:2,3,4:5,6,7:8,9,10:11,12:13',
    'iptables -S INPUT',
    'iptables -L INPUT',
    'iptables -L INPUT -n',
    'iptables-save',
    'iptables -A INPUT -s 300.1.1.1',
    'iptables -A INPUT -d 1.1.1.1/-1',
    'iptables -A INPUT -i eth0 -i eth1',
    'iptables -A INPUT ! -p all',
    'iptables -L INPUT 0',
    'iptables -X INPUT',
    'iptables -N INPUT',
    'iptables -F -Z',
    'iptables -Z -L',
  ],
  [
    'iptables -S -n',
    'iptables -S --line-numbers',
    'iptables -L -s 1.2.3.4',
    'iptables -F -n',
    'iptables -Z INPUT 1 -v',
    'iptables -P INPUT DROP -c 5 6',
    'iptables -L INPUT -v',
    'iptables -N x -v',
    'iptables -A x -j x -v',
    'iptables -A INPUT -s 1.2.3.4 -j x -c 1 2 -v',
    'iptables -D INPUT 1 -n',
    'iptables -I INPUT 1 --line-numbers -j ACCEPT',
    'iptables -C INPUT -c 1 2 -j ACCEPT',
    'iptables -A INPUT -m limit --limit-burst 3 --limit 2/m -m limit --limit 1/s',
    'iptables -A INPUT -p tcp --dport 22 -j LOG --log-level alert --log-macdecode --log-tcp-options',
    'iptables -A INPUT -p udp --sport 68 --dport 67 -j REJECT --reject-with admin-prohib',
    'iptables -L INPUT',
    'iptables -S INPUT',
    'iptables -A INPUT -j REJECT --reject-with icmp-proto',
    'iptables -A INPUT -j REJECT --reject-with icmp',
    'iptables -S INPUT 5',
    'iptables -A INPUT -p tcp --tcp-flags SYN,ACK,FIN,RST,URG,PSH SYN -j DROP',
    'iptables -A INPUT -p tcp --tcp-flags syn,ack syn -j DROP',
    'iptables -A INPUT -p tcp --tcp-flags SYN,ACK',
    'iptables -S INPUT',
  ],
  [
    [
      'iptables-restore',
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j later\n:later - [0:0]\n-A later -j ACCEPT\nCOMMIT\n',
    ],
    'iptables -S',
    ['iptables-restore -n', '*filter\n:later - [0:0]\n-A later -j DROP\nCOMMIT\n'],
    'iptables -S',
    ['iptables-restore -n', '*filter\n-N more\n-P FORWARD DROP\n-I INPUT -j more\nCOMMIT\n'],
    'iptables -S',
    ['iptables-restore', 'COMMIT\n'],
    ['iptables-restore', '*filter\n:INPUT - [0:0]\nCOMMIT\n'],
    ['iptables-restore', '*filter\n:new DROP [0:0]\nCOMMIT\n'],
    ['iptables-restore -t', '*filter\n-A INPUT -j DROP\nCOMMIT\n'],
    'iptables -S',
    [
      'iptables-restore',
      '*filter\n-A INPUT -p tcp --dport 80 -m comment --comment x -j DROP\nCOMMIT\n',
    ],
    ['iptables-restore', '*filter\n-A INPUT -j LOG --log-prefix "a b" # c\nCOMMIT\n'],
    ['iptables-restore', '*filter\n-A INPUT -j LOG --log-prefix "a \\" b"\nCOMMIT\n'],
    'iptables -S',
    'iptables-save -c',
    ['iptables-restore', '*filter\n[1:2] -A INPUT -j ACCEPT\nCOMMIT\n'],
    'iptables-save -c',
  ],
  [
    'iptables -A INPUT -m comment --comment allow-ssh -p tcp --dport 22 -j ACCEPT',
    'iptables -A INPUT -m comment -j ACCEPT',
    'iptables -A INPUT -m conntrack -j ACCEPT',
    'iptables -A INPUT -m state -j ACCEPT',
    'iptables -A INPUT -p icmp -m icmp -j ACCEPT',
    'iptables -A INPUT -p udp -m udp -j ACCEPT',
    'iptables -A INPUT ! -p tcp --dport 80 -j ACCEPT',
    'iptables -A INPUT -p udp --syn -j ACCEPT',
    'iptables -A INPUT -s ! 1.2.3.4 -j ACCEPT',
    'iptables -A INPUT -p tcp --dport 80 -p udp',
    'iptables -A INPUT -p icmp --icmp-type 8 -m icmp --icmp-type 0 -j ACCEPT',
    'iptables -A INPUT ! -i eth0 ! -o eth1 -j ACCEPT',
    'iptables -A FORWARD ! -i eth0 ! -o eth1 ! -p udp ! -f -j ACCEPT',
    'iptables -L INPUT',
    'iptables -L INPUT -n -v',
    'iptables -L FORWARD -v',
    'iptables -S',
  ],
];

const normalizeDates = (s: string): string =>
  s.replace(/ on \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/gm, ' on DATE');

describe('iptables against the real one, live', () => {
  const why = unavailable();
  if (why !== undefined) {
    test.skip(`skipped: ${why}`, () => {});
    console.log(`live-iptables.test.ts skipped: ${why}`);
    return;
  }
  SEQUENCES.forEach((seq, k) => {
    test(`sequence ${k + 1}`, async () => {
      const ns = `tcplab-live-${process.pid}-${k}`;
      execFileSync('ip', ['netns', 'add', ns]);
      try {
        const net = new Network({ seed: 1 });
        const host = net.addHost('h', { segment: net.segment('lan'), address: '192.168.0.22/24' });
        const sys = new System(net, { commands: new Map(Object.entries(NETFILTER_COMMANDS)) });
        for (const item of seq) {
          const [line, stdin] = typeof item === 'string' ? [item, ''] : item;
          const argv = line.split(' ');
          const real = spawnSync('ip', ['netns', 'exec', ns, ...argv], {
            encoding: 'utf8',
            input: stdin,
          });
          const ours = await sys.exec(host, argv, { stdin: textInput(stdin) });
          expect({
            line,
            stdout: normalizeDates(ours.stdout),
            stderr: ours.stderr,
            status: ours.status,
          }).toEqual({
            line,
            stdout: normalizeDates(real.stdout),
            stderr: real.stderr,
            status: real.status,
          });
        }
      } finally {
        execFileSync('ip', ['netns', 'del', ns]);
      }
    });
  });
});
