/**
 * The delivery rate estimator (Linux tcp_rate.c) and the pacing rate
 * (tcp_update_pacing_rate), on the fixtures' connection: SYN at 0, SYN-ACK at
 * 10 ms (SRTT 10 ms), MSS 1448. What `ss -i` shows as delivery_rate,
 * app_limited and pacing_rate.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ms, s } from '../../src/sim/time.js';
import { tcpDeliveryRate, tcpUpdatePacingRate } from '../../src/tcp/rate.js';
import { tcpSysctl } from '../../src/tcp/sysctl.js';
import { seqAdd } from '../../src/wire/seq.js';
import { established, fromServer } from './fixtures.js';
import { ISS, ourTs, PEER_TS } from './harness.js';

const MSS = 1448;

/** tcp_update_pacing_rate's figure, bytes per second. */
function pacing(mss: number, ratio: number, cwnd: number, srtt8Us: number): number {
  return Math.floor((mss * 80_000 * ratio * cwnd) / srtt8Us);
}

describe('delivery rate (tcp_rate.c)', () => {
  test('the handshake is the first sample: the SYN delivered in one RTT, app-limited', () => {
    const t = established();
    // A new socket's app_limited is ~0U ("a bubble in the pipe until at least
    // the first ACK", tcp_init_sock): the SYN went app-limited, so the sample
    // is; the first ACK ends the bubble.
    expect([t.c.rateDelivered, t.c.rateIntervalUs, t.c.rateAppLimited]).toEqual([1, 10_000, true]);
    expect(t.c.appLimited).toBe(0);
    expect(tcpDeliveryRate(t.c)).toBe((MSS * 1_000_000) / 10_000);
    // Slow start (cwnd 10, ssthresh infinite): 200% of cwnd × MSS / SRTT.
    expect(t.c.pacingRate).toBe(pacing(MSS, 200, 10, 80_000));
  });

  test('a write with nothing in flight is app-limited; its sample replaces an as fast one', () => {
    const t = established();
    t.app(s(1), (c) => c.send(s(1), new Uint8Array(100)));
    // tp->delivered (the SYN) + nothing in flight.
    expect(t.c.appLimited).toBe(1);
    expect(t.out.splice(0)).toHaveLength(1);
    // The ACK 10 ms later: one segment in 10 ms, app-limited, as fast as the
    // handshake's sample: kept (">=").
    t.send(s(1) + ms(10), {
      ...fromServer(PEER_TS + 1, ourTs(s(1))),
      ack: seqAdd(ISS, 101),
    });
    expect([t.c.rateDelivered, t.c.rateIntervalUs, t.c.rateAppLimited]).toEqual([1, 10_000, true]);
    // The bubble is delivered: no longer app-limited from now on.
    expect(t.c.appLimited).toBe(0);
  });

  test('a bulk write on an idle connection: the first window is app-limited, the next is not', () => {
    const t = established();
    // Nothing was waiting when the write began (write_seq - snd_nxt < MSS):
    // what goes until the SYN's delivery is passed is app-limited.
    t.app(s(1), (c) => c.send(s(1), new Uint8Array(60 * MSS)));
    expect(t.c.appLimited).toBe(1);
    expect(t.out.splice(0)).toHaveLength(10);
    t.deliver(s(1) + ms(10), {
      ...fromServer(PEER_TS + 1, ourTs(s(1))),
      ack: seqAdd(ISS, 1 + 10 * MSS),
    });
    t.collect(s(1) + ms(10));
    // 10 segments in 10 ms (faster than the handshake's sample: kept).
    expect([t.c.rateDelivered, t.c.rateIntervalUs, t.c.rateAppLimited]).toEqual([10, 10_000, true]);
    expect(tcpDeliveryRate(t.c)).toBe((10 * MSS * 1_000_000) / 10_000);
    expect(t.c.appLimited).toBe(0);
    // cwnd 20 after the ACK, 20 in flight, SRTT still 10 ms: 200%.
    expect(t.c.cwnd).toBe(20);
    expect(t.c.pacingRate).toBe(pacing(MSS, 200, 20, t.c.rtt.srtt8Us));
    expect(t.out.splice(0)).toHaveLength(20);
    // Those 20, acknowledged 10 ms later: the ACK phase from the last delivery.
    t.deliver(s(1) + ms(20), {
      ...fromServer(PEER_TS + 2, ourTs(s(1) + ms(10))),
      ack: seqAdd(ISS, 1 + 30 * MSS),
    });
    t.collect(s(1) + ms(20));
    expect([t.c.rateDelivered, t.c.rateIntervalUs, t.c.rateAppLimited]).toEqual([
      20,
      10_000,
      false,
    ]);
  });

  test('past half ssthresh the pacing rate is 120% (tcp_pacing_ca_ratio), and both ratios are sysctls', () => {
    const t = established(tcpSysctl({ tcp_pacing_ca_ratio: 150 }));
    t.c.ssthresh = 16;
    t.app(s(1), (c) => c.send(s(1), new Uint8Array(40 * MSS)));
    t.out.splice(0);
    t.deliver(s(1) + ms(10), {
      ...fromServer(PEER_TS + 1, ourTs(s(1))),
      ack: seqAdd(ISS, 1 + 10 * MSS),
    });
    t.collect(s(1) + ms(10));
    // cwnd 16 (capped by ssthresh in slow start), above ssthresh / 2.
    expect(t.c.cwnd).toBe(16);
    const inFlight = Math.max(t.c.cwnd, t.c.rtxQueue.length);
    expect(t.c.pacingRate).toBe(pacing(MSS, 150, inFlight, t.c.rtt.srtt8Us));
  });

  test('bbr (which runs CUBIC here) leaves the pacing rate unset', () => {
    const t = established(tcpSysctl({ tcp_congestion_control: 'bbr' }));
    expect(t.c.caOps).toBe('bbr');
    expect(t.c.pacingRate).toBe(-1);
    expect(t.c.rateDelivered).toBe(1);
  });
});

describe('the rates the kernel reported (recordings/pacing.txt, Linux 6.18, reno)', () => {
  /** The `name:value` and `name value` fields of each tcp_info line. */
  const lines = readFileSync(new URL('./recordings/pacing.txt', import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('\t'))
    .map((l) => {
      const f: Record<string, number> = {};
      for (const m of l.matchAll(/ ([a-z_]+)[: ]([\d.]+)(?:\/[\d.]+)?(?:bps)?(?= |$)/g)) {
        f[m[1]!] = Number(m[2]);
      }
      return f;
    });

  test('both ends recorded, each with the fields its pacing rate comes from', () => {
    expect(lines).toHaveLength(2);
    for (const f of lines) {
      for (const k of ['mss', 'cwnd', 'rtt', 'pacing_rate', 'delivery_rate', 'minrtt']) {
        expect(f[k], k).toBeGreaterThan(0);
      }
    }
  });

  test("tcp_update_pacing_rate's figure from the line's mss, cwnd and rtt: the kernel's", () => {
    // ss prints rtt as srtt_us >> 3 (µs) / 1000: the three bits below it are
    // not shown, so one of the eight srtt_us it stands for gives the figure.
    const t = established();
    for (const f of lines) {
      t.c.sndMss = f.mss!;
      t.c.cwnd = f.cwnd!;
      const rttUs = Math.round(f.rtt! * 1000);
      const figures = [0, 1, 2, 3, 4, 5, 6, 7].map((low) => {
        t.c.rtt.srtt8Us = rttUs * 8 + low;
        tcpUpdatePacingRate(t.c);
        return t.c.pacingRate * 8;
      });
      expect(figures).toContain(f.pacing_rate);
    }
  });

  test("the delivery rate is whole segments of an MSS over the sample's interval, at least min_rtt", () => {
    const t = established();
    for (const f of lines) {
      // rate = delivered × mss × 10^6 / interval_us (tcp_compute_delivery_rate).
      const bytesPerS = f.delivery_rate! / 8;
      const found = [];
      for (let delivered = 1; delivered <= f.delivered!; delivered++) {
        const interval = (delivered * f.mss! * 1_000_000) / bytesPerS;
        if (Math.abs(interval - Math.round(interval)) < 1e-3) found.push([delivered, interval]);
      }
      expect(found.length, JSON.stringify(f)).toBeGreaterThan(0);
      const [delivered, interval] = found[0]!;
      expect(Math.round(interval!)).toBeGreaterThanOrEqual(Math.round(f.minrtt! * 1000));
      // tcplab's figure from that sample is the kernel's.
      t.c.sndMss = f.mss!;
      t.c.rateDelivered = delivered!;
      t.c.rateIntervalUs = Math.round(interval!);
      expect(tcpDeliveryRate(t.c) * 8).toBe(f.delivery_rate);
    }
  });
});
