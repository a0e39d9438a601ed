/**
 * The SACK cache (sack.ts, Linux recv_sack_cache) only lets the SACK tagging
 * and RACK's loss scan jump over segments they would pass anyway: the same
 * lossy transfers, with it on and off, give the same segments at the same
 * times and the same counters.
 */

import { afterEach, describe, expect, test } from 'vitest';
import type { LinkProperties } from '../../src/sim/link.js';
import { ms, s } from '../../src/sim/time.js';
import { TCP_COUNTER_NAMES } from '../../src/tcp/counters.js';
import { tcpSackCache } from '../../src/tcp/sack.js';
import { tcpSysctl } from '../../src/tcp/sysctl.js';
import { ipv4Address } from '../../src/wire/address.js';
import { Sim, startBulk } from './netsim.js';

const CLIENT_ADDR = ipv4Address(10, 0, 0, 1);
const SERVER_ADDR = ipv4Address(10, 0, 0, 2);

/** `total` bytes from client to server over `link`, the server reading 16 KiB every millisecond. */
function bulk(link: Partial<LinkProperties>, total: number, cache: boolean) {
  tcpSackCache.enabled = cache;
  const hitsBefore = tcpSackCache.hits;
  const sim = new Sim(7, link);
  const sysctl = tcpSysctl();
  const client = sim.host('client', CLIENT_ADDR, sysctl);
  const server = sim.host('server', SERVER_ADDR, sysctl);
  startBulk(sim, client, server, SERVER_ADDR, total, ms(1));
  sim.run(s(120));
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const counters: Record<string, number> = {};
  for (const n of TCP_COUNTER_NAMES) {
    counters[`client ${n}`] = client.net.counters[n];
    counters[`server ${n}`] = server.net.counters[n];
  }
  return {
    wire: sim.captured.map(
      (c) => `${c.time} ${c.from === CLIENT_ADDR ? '>' : '<'} ${hex(c.bytes)}`,
    ),
    counters,
    hits: tcpSackCache.hits - hitsBefore,
  };
}

afterEach(() => {
  tcpSackCache.enabled = true;
});

describe('the SACK cache: the walks it shortens end where they would without it', () => {
  test.each([
    ['loss', { delay: ms(2), bandwidth: 50e6, queueLimit: 40, loss: 0.02 }],
    [
      'loss, reordering and duplicates',
      {
        delay: ms(2),
        bandwidth: 50e6,
        queueLimit: 40,
        loss: 0.01,
        reorder: 0.02,
        reorderDelay: ms(1),
        duplicate: 0.005,
      },
    ],
    ['a queue that overflows', { delay: ms(5), bandwidth: 20e6, queueLimit: 20 }],
  ] as const)('bulk over a link with %s: the same segments and counters', (_, link) => {
    const on = bulk(link, 3 << 20, true);
    const off = bulk(link, 3 << 20, false);
    expect(on.hits).toBeGreaterThan(0);
    expect(off.hits).toBe(0);
    expect(on.counters['client TcpExtTCPSackRecovery']).toBeGreaterThan(0);
    expect(on.wire.length).toBeGreaterThan(1000);
    expect(on.wire).toEqual(off.wire);
    expect(on.counters).toEqual(off.counters);
  });
});
