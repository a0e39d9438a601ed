/**
 * Properties (fast-check, seeded): data crosses any bad network complete and in
 * order; hostile segments never make the engine throw or break its invariants;
 * the same seed gives the same bytes on the wire.
 */

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ms, s, type Time } from '../../src/sim/time.js';
import type { Connection } from '../../src/tcp/connection.js';
import { TCP_STATES } from '../../src/tcp/state.js';
import { type TcpSysctl, tcpSysctl } from '../../src/tcp/sysctl.js';
import { TIMER_KINDS } from '../../src/tcp/timers.js';
import { ipv4Address } from '../../src/wire/address.js';
import { seqAdd, seqDiff, seqLe } from '../../src/wire/seq.js';
import { ACK, FIN, PSH, RST, SYN, type TcpSegment, URG } from '../../src/wire/tcp.js';
import type { TcpOption } from '../../src/wire/tcp-options.js';
import { closeWait, established, finWait1, synRecvPassive, synSent, timeWait } from './fixtures.js';
import { IRS, ISS, PEER_TS, Tester } from './harness.js';
import { Sim } from './netsim.js';

const RUNS = { seed: 20250601, numRuns: 60 } as const;

interface TransferResult {
  readonly clientGot: Uint8Array;
  readonly serverGot: Uint8Array;
  readonly client: Connection;
  readonly server: Connection | undefined;
  readonly sim: Sim;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * The client writes `up` in chunks of `chunk` bytes and shuts down; the server
 * reads in chunks of `readChunk`, writes `down` back, and closes on EOF.
 */
function transfer(
  seed: number,
  props: { loss: number; duplicate: number; reorder: number },
  up: Uint8Array,
  down: Uint8Array,
  chunk: number,
  readChunk: number,
  sysctl?: TcpSysctl,
): TransferResult {
  const sim = new Sim(seed, {
    delay: ms(5),
    jitter: ms(1),
    bandwidth: 50e6,
    loss: props.loss,
    duplicate: props.duplicate,
    reorder: props.reorder,
    reorderDelay: ms(4),
  });
  const a = sim.host('client', ipv4Address(10, 0, 0, 1), sysctl);
  const b = sim.host('server', ipv4Address(10, 0, 0, 2), sysctl);
  b.listen(80);
  const serverGot: Uint8Array[] = [];
  const clientGot: Uint8Array[] = [];
  let server: Connection | undefined;
  let upOff = 0;
  let downOff = 0;
  const pump = (
    host: typeof a,
    c: Connection,
    data: Uint8Array,
    off: () => number,
    adv: (n: number) => void,
  ) =>
    host.act(c, (cc, t) => {
      while (off() < data.length) {
        const n = cc.send(t, data.subarray(off(), Math.min(data.length, off() + chunk)));
        if (typeof n !== 'number' || n === 0) break;
        adv(n);
      }
      if (off() === data.length && !cc.sendShutdown && (host === a || cc.eof)) cc.shutdown(t);
    });
  const serverPump = (c: Connection) =>
    pump(
      b,
      c,
      down,
      () => downOff,
      (n) => {
        downOff += n;
      },
    );
  b.onAccept = (c) => {
    server = c;
    serverPump(c);
  };
  b.onEvent = (c, e) => {
    if (e.kind === 'readable' || e.kind === 'eof') {
      b.act(c, (cc, t) => {
        for (let d = cc.recv(t, readChunk); d.length > 0; d = cc.recv(t, readChunk))
          serverGot.push(d);
      });
    }
    if (e.kind === 'writable' || e.kind === 'eof' || e.kind === 'connected') serverPump(c);
  };
  let client: Connection | undefined;
  const clientPump = () =>
    pump(
      a,
      client!,
      up,
      () => upOff,
      (n) => {
        upOff += n;
      },
    );
  a.onEvent = (c, e) => {
    if (e.kind === 'readable' || e.kind === 'eof') {
      a.act(c, (cc, t) => {
        for (let d = cc.recv(t); d.length > 0; d = cc.recv(t)) clientGot.push(d);
        if (cc.eof) cc.close(t);
      });
    }
    if (e.kind === 'connected' || e.kind === 'writable') clientPump();
  };
  client = a.connect({ localPort: 40001, remote: { addr: b.addr, port: 80 } });
  sim.events.runUntil(s(4000));
  return { clientGot: concat(clientGot), serverGot: concat(serverGot), client, server, sim };
}

const faults = fc.record({
  loss: fc.double({ min: 0, max: 0.3, noNaN: true }),
  duplicate: fc.double({ min: 0, max: 0.3, noNaN: true }),
  reorder: fc.double({ min: 0, max: 0.3, noNaN: true }),
});

describe('transfer over a bad network (fast-check, seeded)', () => {
  test('with up to 30% loss, duplication and reordering, both directions arrive complete and in order', () => {
    const sizes: number[] = [];
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        faults,
        fc.uint8Array({ minLength: 0, maxLength: 40_000, size: 'max' }),
        fc.uint8Array({ minLength: 0, maxLength: 5_000, size: 'max' }),
        fc.integer({ min: 1, max: 9000 }),
        fc.integer({ min: 1, max: 9000 }),
        (seed, props, up, down, chunk, readChunk) => {
          const r = transfer(seed, props, up, down, chunk, readChunk);
          sizes.push(up.length);
          expect(r.serverGot).toEqual(up);
          expect(r.clientGot).toEqual(down);
          expect(r.client.error).toBeUndefined();
          expect(r.client.state).toBe('CLOSE');
          expect(r.server?.state).toBe('CLOSE');
        },
      ),
      RUNS,
    );
    // The generator did produce real transfers, not only tiny ones.
    expect(Math.max(...sizes)).toBeGreaterThan(20_000);
  });

  test('with SACK (RACK, RFC 6675 with tcp_recovery=0, Reno or CUBIC) over heavy reordering and loss, both directions arrive complete; SACK recovery ran', () => {
    const counts = { sackRecovery: 0, reorder: 0, fastRetrans: 0 };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.record({
          loss: fc.double({ min: 0, max: 0.2, noNaN: true }),
          duplicate: fc.double({ min: 0, max: 0.1, noNaN: true }),
          reorder: fc.double({ min: 0, max: 0.5, noNaN: true }),
        }),
        fc.uint8Array({ minLength: 10_000, maxLength: 60_000, size: 'max' }),
        fc.constantFrom(0, 1),
        fc.constantFrom('cubic', 'reno'),
        (seed, props, up, recovery, cc) => {
          const sysctl = tcpSysctl({
            tcp_sack: 1,
            tcp_recovery: recovery,
            tcp_congestion_control: cc,
          });
          const r = transfer(seed, props, up, new Uint8Array(1000), 8000, 4000, sysctl);
          expect(r.client.sackOk).toBe(true);
          expect(r.serverGot).toEqual(up);
          expect(r.client.error).toBeUndefined();
          expect(r.client.state).toBe('CLOSE');
          const c = r.client.net.counters;
          counts.sackRecovery += c.TcpExtTCPSackRecovery;
          counts.reorder += c.TcpExtTCPSACKReorder;
          counts.fastRetrans += c.TcpExtTCPFastRetrans;
        },
      ),
      { seed: 20251121, numRuns: 40 },
    );
    // The runs did exercise SACK recovery and reordering detection.
    expect(counts.sackRecovery).toBeGreaterThan(10);
    expect(counts.reorder).toBeGreaterThan(0);
    expect(counts.fastRetrans).toBeGreaterThan(10);
  });

  test('the same seed gives the same bytes on the wire; another seed other ISNs', () => {
    const props = { loss: 0.2, duplicate: 0.1, reorder: 0.1 };
    const up = new Uint8Array(20_000).map((_, i) => i * 31);
    const wire = (seed: number) =>
      transfer(seed, props, up, new Uint8Array(100), 3000, 1000).sim.captured;
    const x = wire(42);
    const y = wire(42);
    expect(x.length).toBeGreaterThan(20);
    expect(y.map((c) => [c.time, Array.from(c.bytes)])).toEqual(
      x.map((c) => [c.time, Array.from(c.bytes)]),
    );
    const z = wire(43);
    expect(z[0]!.seg.seq).not.toBe(x[0]!.seg.seq);
  });
});

// ---- Hostile segments. ----

/** An offset from where the connection expects something: mostly near it, sometimes anywhere. */
const offset = fc.oneof(
  fc.integer({ min: -70_000, max: 70_000 }),
  fc.integer({ min: -3, max: 3 }),
  fc.integer({ min: 0, max: 2 ** 32 - 1 }),
);

const option: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.constant<TcpOption>({ kind: 'nop' }),
  fc.integer({ min: 0, max: 65535 }).map((mss): TcpOption => ({ kind: 'mss', mss })),
  fc.integer({ min: 0, max: 255 }).map((shift): TcpOption => ({ kind: 'wscale', shift })),
  fc.constant<TcpOption>({ kind: 'sackPermitted' }),
  fc
    .tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }))
    .map(([tsVal, tsEcr]): TcpOption => ({ kind: 'timestamps', tsVal, tsEcr })),
  fc.tuple(fc.integer({ min: -5000, max: 80_000 }), fc.integer({ min: 0, max: 80_000 })).map(
    ([l, n]): TcpOption => ({
      kind: 'sack',
      blocks: [{ left: seqAdd(ISS, l), right: seqAdd(ISS, l + n) }],
    }),
  ),
);

/** A segment from the peer: anything, but mostly near the connection's sequence space. */
const hostileSegment = fc.record({
  seqOff: offset,
  ackOff: offset,
  flags: fc.oneof(
    fc.constantFrom(ACK, ACK | PSH, ACK | FIN, RST, RST | ACK, SYN, SYN | ACK, FIN, ACK | URG),
    fc.integer({ min: 0, max: 0x1ff }),
  ),
  window: fc.integer({ min: 0, max: 65535 }),
  options: fc.array(option, { maxLength: 4 }),
  payloadLength: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3000 })),
  tsFresh: fc.boolean(),
});

type HostileSegment = typeof hostileSegment extends fc.Arbitrary<infer T> ? T : never;
type AppCall = 'send' | 'recv' | 'close' | 'shutdown' | 'abort';
type Step =
  | { kind: 'segment'; gap: number; seg: HostileSegment }
  | { kind: 'app'; gap: number; what: AppCall; n: number };

/** A step: a segment after a gap (up to 3 s, so timers run in between), or an application call. */
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('segment' as const),
      gap: fc.integer({ min: 0, max: 3_000_000_000 }),
      seg: hostileSegment,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('app' as const),
      gap: fc.integer({ min: 0, max: 500_000_000 }),
      what: fc.constantFrom<AppCall>('send', 'recv', 'close', 'shutdown', 'abort'),
      n: fc.integer({ min: 0, max: 100_000 }),
    }),
  },
);

/** Everything that must hold of a connection between calls. */
function checkInvariants(c: Connection, now: Time): void {
  expect(TCP_STATES).toContain(c.state);
  expect(seqLe(c.sndUna, c.sndNxt)).toBe(true);
  expect(seqLe(c.sndNxt, c.writeSeq)).toBe(true);
  expect(c.rcvQueue.length + c.ofoQueue.bytes).toBeLessThanOrEqual(c.rcvBuf);
  expect(c.sendBuffer.length).toBeLessThanOrEqual(c.net.sysctl.tcp_wmem[2]);
  expect(c.selectiveAcks.length).toBeLessThanOrEqual(4);
  expect(c.rtxQueue.length).toBeLessThanOrEqual(Math.ceil(seqDiff(c.sndNxt, c.sndUna) + 2));
  for (let i = 1; i < c.rtxQueue.length; i++)
    expect(c.rtxQueue.at(i).seq).toBe(c.rtxQueue.at(i - 1).end);
  expect(c.lostOut).toBeGreaterThanOrEqual(0);
  expect(c.retransOut).toBeGreaterThanOrEqual(0);
  expect(c.sackedOut).toBeGreaterThanOrEqual(0);
  // The scoreboard's counts are its marks (tcp_verify_left_out).
  const q = c.rtxQueue.toArray();
  expect(c.lostOut).toBe(q.filter((x) => x.lost).length);
  expect(c.retransOut).toBe(q.filter((x) => x.retrans).length);
  if (c.sackOk) expect(c.sackedOut).toBe(q.filter((x) => x.sacked).length);
  else expect(q.some((x) => x.sacked)).toBe(false);
  expect(c.lostOut).toBeLessThanOrEqual(c.rtxQueue.length);
  expect(c.cwnd).toBeGreaterThanOrEqual(1);
  expect(c.rto).toBeGreaterThan(0);
  expect(c.rto).toBeLessThanOrEqual(120 * 250);
  for (const k of TIMER_KINDS) {
    const d = c.timers[k];
    if (d !== undefined) expect(d).toBeGreaterThan(now);
  }
  if (c.state === 'CLOSE') expect(c.nextDeadline()).toBeUndefined();
  expect(c.net.counters.TcpCurrEstab).toBeGreaterThanOrEqual(0);
  expect(c.net.counters.TcpCurrEstab).toBeLessThanOrEqual(1);
}

const FIXTURES: Record<string, () => Tester> = {
  SYN_SENT: () => synSent(),
  'SYN_RECV (passive)': () => synRecvPassive(),
  ESTABLISHED: () => established(),
  FIN_WAIT1: () => finWait1(),
  CLOSE_WAIT: () => closeWait(),
  TIME_WAIT: () => timeWait(),
};

describe('hostile segments (fast-check, seeded)', () => {
  for (const [name, fixture] of Object.entries(FIXTURES)) {
    test(`${name}: random segments and calls never throw and keep the invariants`, () => {
      fc.assert(
        fc.property(fc.array(step, { minLength: 1, maxLength: 60, size: 'max' }), (steps) => {
          // A passive SYN_RECV is a request sock of the listener until the
          // final ACK makes its connection: the Tester routes segments and
          // timers to whichever there is.
          const t = fixture();
          const first = t.conn ?? t.req;
          const { irs, iss } = first;
          const passive = t.listener !== undefined;
          const check = (at: Time) => {
            if (t.conn !== undefined) checkInvariants(t.conn, at);
            else expect(t.listener!.synQueue.size).toBeLessThanOrEqual(1);
          };
          let now = t.now;
          let peerTs = PEER_TS + 10_000;
          for (const st of steps) {
            now += st.gap;
            // Timers first, as a driver would run them.
            for (let d = t.nextDeadline(); d !== undefined && d <= now; d = t.nextDeadline()) {
              t.handleTimeout(d);
              check(d);
            }
            if (st.kind === 'segment') {
              const g = st.seg;
              peerTs += 1;
              const options = g.tsFresh
                ? [
                    ...g.options.filter((o) => o.kind !== 'timestamps'),
                    { kind: 'timestamps' as const, tsVal: peerTs, tsEcr: 0 },
                  ].slice(0, 4)
                : g.options;
              const seg: TcpSegment = {
                // From the peer: the server for an active open, the client for a passive one.
                srcPort: passive ? 40001 : 80,
                dstPort: passive ? 80 : 40001,
                // Relative to the peer's ISN (RCV side) and ours (SND side) +1.
                seq: seqAdd(irs, 1 + g.seqOff),
                ack: seqAdd(iss, 1 + g.ackOff),
                flags: g.flags,
                window: g.window,
                urgentPointer: 0,
                options,
                payload: new Uint8Array(g.payloadLength).fill(7),
              };
              t.deliver(now, seg);
            } else {
              // The application has no socket before the handshake completes.
              const c = t.conn;
              const data = new Uint8Array(st.n).fill(1);
              if (c === undefined) {
                // Nothing to call.
              } else if (st.what === 'send') c.send(now, data);
              else if (st.what === 'recv') c.recv(now, st.n);
              else if (st.what === 'close') c.close(now);
              else if (st.what === 'shutdown') c.shutdown(now);
              else c.abort(now);
            }
            let out = 0;
            const l = t.listener;
            if (l !== undefined) while (l.pollTransmit()) out++;
            const c = t.conn;
            if (c !== undefined) {
              while (c.pollTransmit()) out++;
              while (c.pollEvent());
            }
            // One input never makes a flood.
            expect(out).toBeLessThanOrEqual(64);
            check(now);
          }
        }),
        { ...RUNS, numRuns: 150 },
      );
    });
  }
});

describe('a listener under hostile segments (fast-check, seeded)', () => {
  test('never throws; its SYN queue stays within backlog + 1; every child answers sanely', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 7 }),
            fc.integer({ min: 40000, max: 40003 }),
            hostileSegment,
          ),
          {
            maxLength: 80,
            size: 'max',
          },
        ),
        (steps) => {
          const t = new Tester();
          const l = t.listen(2);
          let now = 0;
          for (const [host, port, g] of steps) {
            now += 1_000_000;
            const remote = { addr: ipv4Address(10, 0, 0, host), port };
            const seg: TcpSegment = {
              srcPort: port,
              dstPort: 80,
              seq: seqAdd(IRS, g.seqOff),
              ack: seqAdd(ISS, g.ackOff),
              flags: g.flags,
              window: g.window,
              urgentPointer: 0,
              options: g.options,
              payload: new Uint8Array(g.payloadLength),
            };
            const v = l.handleSegment(now, seg, remote, ipv4Address(10, 0, 0, 100));
            while (l.pollTransmit());
            if ('child' in v) {
              while (v.child.pollTransmit());
              checkInvariants(v.child, now);
            }
            // inet_csk_reqsk_queue_is_full tests `>`: backlog + 1 requests.
            expect(l.synQueue.size).toBeLessThanOrEqual(3);
            expect(l.acceptQueue.length).toBeLessThanOrEqual(3);
          }
        },
      ),
      RUNS,
    );
  });
});
