/**
 * The counters of the "under pressure" cases, as `nstat -az` and `netstat -s`
 * print them, against what the real tools printed on Linux 6.18 after the same
 * steps (fixtures/pressure/CASE.nstat and CASE.netstat, recorded by
 * fixtures/pressure/record.sh in two network namespaces): a full accept queue
 * with tcp_abort_on_overflow=1, a keepalive that gives up, SYN-ACK
 * retransmissions that give up, a TIME-WAIT taken over with tcp_tw_reuse=1.
 * Both tools' whole outputs must be the same, line for line.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseLab } from '../../../src/lab/parse.js';
import { LabSession } from '../../../src/lab/runner.js';
import { openTerminal } from '../../../src/shell/index.js';
import { COMMANDS } from '../../../src/tools/commands.js';

const FIXTURES = join(import.meta.dirname, 'fixtures/pressure');

const HOSTS =
  '%host client 192.168.0.21/24 mac=02:00:00:00:00:21\n' +
  '%host server 192.168.0.22/24 mac=02:00:00:00:00:22\n' +
  '%segment lan delay=15us\n' +
  '%sysctl * net.ipv4.tcp_rmem="4096 131072 33554432"\n';

/** The steps of record.sh, as a lab; the last two commands print the counters. */
const CASES: Record<string, { host: string; steps: string; counters: string[] }> = {
  'abort-rst': {
    host: 'server',
    steps: `root@server:~# sysctl -w net.ipv4.tcp_abort_on_overflow=1
root@server:~# tcp-server -p 80 -b 1 --accept never &
root@client:~# nc -d server 80 &
root@client:~# iptables -I OUTPUT -p tcp --dport 80 --tcp-flags SYN,ACK,FIN,RST,PSH ACK -j DROP
root@client:~# nc -d server 80 & nc -d server 80 &
root@client:~# iptables -D OUTPUT 1
%wait 2s
`,
    counters: [
      'TcpExtListenOverflows',
      'TcpExtListenDrops',
      'TcpExtEmbryonicRsts',
      'TcpExtTCPSynRetrans',
      'TcpExtTCPTimeouts',
    ],
  },
  keepalive: {
    host: 'server',
    steps: `root@server:~# sysctl -w net.ipv4.tcp_keepalive_time=10 net.ipv4.tcp_keepalive_intvl=5 net.ipv4.tcp_keepalive_probes=3
root@server:~# tcp-server -p 80 --close never --keepalive &
root@client:~# nc -d server 80 &
%wait 11s
root@client:~# iptables -A INPUT -p tcp --sport 80 -j DROP
%wait 30s
`,
    counters: ['TcpExtTCPKeepAlive', 'TcpExtTCPAbortOnTimeout'],
  },
  synack2: {
    host: 'server',
    steps: `root@server:~# sysctl -w net.ipv4.tcp_synack_retries=2
root@server:~# tcp-server -p 80 --accept never &
root@server:~# iptables -A INPUT -p tcp --dport 80 --tcp-flags SYN,ACK ACK -j DROP
root@client:~# (sleep 11; echo hello) | nc server 80 &
%wait 9s
root@server:~# iptables -D INPUT 1
%wait 3s
`,
    counters: ['TcpExtTCPSynRetrans', 'TcpExtTCPTimeouts'],
  },
  'tw-reuse': {
    host: 'client',
    steps: `root@server:~# tcp-server -p 80 --close after=1s &
root@client:~# sysctl -w net.ipv4.ip_local_port_range="40000 40003"
root@client:~# for i in 1 2 3 4; do nc -z server 80; done
%wait 1500ms
root@client:~# nc -z server 80
root@client:~# sysctl -w net.ipv4.tcp_tw_reuse=1
root@client:~# nc -z server 80
%wait 1500ms
`,
    counters: [
      'TcpExtTWRecycled',
      'TcpExtTCPPureAcks',
      'TcpExtTCPOrigDataSent',
      'TcpExtTCPDelivered',
    ],
  },
};

/** TCP's RFC 1213 group: compared in every case. */
const TCP_MIB = [
  'TcpActiveOpens',
  'TcpPassiveOpens',
  'TcpAttemptFails',
  'TcpEstabResets',
  'TcpCurrEstab',
  'TcpRetransSegs',
  'TcpInErrs',
  'TcpOutRsts',
];

/** What the case's last two commands printed, in tcplab. */
async function play(name: string): Promise<{ nstat: string[]; netstat: string[] }> {
  const c = CASES[name]!;
  const text = `${HOSTS}\n${c.steps}root@${c.host}:~# nstat -az\nroot@${c.host}:~# netstat -s\n`;
  const parsed = parseLab(`${name}.lab`, text);
  if (!parsed.ok) throw new Error(`${name}: the lab does not parse`);
  const s = LabSession.create(parsed.lab, { openTerminal, commands: COMMANDS });
  if (!s.ok) throw new Error(`${name}: the lab does not build`);
  const lines = (await s.session.play()).text.split('\n');
  const after = (prompt: string): string[] => {
    const i = lines.indexOf(prompt);
    const out: string[] = [];
    for (let k = i + 1; k < lines.length && !/^\w+@\w+:~# /.test(lines[k]!); k++) {
      // The transcript escapes output that would read as a comment (`\#kernel`).
      out.push(lines[k]!.replace(/^\\/, ''));
    }
    while (out.at(-1) === '') out.pop();
    return out;
  };
  return {
    nstat: after(`root@${c.host}:~# nstat -az`),
    netstat: after(`root@${c.host}:~# netstat -s`),
  };
}

function real(name: string, ext: 'nstat' | 'netstat'): string[] {
  return readFileSync(join(FIXTURES, `${name}.${ext}`), 'utf8')
    .trimEnd()
    .split('\n');
}

/** netstat -s's line for a counter: the Tcp section's own words, or the TcpExt line that names it. */
const NETSTAT_WORDS: Record<string, RegExp> = {
  TcpActiveOpens: / active connection openings$/,
  TcpPassiveOpens: / passive connection openings$/,
  TcpAttemptFails: / failed connection attempts$/,
  TcpEstabResets: / connection resets received$/,
  TcpCurrEstab: / connections established$/,
  TcpRetransSegs: / segments retransmitted$/,
  TcpInErrs: / bad segments received$/,
  TcpOutRsts: / resets sent$/,
  TcpExtListenOverflows: / times the listen queue of a socket overflowed$/,
  TcpExtListenDrops: / SYNs to LISTEN sockets dropped$/,
  TcpExtEmbryonicRsts: / resets received for embryonic SYN_RECV sockets$/,
  TcpExtTCPSynRetrans: /^ {4}TCPSynRetrans: /,
  TcpExtTCPTimeouts: /^ {4}TCPTimeouts: /,
  TcpExtTCPKeepAlive: /^ {4}TCPKeepAlive: /,
  TcpExtTCPAbortOnTimeout: / connections aborted due to timeout$/,
  TcpExtTWRecycled: / time wait sockets recycled by time stamp$/,
  TcpExtTCPPureAcks: / acknowledgments not containing data payload received$/,
  TcpExtTCPOrigDataSent: /^ {4}TCPOrigDataSent: /,
  TcpExtTCPDelivered: /^ {4}TCPDelivered: /,
};

describe('pressure counters against Linux 6.18', () => {
  for (const name of Object.keys(CASES)) {
    test(`${name}: nstat -az and netstat -s print what the real tools printed`, async () => {
      const got = await play(name);
      const want = { nstat: real(name, 'nstat'), netstat: real(name, 'netstat') };
      // nstat: every counter in the kernel's order, every modelled value.
      expect(got.nstat.length).toBe(want.nstat.length);
      for (let i = 0; i < want.nstat.length; i++) {
        const counter = want.nstat[i]!.split(/\s+/)[0]!;
        expect(got.nstat[i], counter).toBe(want.nstat[i]);
      }
      // netstat -s: net-tools' words, sections and omissions, line for line.
      expect(got.netstat).toEqual(want.netstat);
      // The case's own counters and TCP's group, by their netstat words.
      for (const counter of [...TCP_MIB, ...CASES[name]!.counters]) {
        const re = NETSTAT_WORDS[counter]!;
        expect(
          got.netstat.filter((l) => re.test(l)),
          counter,
        ).toEqual(want.netstat.filter((l) => re.test(l)));
      }
    });
  }

  test('the cases exercise the counters: each one is not 0 in the real recording', () => {
    for (const [name, c] of Object.entries(CASES)) {
      for (const counter of c.counters) {
        const line = real(name, 'nstat').find((l) => l.startsWith(`${counter} `));
        expect(Number(line?.split(/\s+/)[1]), `${name} ${counter}`).toBeGreaterThan(0);
      }
    }
  });
});
