/**
 * Header prediction (input.ts, Linux tcp_rcv_established's fast path) only
 * skips checks a predicted segment passes anyway: the same exchanges, with it
 * on and forced off, give the same segments at the same times, the same
 * states and every counter the same but its own (TcpExtTCPHPHits,
 * TcpExtTCPHPAcks, and TcpExtTCPPureAcks, which counts the ACKs Linux does
 * not predict). Its counters against Linux are in linux-traces.test.ts.
 */

import { afterEach, describe, expect, test } from 'vitest';
import type { LinkProperties } from '../../src/sim/link.js';
import { ms, s, type Time, us } from '../../src/sim/time.js';
import type { Connection } from '../../src/tcp/connection.js';
import { TCP_COUNTER_NAMES } from '../../src/tcp/counters.js';
import { tcpHeaderPrediction } from '../../src/tcp/input.js';
import { tcpSysctl } from '../../src/tcp/sysctl.js';
import { ipv4Address } from '../../src/wire/address.js';
import { Sim, type SimHost, startBulk } from './netsim.js';

const CLIENT_ADDR = ipv4Address(10, 0, 0, 1);
const SERVER_ADDR = ipv4Address(10, 0, 0, 2);
const HP_COUNTERS = new Set(['TcpExtTCPHPHits', 'TcpExtTCPHPAcks', 'TcpExtTCPPureAcks']);

interface Run {
  /** Every segment sent: time, direction and bytes. */
  readonly wire: string[];
  /** Both hosts' counters, header prediction's aside. */
  readonly counters: Record<string, number>;
  /** Header prediction's counters, client then server. */
  readonly hp: Record<string, number>;
  /** Every connection's state transitions. */
  readonly transitions: string[];
}

interface Scenario {
  readonly link: Partial<LinkProperties>;
  readonly sysctl?: Parameters<typeof tcpSysctl>[0];
  /** Sets the hosts up and starts the traffic; returns when to stop. */
  readonly start: (sim: Sim, client: SimHost, server: SimHost, conns: Connection[]) => Time;
}

function run(scenario: Scenario, predict: boolean): Run {
  tcpHeaderPrediction.enabled = predict;
  const sim = new Sim(11, scenario.link);
  const sysctl = tcpSysctl(scenario.sysctl);
  const client = sim.host('client', CLIENT_ADDR, sysctl);
  const server = sim.host('server', SERVER_ADDR, sysctl);
  const conns: Connection[] = [];
  server.onAccept = (c) => conns.push(c);
  const until = scenario.start(sim, client, server, conns);
  sim.run(until);
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const counters: Record<string, number> = {};
  const hp: Record<string, number> = {};
  for (const [name, host] of [
    ['client', client],
    ['server', server],
  ] as const) {
    for (const n of TCP_COUNTER_NAMES) {
      if (HP_COUNTERS.has(n)) hp[`${name} ${n}`] = host.net.counters[n];
      else counters[`${name} ${n}`] = host.net.counters[n];
    }
  }
  return {
    wire: sim.captured.map(
      (c) => `${c.time} ${c.from === CLIENT_ADDR ? '>' : '<'} ${hex(c.bytes)}`,
    ),
    counters,
    hp,
    transitions: conns.map((c) => c.transitions.map((x) => `${x.time} ${x.to}`).join(',')),
  };
}

/** Runs `scenario` both ways, checks they agree; returns the run with prediction. */
function sameBothWays(scenario: Scenario): Run {
  const fast = run(scenario, true);
  const slow = run(scenario, false);
  expect(fast.wire.length).toBeGreaterThan(0);
  expect(fast.wire).toEqual(slow.wire);
  expect(fast.counters).toEqual(slow.counters);
  expect(fast.transitions).toEqual(slow.transitions);
  // Without prediction nothing is predicted.
  expect(slow.hp['client TcpExtTCPHPHits']! + slow.hp['server TcpExtTCPHPHits']!).toBe(0);
  expect(slow.hp['client TcpExtTCPHPAcks']! + slow.hp['server TcpExtTCPHPAcks']!).toBe(0);
  return fast;
}

/** Request/response connections one after another; each side reads at once. */
function requestResponse(count: number, size: number, readDelay: Time): Scenario['start'] {
  return (sim, client, server, conns) => {
    server.listen(80);
    server.onEvent = (c, e) => {
      if (e.kind === 'readable') {
        sim.events.after(readDelay, () =>
          server.act(c, (cc, t) => {
            const d = cc.recv(t);
            if (d.length > 0) cc.send(t, new Uint8Array(size).fill(d[0]!));
          }),
        );
      }
      if (e.kind === 'eof') server.act(c, (cc, t) => cc.close(t));
    };
    client.onEvent = (c, e) => {
      if (e.kind === 'connected')
        client.act(c, (cc, t) => cc.send(t, new Uint8Array(size).fill(1)));
      if (e.kind === 'readable') {
        client.act(c, (cc, t) => {
          cc.recv(t);
          cc.close(t);
        });
      }
    };
    for (let i = 0; i < count; i++) {
      sim.events.schedule(ms(10 * i), () => {
        conns.push(
          client.connect({ localPort: 40000 + i, remote: { addr: SERVER_ADDR, port: 80 } }),
        );
      });
    }
    return s(200);
  };
}

/**
 * The client sends `total` bytes in writes of 64 KiB; the server reads 16 KiB
 * every `readEvery` (a slow reader fills its window and reopens it).
 */
function bulk(total: number, readEvery: Time): Scenario['start'] {
  return (sim, client, server, conns) => {
    conns.push(startBulk(sim, client, server, SERVER_ADDR, total, readEvery, (c) => conns.push(c)));
    return s(120);
  };
}

afterEach(() => {
  tcpHeaderPrediction.enabled = true;
});

describe('header prediction: the fast path ends where the slow path would', () => {
  test('request/response lifecycles: pure ACKs predicted; the same segments and counters', () => {
    const r = sameBothWays({
      link: { delay: us(50) },
      start: requestResponse(20, 100, us(100)),
    });
    expect(r.hp['server TcpExtTCPHPAcks']).toBeGreaterThan(0);
  });

  test('20 kB requests and replies, read 5 ms late: data predicted (hits) too', () => {
    const r = sameBothWays({
      link: { delay: ms(1), bandwidth: 100e6 },
      start: requestResponse(10, 20000, ms(5)),
    });
    expect(r.hp['server TcpExtTCPHPHits']).toBeGreaterThan(0);
  });

  test('bulk over a lossy, reordering, duplicating link: SACK recovery, out-of-order data, D-SACKs', () => {
    const r = sameBothWays({
      link: {
        delay: ms(2),
        bandwidth: 50e6,
        queueLimit: 40,
        loss: 0.01,
        reorder: 0.01,
        reorderDelay: ms(1),
        duplicate: 0.005,
      },
      start: bulk(3 << 20, ms(1)),
    });
    expect(r.counters['server TcpExtTCPOFOQueue']).toBeGreaterThan(0);
    expect(r.counters['client TcpExtTCPSackRecovery']).toBeGreaterThan(0);
    expect(r.hp['server TcpExtTCPHPHits']).toBeGreaterThan(0);
    expect(r.hp['client TcpExtTCPHPAcks']).toBeGreaterThan(0);
  });

  test('bulk to a reader that stalls: a window that stops and moves again', () => {
    const r = sameBothWays({
      link: { delay: ms(1), bandwidth: 100e6 },
      start: bulk(2 << 20, ms(50)),
    });
    // The window would close (it does not shrink: tcp_shrink_window 0).
    expect(r.counters['server TcpExtTCPWantZeroWindowAdv']).toBeGreaterThan(0);
    expect(r.hp['server TcpExtTCPHPHits']).toBeGreaterThan(0);
  });

  test('without timestamps or SACK (a 20-byte header predicted): the same', () => {
    const r = sameBothWays({
      link: { delay: ms(2), bandwidth: 50e6, queueLimit: 40, loss: 0.01 },
      sysctl: { tcp_timestamps: 0, tcp_sack: 0 },
      start: bulk(2 << 20, ms(1)),
    });
    expect(r.counters['client TcpExtTCPRenoRecovery']).toBeGreaterThan(0);
    expect(r.hp['client TcpExtTCPHPAcks']).toBeGreaterThan(0);
  });
});
