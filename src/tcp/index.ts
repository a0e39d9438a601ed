/**
 * The TCP engine: connections and listeners as Linux runs them, with no I/O.
 *
 * What it does: the eleven states under Linux's names (`state.ts`), the
 * handshake with Linux's options and windows, data transfer with the receive
 * and out-of-order queues, delayed ACKs, Nagle, retransmission with RFC 6298
 * timers and Linux's constants, congestion control, the four ways to close, RST
 * handling per RFC 5961, keepalive and zero-window probes (`connection.ts`,
 * `input.ts`, `output.ts`, `timers.ts`, `congestion.ts`); a minimal listener
 * (`listen.ts`); TIME_WAIT and the orphaned FIN_WAIT2 as Linux's small
 * timewait socks, in a table per namespace (`timewait.ts`); the reset for a
 * segment nobody wants (`reset.ts`). It reads the
 * `net.ipv4.tcp_*` sysctls (`sysctl.ts`), counts under nstat's names
 * (`counters.ts`) and names every dropped segment with Linux's drop reason
 * (`drop.ts`).
 *
 * How it is driven (STYLE.md 4): the host hands a connection `now` and
 * segments (`handleSegment`, `handleTimeout`) and the application's calls
 * (`send`, `recv`, `shutdown`, `close`, `abort`); it takes back segments
 * (`pollTransmit`), events (`pollEvent`) and the next deadline
 * (`nextDeadline`). Demultiplexing, IP addresses on the wire and the socket API
 * belong to the host layer above.
 *
 * What it must not do: import `node:*`, read a clock, call `Math.random` or
 * timers, do I/O, or throw on anything a peer sends. Time comes in as `now`;
 * randomness (ISNs, timestamp offsets) from the namespace's seeded streams or
 * values passed in; a misbehaving peer's segment is dropped with a reason and a
 * counter. Linux is the specification: each rule cites the trace, the Linux
 * function or the RFC it comes from, and DEVIATION comments say where it is not
 * (yet) followed.
 */

export * from './buffers.js';
export * from './clock.js';
export * from './congestion.js';
export * from './connection.js';
export * from './counters.js';
export * from './drop.js';
export * from './errors.js';
export * from './icmp.js';
export * from './listen.js';
export * from './net.js';
export * from './options.js';
export * from './reset.js';
export * from './rtt.js';
export * from './state.js';
export * from './sysctl.js';
export * from './timers.js';
export * from './timewait.js';
