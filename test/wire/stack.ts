/**
 * Test helpers: decode a frame down the stack (Ethernet → ARP, or IPv4 → TCP / UDP /
 * ICMP), check that a failure is a well-formed WireError, and write pcap files for
 * tcpdump. Not a test file itself.
 */

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect } from 'vitest';
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  ipv4PseudoHeader,
  type Parsed,
  parseArp,
  parseEthernet,
  parseIcmp,
  parseIcmpQuote,
  parseIpv4,
  parseTcp,
  parseUdp,
  type WireError,
} from '../../src/wire/index.js';

export interface Decoded {
  readonly layers: string[];
  readonly error?: WireError;
}

const LAYERS = new Set(['ethernet', 'arp', 'ipv4', 'tcp', 'udp', 'icmp', 'sll', 'sll2']);

/**
 * Asserts that `r` either succeeded or failed with a WireError whose layer is known,
 * whose reason is a non-empty string and whose offset lies in [0, length].
 */
export function expectWellFormed<T>(r: Parsed<T>, length: number): void {
  if (r.ok) return;
  const e = r.error;
  expect(LAYERS.has(e.layer)).toBe(true);
  expect(typeof e.reason).toBe('string');
  expect(e.reason.length).toBeGreaterThan(0);
  expect(Number.isInteger(e.offset)).toBe(true);
  expect(e.offset).toBeGreaterThanOrEqual(0);
  expect(e.offset).toBeLessThanOrEqual(length);
}

/** Cheap version of expectWellFormed for the fuzz loop: returns a complaint or undefined. */
export function malformedError<T>(r: Parsed<T>, length: number): string | undefined {
  if (r.ok) return undefined;
  const e = r.error;
  if (!LAYERS.has(e.layer)) return `unknown layer ${e.layer}`;
  if (typeof e.reason !== 'string' || e.reason.length === 0) return 'empty reason';
  if (!Number.isInteger(e.offset) || e.offset < 0 || e.offset > length) {
    return `offset ${e.offset} outside [0, ${length}] (${e.layer}: ${e.reason})`;
  }
  return undefined;
}

/**
 * Runs every decoder that applies to `frame`, checking each result; returns the
 * layers that decoded and the first error. `lenient` also parses IPv4 with
 * allowTruncated and TCP options the Linux way.
 */
export function decodeFrame(frame: Uint8Array, lenient = false): Decoded {
  const layers: string[] = [];
  const check = <T>(r: Parsed<T>, len: number): r is { ok: true; value: T } => {
    const complaint = malformedError(r, len);
    if (complaint !== undefined) throw new Error(complaint);
    return r.ok;
  };
  const eth = parseEthernet(frame);
  if (!check(eth, frame.length)) return { layers, error: eth.ok ? undefined : eth.error };
  layers.push('ethernet');
  const payload = eth.value.payload;
  if (eth.value.ethertype === ETHERTYPE_ARP) {
    const arp = parseArp(payload);
    if (!check(arp, payload.length)) return { layers, error: arp.ok ? undefined : arp.error };
    layers.push('arp');
    return { layers };
  }
  if (eth.value.ethertype !== ETHERTYPE_IPV4) return { layers };
  const ip = parseIpv4(payload, { allowTruncated: lenient });
  if (!check(ip, payload.length)) return { layers, error: ip.ok ? undefined : ip.error };
  layers.push('ipv4');
  const t = ip.value.payload;
  const ph = ipv4PseudoHeader(ip.value);
  if (ip.value.protocol === IPPROTO_TCP) {
    const tcp = parseTcp(t, ph, { options: lenient ? 'linux' : 'strict' });
    if (!check(tcp, t.length)) return { layers, error: tcp.ok ? undefined : tcp.error };
    layers.push('tcp');
  } else if (ip.value.protocol === IPPROTO_UDP) {
    const udp = parseUdp(t, ph);
    if (!check(udp, t.length)) return { layers, error: udp.ok ? undefined : udp.error };
    layers.push('udp');
  } else if (ip.value.protocol === IPPROTO_ICMP) {
    const icmp = parseIcmp(t);
    if (!check(icmp, t.length)) return { layers, error: icmp.ok ? undefined : icmp.error };
    layers.push('icmp');
    const m = icmp.value;
    if (m.kind === 'destUnreachable' || m.kind === 'timeExceeded') {
      const q = parseIcmpQuote(m.quote);
      if (check(q, m.quote.length)) layers.push('quote');
    }
  }
  return { layers };
}

/** tcpdump is on this machine (tests that use it as the oracle skip otherwise). */
export const hasTcpdump: boolean =
  existsSync('/usr/bin/tcpdump') || spawnSync('tcpdump', ['--version']).status === 0;

/** A classic pcap file (LINKTYPE_ETHERNET, microseconds) holding `frames`, one second apart. */
export function pcapFile(frames: readonly Uint8Array[]): Uint8Array {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0); // magic: microsecond timestamps, little-endian
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16); // snaplen
  header.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  parts.push(header);
  frames.forEach((f, i) => {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1_000_000 + i, 0);
    rec.writeUInt32LE(0, 4);
    rec.writeUInt32LE(f.length, 8);
    rec.writeUInt32LE(f.length, 12);
    parts.push(rec, Buffer.from(f.buffer, f.byteOffset, f.length));
  });
  return Buffer.concat(parts);
}

/**
 * tcpdump's text for each packet of a pcap file, timestamps removed: the output is
 * split before every line that starts with a timestamp.
 */
export function tcpdumpPackets(path: string, flags: readonly string[]): string[] {
  const r = spawnSync('tcpdump', [...flags, '-r', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tcpdump failed: ${r.stderr}`);
  const packets: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^\d\d:\d\d:\d\d\.\d{6} (.*)$/.exec(line);
    if (m) packets.push(m[1]!);
    else if (line !== '' && packets.length > 0) packets[packets.length - 1] += `\n${line}`;
  }
  return packets;
}
