/**
 * Hand-built frames for the printer tests: every field may be anything,
 * including wrong, which the strict codecs of src/wire refuse to build.
 */

import { finishChecksum, sumWords } from '../../src/wire/checksum.js';

export const ADDRS = [0x0a000001, 0x0a000002, 0xc0a80015, 0xc0a80016, 0x7f000001];
/** Ports with no tcpdump decoder, or one tcplab has (HTTP, SSH, FTP, SMTP, WHOIS, RTSP). */
export const TCP_PORTS = [
  80, 22, 8080, 443, 40001, 40002, 5555, 25, 21, 43, 554, 323, 1000, 65535, 0,
];
export const UDP_PORTS = [40053, 9999, 33434, 1234, 443, 0, 65535];

export function be16(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 8) & 0xff;
  b[off + 1] = v & 0xff;
}
export function be32(b: Uint8Array, off: number, v: number): void {
  be16(b, off, v >>> 16);
  be16(b, off + 2, v & 0xffff);
}
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
export function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (ch) => ch.charCodeAt(0) & 0xff);
}

export interface IpFields {
  readonly src: number;
  readonly dst: number;
  readonly proto: number;
  readonly tos: number;
  readonly ttl: number;
  readonly id: number;
  readonly fragField: number;
  readonly options: Uint8Array;
  /** Override of the total length field. */
  readonly totalLength?: number;
  /** Override of the version/IHL byte. */
  readonly vhl?: number;
  readonly badChecksum: boolean;
}

export function ipv4(f: IpFields, payload: Uint8Array): Uint8Array {
  const optLen = f.options.length & ~3;
  const hlen = 20 + optLen;
  const h = new Uint8Array(hlen);
  h[0] = f.vhl ?? 0x40 | (hlen / 4);
  h[1] = f.tos;
  be16(h, 2, f.totalLength ?? hlen + payload.length);
  be16(h, 4, f.id);
  be16(h, 6, f.fragField);
  h[8] = f.ttl;
  h[9] = f.proto;
  be32(h, 12, f.src);
  be32(h, 16, f.dst);
  h.set(f.options.subarray(0, optLen), 20);
  const sum = finishChecksum(sumWords(h, 0, hlen));
  be16(h, 10, f.badChecksum ? sum ^ 0x1234 : sum);
  return concat(h, payload);
}

/** The TCP/UDP checksum with the pseudo-header, as Linux computes it. */
export function transportSum(src: number, dst: number, proto: number, seg: Uint8Array): number {
  const pseudo = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + seg.length;
  return finishChecksum(sumWords(seg, 0, seg.length, pseudo));
}

export interface TcpFields {
  readonly sport: number;
  readonly dport: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly win: number;
  readonly urp: number;
  readonly options: Uint8Array;
  readonly payload: Uint8Array;
  /** Override of the data offset nibble. */
  readonly doff?: number;
  readonly badChecksum: boolean;
}

export function tcp(f: TcpFields, src: number, dst: number): Uint8Array {
  const opt = concat(f.options, new Uint8Array((4 - (f.options.length % 4)) % 4));
  const h = new Uint8Array(20 + opt.length);
  be16(h, 0, f.sport);
  be16(h, 2, f.dport);
  be32(h, 4, f.seq);
  be32(h, 8, f.ack);
  h[12] = (f.doff ?? Math.min(15, h.length / 4)) << 4;
  h[13] = f.flags;
  be16(h, 14, f.win);
  be16(h, 18, f.urp);
  h.set(opt, 20);
  const seg = concat(h, f.payload);
  const sum = transportSum(src, dst, 6, seg);
  be16(seg, 16, f.badChecksum ? sum ^ 0x0101 : sum);
  return seg;
}

export function udp(
  sport: number,
  dport: number,
  payload: Uint8Array,
  src: number,
  dst: number,
  mode: number,
): Uint8Array {
  const seg = new Uint8Array(8 + payload.length);
  be16(seg, 0, sport);
  be16(seg, 2, dport);
  be16(seg, 4, mode === 3 ? 4 : mode === 4 ? seg.length + 10 : seg.length);
  seg.set(payload, 8);
  if (mode !== 1) {
    const sum = transportSum(src, dst, 17, seg);
    be16(seg, 6, mode === 2 ? sum ^ 0x0f0f : sum || 0xffff);
  }
  return seg;
}

export function icmp(
  type: number,
  code: number,
  rest: Uint8Array,
  body: Uint8Array,
  bad: boolean,
): Uint8Array {
  const m = concat(
    Uint8Array.of(type, code, 0, 0),
    rest.subarray(0, 4),
    new Uint8Array(Math.max(0, 4 - rest.length)),
    body,
  );
  const sum = finishChecksum(sumWords(m, 0, m.length));
  be16(m, 2, bad ? sum ^ 0x00ff : sum);
  return m;
}

export const MAC_A = Uint8Array.of(0x02, 0, 0, 0, 0, 0x21);
export const MAC_B = Uint8Array.of(0x02, 0, 0, 0, 0, 0x22);

export function ether(type: number, payload: Uint8Array, swap = false): Uint8Array {
  const h = new Uint8Array(14);
  h.set(swap ? MAC_A : MAC_B, 0);
  h.set(swap ? MAC_B : MAC_A, 6);
  be16(h, 12, type);
  return concat(h, payload);
}
