/**
 * The capture layer: what a packet looks like once it has been captured.
 *
 * - `record.ts`: one captured packet (`CaptureRecord`) and the link types tcplab
 *   knows (Ethernet, raw IP, Linux cooked SLL and SLL2).
 * - `pcap.ts`, `pcapng.ts`, `files.ts`: capture files as libpcap 1.10 reads and
 *   writes them; damage is reported with its byte offset and the packets before
 *   it are kept.
 * - `linktypes.ts`: the Linux cooked pseudo-headers and link-type names.
 * - `filter/`: the pcap-filter language, compiled as libpcap compiles it.
 * - `print/`: the text tcpdump 4.99.3 prints for a packet.
 * - `netdb.ts`: the services and protocols databases of a Debian 12 machine.
 *
 * What it must not do: import `node:*`, read a clock or do I/O — callers hand it
 * bytes and take bytes and text back (the tools layer reads and writes files) —
 * or throw on untrusted bytes.
 */

export * from './filter/index.js';
export * from './linktypes.js';
export * from './netdb.js';
export * from './pcap.js';
export * from './print/index.js';
export * from './record.js';
