/**
 * The IP id generators of datagrams without a socket counter (ipid.ts IpIdents):
 * a fixed table of IP_IDENTS_BUCKETS generators, as Linux's ip_idents
 * (net/ipv4/route.c __ip_select_ident, ip_idents_reserve).
 */

import { describe, expect, test } from 'vitest';
import { IP_IDENTS_BUCKETS, IpIdents, ipIdentsBucket } from '../../src/host/ipid.js';
import { Random } from '../../src/sim/random.js';

const SRC = 0x0a000002;
const ICMP = 1;

/** A destination whose (dst, SRC, ICMP) lands in `bucket`, other than `not`. */
function dstIn(bucket: number, not: number): number {
  for (let d = 0x0a000100; ; d++) {
    if (d !== not && ipIdentsBucket(d, SRC, ICMP) === bucket) return d;
  }
}

describe('IpIdents', () => {
  test('one generator: ids follow each other within a jiffy', () => {
    const ids = new IpIdents(new Random(1));
    const a = ids.reserve(100, 0x0a000001, SRC, ICMP);
    expect(ids.reserve(100, 0x0a000001, SRC, ICMP)).toBe((a + 1) & 0xffff);
    // segs reserves a run: the next id is after it.
    const b = ids.reserve(100, 0x0a000001, SRC, ICMP, 3);
    expect(b).toBe((a + 2) & 0xffff);
    expect(ids.reserve(100, 0x0a000001, SRC, ICMP)).toBe((a + 5) & 0xffff);
  });

  test('two flows hashed to one bucket share its generator, as in Linux', () => {
    const d1 = 0x0a000001;
    const d2 = dstIn(ipIdentsBucket(d1, SRC, ICMP), d1);
    const ids = new IpIdents(new Random(2));
    const a = ids.reserve(7, d1, SRC, ICMP);
    expect(ids.reserve(7, d2, SRC, ICMP)).toBe((a + 1) & 0xffff);
    expect(ids.reserve(7, d1, SRC, ICMP)).toBe((a + 2) & 0xffff);
  });

  test('a flow in another bucket does not move this one', () => {
    const d1 = 0x0a000001;
    const other = (ipIdentsBucket(d1, SRC, ICMP) + 1) & (IP_IDENTS_BUCKETS - 1);
    const d3 = dstIn(other, d1);
    const ids = new IpIdents(new Random(3));
    const a = ids.reserve(7, d1, SRC, ICMP);
    ids.reserve(7, d3, SRC, ICMP);
    ids.reserve(7, d3, SRC, ICMP);
    expect(ids.reserve(7, d1, SRC, ICMP)).toBe((a + 1) & 0xffff);
  });

  test('100 000 destinations draw at most IP_IDENTS_BUCKETS starting values', () => {
    const random = new Random(4);
    let starts = 0;
    // IpIdents draws a bucket's start with uint32() and its jumps with int().
    const counting = {
      uint32: () => {
        starts++;
        return random.uint32();
      },
      int: (lo: number, hi: number) => random.int(lo, hi),
    } as unknown as Random;
    const ids = new IpIdents(counting);
    for (let i = 0; i < 100_000; i++) ids.reserve(1, (0xac100000 + i) >>> 0, SRC, ICMP);
    expect(IP_IDENTS_BUCKETS).toBe(2048);
    expect(starts).toBeGreaterThan(2000);
    expect(starts).toBeLessThanOrEqual(IP_IDENTS_BUCKETS);
  });
});
