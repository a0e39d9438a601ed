/**
 * Fuzzing: random bytes, and real frames with random byte flips, truncations and
 * corrupted length fields, through every decoder. Nothing may throw; every failure
 * must be a well-formed WireError with an offset inside the input; everything that
 * decodes must format, and re-emit verbatim to the bytes it came from.
 *
 * The generator is a seeded PRNG (mulberry32), so a failure names its seed and case
 * number and replays exactly.
 */

import { describe, expect, test } from 'vitest';
import {
  buildArp,
  buildEthernet,
  buildIcmp,
  buildIpv4,
  buildTcp,
  buildUdp,
  formatArp,
  formatEthernet,
  formatIcmp,
  formatIpv4,
  formatTcp,
  formatUdp,
  type Parsed,
  type PseudoHeader,
  parseArp,
  parseEthernet,
  parseIcmp,
  parseIcmpQuote,
  parseIpv4,
  parseTcp,
  parseUdp,
} from '../../src/wire/index.js';
import { ALL_FRAMES, fromHex } from './fixtures.js';
import { decodeFrame, malformedError } from './stack.js';

const SEED = 0x7c91_2b05;
const CASES = 120_000;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEEDS = ALL_FRAMES.map((f) => fromHex(f.hex));

/** Offsets (in the Ethernet frame) of length-like fields worth corrupting. */
const LENGTH_FIELDS = [
  14, // IPv4 version/IHL
  16, // IPv4 total length, high byte
  17, // IPv4 total length, low byte
  23, // IPv4 protocol
  46, // TCP data offset (with IHL 5)
  54, // first TCP option kind
  55, // first TCP option length
  57, // ...
  59,
  61,
  42, // ICMP quoted IHL / ARP sender IP
];

function mutate(rand: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(rand() * n);
  const kind = pick(4);
  if (kind === 0) {
    // Pure noise of any length, sometimes with a plausible IPv4/Ethernet start.
    const b = new Uint8Array(pick(130));
    for (let i = 0; i < b.length; i++) b[i] = pick(256);
    if (b.length > 14 && rand() < 0.5) {
      b[12] = 0x08;
      b[13] = rand() < 0.8 ? 0x00 : 0x06;
      b[14] = 0x40 | pick(16);
    }
    return b;
  }
  const seed = SEEDS[pick(SEEDS.length)]!;
  const b = seed.slice();
  if (kind === 1) {
    // A few random byte flips anywhere.
    const flips = 1 + pick(4);
    for (let k = 0; k < flips; k++) {
      const j = pick(b.length);
      b[j] = b[j]! ^ (1 + pick(255));
    }
  } else if (kind === 2) {
    // A length field set to a random or boundary value.
    const at = LENGTH_FIELDS[pick(LENGTH_FIELDS.length)]!;
    if (at < b.length) b[at] = [0, 1, 2, 0x45, 0x4f, 0x50, 0xf0, 0xff, pick(256)][pick(9)]!;
  }
  // Often also cut the frame short (kind 3 is truncation alone).
  if (kind === 3 || rand() < 0.3) return b.subarray(0, pick(b.length + 1));
  return b;
}

function ph(length: number, protocol: number): PseudoHeader {
  return { src: 0xc0a80015, dst: 0xc0a80016, protocol, length };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Every decoder on `b`; returns a complaint, or undefined. Exceptions propagate to
 * the caller, which reports them with the case number.
 */
function exercise(b: Uint8Array): string | undefined {
  const check = <T>(r: Parsed<T>, what: string): string | undefined => {
    const c = malformedError(r, b.length);
    return c === undefined ? undefined : `${what}: ${c}`;
  };
  let c: string | undefined;

  const eth = parseEthernet(b);
  c = check(eth, 'ethernet');
  if (c) return c;
  if (eth.ok) {
    formatEthernet(eth.value);
    if (!sameBytes(buildEthernet(eth.value), b)) return 'ethernet: re-emit differs';
  }

  const arp = parseArp(b);
  c = check(arp, 'arp');
  if (c) return c;
  if (arp.ok) {
    formatArp(arp.value);
    if (!sameBytes(buildArp(arp.value), b.subarray(0, 28))) return 'arp: re-emit differs';
  }

  for (const allowTruncated of [false, true]) {
    const ip = parseIpv4(b, { allowTruncated });
    c = check(ip, 'ipv4');
    if (c) return c;
    if (ip.ok) {
      formatIpv4(ip.value);
      const end = Math.min(ip.value.totalLength, b.length);
      if (!sameBytes(buildIpv4(ip.value, 'verbatim'), b.subarray(0, end)))
        return 'ipv4: re-emit differs';
    }
  }

  for (const options of ['strict', 'linux'] as const) {
    const tcp = parseTcp(b, ph(b.length, 6), { options });
    c = check(tcp, `tcp ${options}`);
    if (c) return c;
    if (tcp.ok) {
      formatTcp(tcp.value);
      if (!sameBytes(buildTcp(tcp.value, ph(b.length, 6), 'verbatim'), b))
        return 'tcp: re-emit differs';
    }
  }

  const udp = parseUdp(b, ph(b.length, 17));
  c = check(udp, 'udp');
  if (c) return c;
  if (udp.ok) {
    formatUdp(udp.value);
    const end = udp.value.length;
    if (!sameBytes(buildUdp(udp.value, ph(end, 17), 'verbatim'), b.subarray(0, end)))
      return 'udp: re-emit differs';
  }

  const icmp = parseIcmp(b);
  c = check(icmp, 'icmp');
  if (c) return c;
  if (icmp.ok) {
    formatIcmp(icmp.value);
    if (!sameBytes(buildIcmp(icmp.value, 'verbatim'), b)) return 'icmp: re-emit differs';
  }

  c = check(parseIcmpQuote(b), 'icmp quote');
  if (c) return c;

  // And the whole stack from the Ethernet header down, both ways.
  decodeFrame(b, false);
  decodeFrame(b, true);
  return undefined;
}

describe('fuzzing every decoder', () => {
  test(`${CASES} random and mutated packets: no exception, only well-formed errors`, () => {
    const rand = mulberry32(SEED);
    const started = performance.now();
    let failures = 0;
    let firstFailure = '';
    const decodedDeep = { ipv4: 0, tcp: 0 };
    for (let i = 0; i < CASES; i++) {
      const b = mutate(rand);
      let complaint: string | undefined;
      try {
        complaint = exercise(b);
        const d = decodeFrame(b);
        if (d.layers.includes('ipv4')) decodedDeep.ipv4++;
        if (d.layers.includes('tcp')) decodedDeep.tcp++;
      } catch (e) {
        complaint = `threw ${(e as Error).stack ?? e}`;
      }
      if (complaint !== undefined) {
        failures++;
        if (firstFailure === '') {
          const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
          firstFailure = `seed ${SEED} case ${i}: ${complaint}\n  bytes ${hex}`;
        }
      }
    }
    const ms = performance.now() - started;
    console.info(
      `wire fuzz: ${CASES} packets in ${ms.toFixed(0)} ms; ` +
        `${decodedDeep.ipv4} decoded to IPv4, ${decodedDeep.tcp} down to TCP`,
    );
    expect(firstFailure).toBe('');
    expect(failures).toBe(0);
    // The mutations must reach the deep decoders often, or the test proves little.
    expect(decodedDeep.tcp).toBeGreaterThan(CASES / 20);
  });
});
