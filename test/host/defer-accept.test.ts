/**
 * TCP_DEFER_ACCEPT, against the real kernel (test/tcp/recordings/
 * defer-accept.txt: Linux 6.18, a veth pair, a listener with
 * TCP_DEFER_ACCEPT 5): the value becomes SYN-ACK timeouts (secs_to_retrans: 3,
 * read back as 7 s); the client's ACK without data is dropped
 * (TcpExtTCPDeferAcceptDrop) and the request stays in SYN-RECV with no
 * SYN-ACK retransmission until the last timeout of the period (syn_ack_recalc:
 * at 1 + 2 + 4 = 7 s), whose SYN-ACK the client answers: that ACK makes the
 * connection; data, when it comes first, makes it at once.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { retransToSecs, SocketError, secsToRetrans } from '../../src/host/socket.js';
import { ms, NS_PER_S, s, type Time } from '../../src/sim/time.js';
import { ETHERTYPE_IPV4, parseEthernet } from '../../src/wire/ethernet.js';
import { IPPROTO_TCP, ipv4PseudoHeader, parseIpv4 } from '../../src/wire/ipv4.js';
import { type Seq, seq, seqDiff } from '../../src/wire/seq.js';
import { ACK, FIN, PSH, parseTcp, RST, SYN, type TcpSegment } from '../../src/wire/tcp.js';
import { CLIENT_IP, lan, SERVER_IP, value } from './helpers.js';

const RECORDING = readFileSync(
  new URL('../tcp/recordings/defer-accept.txt', import.meta.url),
  'utf8',
);

function recorded(name: string): string[] {
  const block = RECORDING.split('\n\n').find((b) => b.startsWith(`case ${name}\n`));
  if (block === undefined) throw new Error(`defer-accept.txt: no case ${name}`);
  return block.trim().split('\n').slice(1);
}

function flagsText(f: number): string {
  let t = '';
  if (f & FIN) t += 'F';
  if (f & SYN) t += 'S';
  if (f & RST) t += 'R';
  if (f & PSH) t += 'P';
  return f & ACK ? `${t}.` : t;
}

/** The recorder's case on the simulated pair: its lines, as it prints them. */
function play(name: 'silent' | 'late-data'): string[] {
  const e = lan({ seed: 3 });
  for (const h of [e.client, e.server]) h.sysctl.set('net.ipv4.tcp_rmem', [4096, 131072, 33554432]);
  const so = e.server.sockets;
  const l = so.socket();
  value(so.setsockopt(l, 'SO_REUSEADDR', 1));
  value(so.setsockopt(l, 'TCP_DEFER_ACCEPT', 5));
  const out = [`getsockopt TCP_DEFER_ACCEPT ${value(so.getsockopt(l, 'TCP_DEFER_ACCEPT'))}`];
  value(so.bind(l, 0, 80));
  value(so.listen(l, 4));
  value(so.setNonBlocking(l, true));
  const listenAt = e.net.now;
  e.net.runFor(ms(300));
  const synAt = e.net.now;
  const c = e.client.sockets.socket();
  e.client.sockets.connect(c, SERVER_IP, 80);
  e.net.runFor(ms(500));
  out.push(`SYN-RECV at 0.5 s: ${so.file(l)?.listenSock?.listener.synQueue.size ?? 0}`);
  let acceptedAt: Time | undefined;
  let wrote = false;
  while (acceptedAt === undefined && e.net.now - synAt < s(25)) {
    if (name === 'late-data' && !wrote && e.net.now - synAt >= s(2)) {
      value(e.client.sockets.write(c, new TextEncoder().encode('hello\n')));
      wrote = true;
    }
    const a = so.accept(l);
    if (!(a instanceof SocketError)) acceptedAt = e.net.now;
    else e.net.runFor(ms(10));
  }
  out.push(`accept after ${((acceptedAt! - listenAt) / NS_PER_S).toFixed(1)} s`);
  out.push(`TcpExtTCPDeferAcceptDrop ${e.server.tcp.net.counters.TcpExtTCPDeferAcceptDrop}`);
  // The packets of the handshake and what follows, tcpdump's way.
  let cIsn: Seq = seq(0);
  let sIsn: Seq = seq(0);
  for (const p of e.wire) {
    const f = parseEthernet(p.frame);
    if (!f.ok || f.value.ethertype !== ETHERTYPE_IPV4) continue;
    const ip = parseIpv4(f.value.payload);
    if (!ip.ok || ip.value.protocol !== IPPROTO_TCP) continue;
    const parsed = parseTcp(ip.value.payload, ipv4PseudoHeader(ip.value), { options: 'linux' });
    if (!parsed.ok) continue;
    const seg: TcpSegment = parsed.value;
    const fromClient = ip.value.src === CLIENT_IP;
    if (seg.flags & SYN) {
      if (fromClient) cIsn = seg.seq;
      else sIsn = seg.seq;
    }
    const own = fromClient ? cIsn : sIsn;
    const peer = fromClient ? sIsn : cIsn;
    const parts: string[] = [];
    const len = seg.payload.length;
    if (seg.flags & SYN) parts.push('seq');
    else if (len > 0) parts.push(`seq ${seqDiff(seg.seq, own)}:${seqDiff(seg.seq, own) + len}`);
    else if (seg.flags & FIN) parts.push(`seq ${seqDiff(seg.seq, own)}`);
    if (seg.flags & ACK) parts.push(seg.flags & SYN ? 'ack' : `ack ${seqDiff(seg.ack, peer)}`);
    parts.push(`win ${seg.window}`, `length ${len}${len > 0 ? ': HTTP' : ''}`);
    const who = fromClient ? 'client > server' : 'server > client';
    out.push(
      `${((p.time - synAt) / NS_PER_S).toFixed(1)} ${who}: Flags [${flagsText(seg.flags)}], ${parts.join(', ')}`,
    );
  }
  return out;
}

/**
 * Times to compare: the SYN-ACK of the deferring's end leaves 7 s after the
 * SYN plus the timers' slack (7.0 to 7.2 s in three recordings; tcplab's
 * timer wheel gives 7.1), so 7.0..7.3 reads as `7.x`; accept() returns then (or
 * when the data comes), a moment after.
 */
function comparable(lines: string[]): string[] {
  return lines
    .filter((l) => !l.startsWith('read ') && !/^2[0-9]\.\d /.test(l))
    .map((l) => l.replace(/^7\.[0-3] /, '7.x '))
    .map((l) =>
      l.replace(/^accept after (\d+\.\d) s$/, (_, t) => `accept after ${Math.round(Number(t))} s`),
    );
}

describe('TCP_DEFER_ACCEPT as Linux 6.18 does it', () => {
  for (const name of ['silent', 'late-data'] as const) {
    test(name, () => {
      // (The client closes after 20 s in the recording; the simulated one does not.)
      expect(comparable(play(name))).toEqual(comparable(recorded(name)));
    });
  }

  test('secs_to_retrans and retrans_to_secs: seconds to SYN-ACK timeouts and back', () => {
    expect([0, -3, 1, 2, 3, 4, 5, 7, 8, 60, 1e9].map((x) => secsToRetrans(x, 1, 120))).toEqual([
      0, 0, 1, 2, 2, 3, 3, 3, 4, 6, 255,
    ]);
    expect([0, 1, 2, 3, 4, 6].map((r) => retransToSecs(r, 1, 120))).toEqual([0, 1, 3, 7, 15, 63]);
  });
});
