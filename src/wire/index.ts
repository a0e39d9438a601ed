/**
 * The wire layer: packet codecs, pure functions of bytes.
 *
 * It decodes and encodes what a TCP handshake lab sees on a link: Ethernet II
 * frames, ARP for IPv4, IPv4, TCP (with its options), UDP and ICMP, and computes
 * and checks their checksums. Each protocol has a view class that reads a header in
 * place, a plain readonly value, and `parseX` / `xHeaderLength` / `emitX` /
 * `buildX` / `formatX` functions (STYLE.md 2). Values are lossless: emitting a
 * decoded value in 'verbatim' mode gives back the bytes it came from.
 *
 * What it must not do: import `node:*`, read a clock, draw random numbers, keep
 * state between calls, or do I/O; and never throw on untrusted bytes. A decoder
 * returns `Parsed<T>`: the value, or a `WireError` saying what is wrong and at which
 * offset. A wrong checksum is not an error: it is reported (`checksumOk`,
 * `checksumExpected`), because Linux counts it and tcpdump prints it. Emitters are
 * handed tcplab's own values and throw only on a caller's bug (a value that cannot
 * be encoded, a buffer too small).
 *
 * Decoded values hold views into the input (payloads, options, quotes): copy them
 * before reusing the input buffer.
 */

export * from './address.js';
export * from './arp.js';
export * from './checksum.js';
export * from './checksum-report.js';
export type { EmitMode } from './emit.js';
export * from './ethernet.js';
export * from './icmp.js';
export * from './ipv4.js';
export * from './parsed.js';
export * from './seq.js';
export * from './tcp.js';
export * from './tcp-options.js';
export * from './udp.js';
