/**
 * When the receiver's ACK leaves for data that came in pushed segments, once
 * the quick ACKs of the connection's start are spent, against the real kernel
 * (test/tcp/recordings/pushed-acks.txt: Linux 6.18, a veth pair, 30 writes
 * 100 ms apart): a segment smaller than the peer's MSS, or a full one with
 * PSH, marks the ACK owed as pushed (tcp_measure_rcv_mss: ICSK_ACK_PUSHED), and
 * the application's read that empties the receive queue sends it at once
 * (__tcp_cleanup_rbuf), the exchange not being interactive; a receiver that
 * does not read leaves it to the delayed-ACK timer, 40 ms on.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ms, NS_PER_MS, s, us } from '../../src/sim/time.js';
import type { Connection } from '../../src/tcp/connection.js';
import { tcpSysctl } from '../../src/tcp/sysctl.js';
import { ipv4Address } from '../../src/wire/address.js';
import { seqDiff } from '../../src/wire/seq.js';
import { Sim } from './netsim.js';

const RECORDING = readFileSync(new URL('recordings/pushed-acks.txt', import.meta.url), 'utf8');

interface Delay {
  readonly range: string;
  /** Milliseconds from the segment to the first ACK covering it. */
  readonly ms: number;
}

function recorded(name: string): Delay[] {
  const block = RECORDING.split('\n\n').find((b) => b.startsWith(`case ${name}\n`));
  if (block === undefined) throw new Error(`pushed-acks.txt: no case ${name}`);
  return block
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => {
      const [, , range, , d] = l.split(' ');
      return { range: range!, ms: Number(d) };
    });
}

const CLIENT = ipv4Address(10, 95, 0, 1);
const SERVER = ipv4Address(10, 95, 0, 2);

const E = 0x65;
const Q = 0x71;

/**
 * The recorder's exchange on a 15 µs path, each data segment with its ACK
 * delay: 30 writes 100 ms apart, or (`echo`) 10 requests the server echoes,
 * each sent 100 ms after the previous echo, then 10 writes it only reads
 * (`quickack`: setting TCP_QUICKACK to 1 after each read).
 */
function exchange(size: number, read: boolean, echo = false, quickack = false): Delay[] {
  const sim = new Sim(1, { delay: us(15) });
  const sysctl = tcpSysctl({ tcp_congestion_control: 'reno' });
  const cli = sim.host('c', CLIENT, sysctl);
  const srv = sim.host('s', SERVER, sysctl);
  srv.listen(80);
  const serve = (c: Connection) =>
    srv.act(c, (cc, t) => {
      const d = cc.recv(t, 1 << 20);
      if (d.length === 0) return;
      if (d[0] === E) cc.send(t, d);
      else if (quickack) cc.setQuickack(t, 1);
    });
  srv.onEvent = (c, e) => {
    if (read && e.kind === 'readable') serve(c);
  };
  srv.onAccept = (c) => {
    if (read && c.readable > 0) serve(c);
  };
  const c: Connection = cli.connect({
    localPort: 40000,
    remote: { addr: SERVER, port: 80 },
    noDelay: true,
  });
  const write = (byte: number) =>
    cli.act(c, (cc, t) => cc.send(t, new Uint8Array(size).fill(byte)));
  if (!echo) {
    for (let i = 0; i < 30; i++) sim.events.schedule(ms(1) + i * ms(100), () => write(Q));
  } else {
    let echoes = 0;
    cli.onEvent = (cc, e) => {
      if (e.kind !== 'readable') return;
      cli.act(cc, (x, t) => x.recv(t, 100));
      if (++echoes < 10) sim.events.after(ms(100), () => write(E));
      else {
        for (let i = 1; i <= 10; i++) sim.events.after(i * ms(100), () => write(Q));
      }
    };
    sim.events.schedule(ms(1), () => write(E));
  }
  sim.run(s(3.5));
  const data = sim.captured.filter((x) => x.from === CLIENT && x.seg.payload.length > 0);
  const acks = sim.captured.filter((x) => x.from === SERVER);
  return data.map((d) => {
    const a = seqDiff(d.seg.seq, c.iss);
    const b = a + d.seg.payload.length;
    const ack = acks.find((x) => x.time >= d.time && seqDiff(x.seg.ack, c.iss) >= b);
    return {
      range: `${a}:${b}`,
      ms: ack === undefined ? -1 : Math.round((ack.time - d.time) / NS_PER_MS),
    };
  });
}

/** At once (under a millisecond) or delayed (40 ms, 44 at most with the timer's slack). */
function kind(d: Delay): string {
  if (d.ms === 0) return 'now';
  if (d.ms >= 40 && d.ms <= 44) return 'delayed';
  return `${d.ms} ms`;
}

describe('ACKs of pushed segments, as Linux 6.18 sends them', () => {
  for (const [name, size, read, echo, quickack] of [
    ['small-read', 10, true, false, false],
    ['small-noread', 10, false, false, false],
    ['mss-read', 1448, true, false, false],
    ['interactive', 10, true, true, false],
    ['interactive-quickack', 10, true, true, true],
  ] as const) {
    test(`${name}: ${size}-byte writes, ${read ? 'read as they come' : 'never read'}${echo ? ', after 10 echoed requests' : ''}${quickack ? ', TCP_QUICKACK after each read' : ''}`, () => {
      const real = recorded(name);
      const ours = exchange(size, read, echo, quickack);
      expect(ours.map((d) => `${d.range} ${kind(d)}`)).toEqual(
        real.map((d) => `${d.range} ${kind(d)}`),
      );
    });
  }

  test('the recording shows both: 16 quick ACKs, then a read ACKs at once where no read waits 40 ms', () => {
    expect(recorded('small-noread').map(kind).slice(15, 17)).toEqual(['now', 'delayed']);
    expect(recorded('small-read').every((d) => kind(d) === 'now')).toBe(true);
    // Interactive: the first write after the echoes waits for the timer, which
    // ends the interactive mode ("Delayed ACK missed"); TCP_QUICKACK ends it at once.
    expect(recorded('interactive').map(kind).slice(9, 12)).toEqual(['now', 'delayed', 'now']);
    expect(recorded('interactive-quickack').every((d) => kind(d) === 'now')).toBe(true);
  });
});
