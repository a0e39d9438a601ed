/**
 * ICMP echo sockets ("ping sockets", socket(AF_INET, SOCK_DGRAM,
 * IPPROTO_ICMP)) as Linux's net/ipv4/ping.c provides them to iputils' ping:
 * the socket is bound to an identifier the kernel picks (ping_get_port),
 * sends echo requests with that identifier (ping_v4_sendmsg, through
 * `Icmp.sendEcho`), receives the echo replies carrying it (ping_rcv, through
 * `Icmp.listenEcho`), and receives the ICMP errors that quote one of its
 * requests (ping_err, reached from icmp.ts's `error` handler of IPPROTO_ICMP),
 * which iputils reads from the socket's error queue (IP_RECVERR) and prints
 * as `From 192.168.0.21 icmp_seq=1 Destination Host Unreachable`.
 *
 * Events are delivered in the simulation event that causes them; a reader
 * waits for the next one with `recv()`, a `Pending` (socket.ts) that settles
 * from that event, so a process can `proc.wait()` it.
 */

import type { Time } from '../sim/time.js';
import type { Ipv4Address } from '../wire/address.js';
import type { IcmpQuote } from '../wire/icmp.js';
import type { Host } from './host.js';
import type { IcmpErrorReport, SendResult } from './protocol.js';
import { Pending } from './socket.js';

/** What a ping socket receives. */
export type PingEvent =
  | {
      readonly kind: 'reply';
      readonly time: Time;
      readonly from: Ipv4Address;
      readonly sequence: number;
      /** The ICMP message's length (header and data), what ping prints as "64 bytes". */
      readonly bytes: number;
      readonly ttl: number;
      readonly data: Uint8Array;
    }
  | {
      readonly kind: 'error';
      readonly time: Time;
      /** Who sent the ICMP error. */
      readonly from: Ipv4Address;
      readonly type: number;
      readonly code: number;
      /** The next-hop MTU of "fragmentation needed", the pointer of a parameter problem. */
      readonly info: number;
      /** The sequence number of the request it quotes. */
      readonly sequence: number;
    };

/** Every open ping socket of a host, by identifier (Linux's ping_table, per namespace here). */
const tables = new WeakMap<Host, { rover: number; socks: Map<number, PingSocket> }>();

function table(host: Host): { rover: number; socks: Map<number, PingSocket> } {
  let t = tables.get(host);
  if (t === undefined) {
    t = { rover: 0, socks: new Map() };
    tables.set(host, t);
  }
  return t;
}

export class PingSocket {
  readonly host: Host;
  /** The identifier (the socket's "port", inet_num). */
  readonly id: number;
  readonly #events: PingEvent[] = [];
  #waiting: Pending<PingEvent> | undefined;
  readonly #unlisten: () => void;
  #closed = false;

  /**
   * socket() + the implicit bind of the first sendmsg (ping_get_port with
   * ident 0): the identifier after the last one handed out, skipping those in
   * use. DEVIATION(linux): Linux's rover (ping_port_rover) is shared by every
   * namespace of the machine; tcplab keeps one per host, so a lab's first ping
   * uses identifier 1 whatever other labs did.
   */
  constructor(host: Host) {
    this.host = host;
    const t = table(host);
    let id = t.rover;
    for (let i = 0; i < 0x10000; i++) {
      id = (id + 1) & 0xffff;
      if (id === 0) continue;
      if (!t.socks.has(id)) break;
    }
    t.rover = id;
    this.id = id;
    t.socks.set(id, this);
    this.#unlisten = host.icmp.listenEcho(id, (now, reply) => {
      this.#push({
        kind: 'reply',
        time: now,
        from: reply.from,
        sequence: reply.sequence,
        bytes: 8 + reply.data.length,
        ttl: reply.ip.ttl,
        data: reply.data,
      });
    });
  }

  /** ping_v4_sendmsg: an echo request to `dst`. */
  send(
    dst: Ipv4Address,
    sequence: number,
    data: Uint8Array,
    options: { ttl?: number; tos?: number } = {},
  ): SendResult {
    return this.host.icmp.sendEcho({
      dst,
      id: this.id,
      sequence,
      data,
      ...(options.ttl !== undefined ? { ttl: options.ttl } : {}),
      ...(options.tos !== undefined ? { tos: options.tos } : {}),
    });
  }

  /** The next event: at once if one is queued, else a Pending settled when one comes. */
  recv(): Pending<PingEvent> {
    const p = new Pending<PingEvent>();
    const e = this.#events.shift();
    if (e !== undefined) p.settle(e);
    else this.#waiting = p;
    return p;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unlisten();
    const t = table(this.host);
    if (t.socks.get(this.id) === this) t.socks.delete(this.id);
    this.#events.length = 0;
  }

  /** @internal ping_err and ping_rcv. */
  deliver(e: PingEvent): void {
    this.#push(e);
  }

  #push(e: PingEvent): void {
    if (this.#closed) return;
    const w = this.#waiting;
    if (w !== undefined) {
      this.#waiting = undefined;
      w.settle(e);
    } else {
      this.#events.push(e);
    }
  }
}

/**
 * ping_err (net/ipv4/ping.c): an ICMP error quoting an echo request goes to
 * the ping socket of the request's identifier (the quoted ICMP header's bytes
 * 4-5), with the request's sequence number (bytes 6-7). Errors quoting
 * anything else, or an identifier nobody holds, are dropped.
 */
export function pingErr(host: Host, now: Time, report: IcmpErrorReport, quoted: IcmpQuote): void {
  const q = quoted.ip.payload;
  if (q.length < 8 || q[0] !== 8) return;
  const id = (q[4]! << 8) | q[5]!;
  const sock = tables.get(host)?.socks.get(id);
  if (sock === undefined) return;
  sock.deliver({
    kind: 'error',
    time: now,
    from: report.from,
    type: report.type,
    code: report.code,
    info: report.info,
    sequence: (q[6]! << 8) | q[7]!,
  });
}
