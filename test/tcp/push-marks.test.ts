/**
 * The first flight of a large write, against the real kernel
 * (test/tcp/recordings/push-marks.txt: Linux 6.18, reno, a veth pair, a
 * writer of 64 KiB non-blocking writes): each transmission is half the initial
 * window (tcp_cwnd_test) and ends with PSH (__tcp_transmit_skb), so the first
 * two PSH marks fall at 5 and 10 segments with the default initial window, at
 * 10 and 20 with the route's `initcwnd 20`. (What follows depends on when the
 * veth's ACKs reached the writer, which a simulated path does not reproduce.)
 */

import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { s, us } from '../../src/sim/time.js';
import type { Connection } from '../../src/tcp/connection.js';
import { tcpSysctl } from '../../src/tcp/sysctl.js';
import { ipv4Address } from '../../src/wire/address.js';
import { seqDiff } from '../../src/wire/seq.js';
import { PSH } from '../../src/wire/tcp.js';
import { Sim } from './netsim.js';

const RECORDING = readFileSync(new URL('recordings/push-marks.txt', import.meta.url), 'utf8');

/** The recording's cases: the writes, the PSH ranges (1-based, as tcpdump prints them). */
function recorded(name: string): { writes: number[]; marks: string[] } {
  const block = RECORDING.split('\n\n').find((b) => b.startsWith(`case ${name}\n`));
  if (block === undefined) throw new Error(`push-marks.txt: no case ${name}`);
  const lines = block.trim().split('\n');
  const writes = lines[1]!.split(' ').slice(1).map(Number);
  const marks = lines.filter((l) => l.startsWith('P ')).map((l) => l.slice(2));
  return { writes, marks };
}

const CLIENT = ipv4Address(10, 96, 0, 1);
const SERVER = ipv4Address(10, 96, 0, 2);

/**
 * The recorder's writer on a 15 µs path: 64 KiB writes of a 200000-byte buffer
 * to a server that never reads, each transmission's data segments as
 * tcpdump's relative ranges, `first:last+1` per transmission (a run of
 * segments sent at one instant up to one with PSH).
 */
function transmissions(initCwnd?: number): { marks: string[]; writes: number[] } {
  const sim = new Sim(1, { delay: us(15) });
  const sysctl = tcpSysctl({
    tcp_rmem: [4096, 131072, 33554432],
    tcp_congestion_control: 'reno',
  });
  const cli = sim.host('c', CLIENT, sysctl);
  const srv = sim.host('s', SERVER, sysctl);
  srv.listen(80);
  let off = 0;
  const writes: number[] = [];
  const write = (c: Connection) =>
    cli.act(c, (cc, t) => {
      while (off < 200_000) {
        const n = cc.send(t, new Uint8Array(Math.min(65536, 200_000 - off)));
        if (typeof n !== 'number' || n === 0) break;
        writes.push(n);
        off += n;
      }
    });
  cli.onEvent = (c, e) => {
    if (e.kind === 'connected' || e.kind === 'writable') write(c);
  };
  const c = cli.connect({ localPort: 40000, remote: { addr: SERVER, port: 80 }, initCwnd });
  sim.run(s(1));
  const marks: string[] = [];
  let from: number | undefined;
  for (const x of sim.captured) {
    if (x.from !== CLIENT || x.seg.payload.length === 0) continue;
    const start = seqDiff(x.seg.seq, c.iss);
    from ??= start;
    if (x.seg.flags & PSH) {
      marks.push(`${from}:${start + x.seg.payload.length}`);
      from = undefined;
    }
  }
  return { marks, writes };
}

describe('the first flight, as Linux 6.18 sent it (recordings/push-marks.txt)', () => {
  test('initial window 10: transmissions of 5 segments, PSH on each (cases on and off)', () => {
    const ours = transmissions().marks.slice(0, 2);
    expect(ours).toEqual(recorded('on').marks.slice(0, 2));
    // Offloads off, the same transmissions cut into segments by GSO: PSH on each fifth.
    expect(recorded('off').marks.slice(0, 2)).toEqual(['5793:7241', '13033:14481']);
  });

  test('the route’s initcwnd 20: transmissions of 10 (case icw20)', () => {
    expect(transmissions(20).marks.slice(0, 2)).toEqual(recorded('icw20').marks.slice(0, 2));
  });

  test('the first write is what the send buffer takes, as the kernel took it', () => {
    // tcp_wmem[1] 16384 grown at establishment (tcp_sndbuf_expand) to 46080:
    // the first write stops at the skb that reaches it.
    expect(transmissions().writes[0]).toBe(recorded('on').writes[0]);
    expect(transmissions(20).writes[0]).toBe(recorded('icw20').writes[0]);
  });
});
