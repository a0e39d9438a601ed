/**
 * The glue between the engine and the host (tcp.ts): IP ids as Linux picks
 * them, checksums, demultiplexing (specific listener before wildcard), the
 * accept queue, listeners closing, loopback, and the tcp_* sysctls living in
 * the host's table.
 */

import { describe, expect, test } from 'vitest';
import type { Host } from '../../src/host/host.js';
import { LOCALHOST } from '../../src/host/interface.js';
import { type Pending, SocketError } from '../../src/host/socket.js';
import type { TapPacket } from '../../src/host/tap.js';
import { ms, s } from '../../src/sim/time.js';
import { TRACE_KERNEL_TCP_SYSCTL } from '../../src/tcp/sysctl.js';
import { ETHERTYPE_IPV4, parseEthernet } from '../../src/wire/ethernet.js';
import { IPPROTO_TCP, parseIpv4 } from '../../src/wire/ipv4.js';
import { ACK, FIN, parseTcp, RST, SYN, type TcpSegment } from '../../src/wire/tcp.js';
import { ip, ipv4, lan, rawEndpoint, SERVER_IP, value } from './helpers.js';

function env(seed = 11) {
  const e = lan({ seed });
  for (const h of [e.client, e.server]) h.tcp.sysctl = TRACE_KERNEL_TCP_SYSCTL;
  return e;
}

interface Sent {
  readonly dir: 'In' | 'Out';
  readonly id: number;
  readonly df: boolean;
  readonly ttl: number;
  readonly seg: TcpSegment;
}

/** The TCP segments of a capture, with their IP header fields. */
function tcpOf(wire: readonly TapPacket[]): Sent[] {
  const out: Sent[] = [];
  for (const p of wire) {
    const f = parseEthernet(p.frame);
    if (!f.ok || f.value.ethertype !== ETHERTYPE_IPV4) continue;
    const d = parseIpv4(f.value.payload);
    if (!d.ok || d.value.protocol !== IPPROTO_TCP) continue;
    const t = parseTcp(d.value.payload, {
      src: d.value.src,
      dst: d.value.dst,
      protocol: IPPROTO_TCP,
      length: d.value.payload.length,
    });
    if (!t.ok) continue;
    out.push({
      dir: p.direction,
      id: d.value.id,
      df: d.value.dontFragment,
      ttl: d.value.ttl,
      seg: t.value,
    });
  }
  return out;
}

function listenOn(host: Host, addr = 0, port = 80, backlog = 16): number {
  const so = host.sockets;
  const fd = so.socket();
  value(so.bind(fd, addr, port));
  value(so.listen(fd, backlog));
  return fd;
}

describe('IP ids (ip_select_ident_segs)', () => {
  test('each side numbers its segments from its own random start; the SYN-ACK of a request sock has id 0', () => {
    // normal-handshake/nc: client ids 19541, 19542, 19543, 19544; the server's
    // SYN-ACK 0, then 19876, 19877 (tcpdump-S-tt-v.txt).
    const { net, client, server, wire } = env();
    const l = listenOn(server);
    const fd = client.sockets.socket();
    client.sockets.connect(fd, SERVER_IP, 80);
    net.runFor(ms(10));
    const a = value(server.sockets.accept(l)).fd;
    client.sockets.shutdown(fd, 'SHUT_WR');
    net.runFor(ms(100));
    server.sockets.close(a);
    net.runFor(s(1));
    const segs = tcpOf(wire);
    const out = segs.filter((x) => x.dir === 'Out');
    const inn = segs.filter((x) => x.dir === 'In');
    expect(out.map((x) => x.seg.flags)).toEqual([SYN, ACK, FIN | ACK, ACK]);
    expect(inn.map((x) => x.seg.flags)).toEqual([SYN | ACK, ACK, FIN | ACK]);
    const c0 = out[0]!.id;
    expect(out.map((x) => x.id)).toEqual([0, 1, 2, 3].map((i) => (c0 + i) & 0xffff));
    expect(inn[0]!.id).toBe(0);
    const s0 = inn[1]!.id;
    expect(inn[2]!.id).toBe((s0 + 1) & 0xffff);
    for (const x of segs) {
      expect(x.df).toBe(true);
      expect(x.ttl).toBe(64);
    }
  });

  test('an orphaned FIN_WAIT2 is a timewait sock: its ACK of the FIN goes out with id 0', () => {
    // server-close-first/nc: the server closed first; its last ACK has id 0.
    const { net, client, server, wire } = env();
    const l = listenOn(server);
    const fd = client.sockets.socket();
    client.sockets.connect(fd, SERVER_IP, 80);
    net.runFor(ms(10));
    const a = value(server.sockets.accept(l)).fd;
    client.sockets.close(fd);
    net.runFor(ms(100));
    server.sockets.close(a);
    net.runFor(s(1));
    const out = tcpOf(wire).filter((x) => x.dir === 'Out');
    expect(out.map((x) => x.seg.flags)).toEqual([SYN, ACK, FIN | ACK, ACK]);
    expect(out[3]!.id).toBe(0);
  });

  test('the kernel’s reset for a closed port: id 0, DF, TTL 64, counted in TcpOutRsts', () => {
    const { net, client, server, wire } = env();
    const fd = client.sockets.socket();
    client.sockets.connect(fd, SERVER_IP, 9);
    net.runFor(ms(10));
    const rst = tcpOf(wire).find((x) => x.dir === 'In')!;
    expect(rst.seg.flags).toBe(RST | ACK);
    expect([rst.id, rst.df, rst.ttl, rst.seg.window]).toEqual([0, true, 64, 0]);
    expect(server.tcp.net.counters.TcpOutRsts).toBe(1);
  });
});

describe('input', () => {
  test('a bad checksum is dropped (TCP_CSUM), counted in TcpInCsumErrors and TcpInErrs, and not answered', () => {
    const e = env();
    void e.server.tcp; // TCP joins the host on first use
    const raw = rawEndpoint(e);
    const seg = new Uint8Array(20);
    seg[0] = 0x9c;
    seg[1] = 0x41; // 40001
    seg[3] = 81;
    seg[12] = 5 << 4;
    seg[13] = SYN;
    seg[16] = 0xde; // a checksum that cannot be right
    raw.sendIp(
      ipv4({ src: ip('192.168.0.99'), dst: SERVER_IP, protocol: IPPROTO_TCP, payload: seg }),
    );
    e.net.runFor(ms(10));
    expect(e.server.tcp.net.counters.TcpInCsumErrors).toBe(1);
    expect(e.server.tcp.net.counters.TcpInErrs).toBe(1);
    expect(e.server.tcp.net.drops.TCP_CSUM).toBe(1);
    expect(e.server.tcp.net.counters.TcpOutRsts).toBe(0);
  });

  test('a listener bound to the address is found before the wildcard one', () => {
    const { net, client, server } = env();
    server.addAddress('eth0', '192.168.0.23/24');
    // Linux refuses a second listener on an overlapping address (bind or
    // listen: EADDRINUSE, even with SO_REUSEADDR), so two such listeners only
    // exist with SO_REUSEPORT; the demultiplexer's order is tested directly.
    const wildcard = server.tcp.listen(0, 9000, 4, false);
    const specific = server.tcp.listen(ip('192.168.0.23'), 9000, 4, false);
    for (const dst of [ip('192.168.0.23'), SERVER_IP]) {
      client.sockets.connect(client.sockets.socket(), dst, 9000);
    }
    net.runFor(ms(10));
    expect(specific.listener.acceptQueue.map((c) => c.local.addr)).toEqual([ip('192.168.0.23')]);
    expect(wildcard.listener.acceptQueue.map((c) => c.local.addr)).toEqual([SERVER_IP]);
  });

  test('a wildcard and a specific listener on one port: the second listen() is EADDRINUSE', () => {
    const { server } = env();
    server.addAddress('eth0', '192.168.0.23/24');
    const so = server.sockets;
    const a = so.socket();
    const b = so.socket();
    for (const x of [a, b]) value(so.setsockopt(x, 'SO_REUSEADDR', true));
    value(so.bind(a, 0, 9000));
    value(so.bind(b, ip('192.168.0.23'), 9000));
    value(so.listen(b, 4));
    expect(code(so.listen(a, 4))).toBe('EADDRINUSE');
  });
});

function code(r: unknown): string | undefined {
  return r instanceof SocketError ? r.code : undefined;
}

describe('listeners', () => {
  test('backlog 1 holds two established connections; the third handshake’s ACK is dropped', () => {
    const { net, client, server } = env();
    const l = listenOn(server, 0, 80, 1);
    for (let i = 0; i < 3; i++) {
      client.sockets.connect(client.sockets.socket(), SERVER_IP, 80);
      net.runFor(ms(10));
    }
    const listener = server.sockets.file(l)!.listenSock!.listener;
    expect(listener.acceptQueue.length).toBe(2);
    expect(server.tcp.net.counters.TcpExtListenOverflows).toBeGreaterThan(0);
  });

  test('closing a listener resets the connections nobody accepted', () => {
    const { net, client, server } = env();
    const l = listenOn(server);
    const fd = client.sockets.socket();
    client.sockets.connect(fd, SERVER_IP, 80);
    net.runFor(ms(10));
    server.sockets.close(l);
    net.runFor(ms(10));
    expect(code(client.sockets.read(fd))).toBe('ECONNRESET');
    expect(server.tcp.connections.length).toBe(0);
  });
});

describe('loopback', () => {
  test('a connection to 127.0.0.1 works and announces the MSS of lo (MTU 65536 → 65495)', () => {
    const { net, client } = env();
    const seen: TapPacket[] = [];
    client.addTap((p) => seen.push(p), { ifname: 'lo' });
    const l = listenOn(client, 0, 7);
    const fd = client.sockets.socket();
    client.sockets.connect(fd, LOCALHOST, 7);
    net.runFor(ms(10));
    const a = value(client.sockets.accept(l));
    expect(a.address).toBe(LOCALHOST);
    value(client.sockets.write(fd, new TextEncoder().encode('ping')));
    net.runFor(ms(10));
    expect(new TextDecoder().decode(value(client.sockets.read(a.fd)))).toBe('ping');
    const syn = tcpOf(seen).find((x) => x.seg.flags === SYN)!;
    expect(syn.seg.options.find((o) => o.kind === 'mss')).toMatchObject({ mss: 65495 });
  });
});

describe('sysctls', () => {
  test('net.ipv4.tcp_* live in the host table: sysctl -w changes the engine', () => {
    const { net, client, server } = env();
    expect(client.sysctl.read('net.ipv4.tcp_syn_retries')).toEqual({ ok: true, value: '6' });
    expect(client.sysctl.read('net.ipv4.tcp_rmem')).toEqual({
      ok: true,
      value: '4096\t131072\t33554432',
    });
    expect(client.sysctl.write('net.ipv4.tcp_syn_retries', '1').ok).toBe(true);
    expect(client.sysctl.write('net.ipv4.tcp_syn_linear_timeouts', '0').ok).toBe(true);
    expect(client.tcp.sysctl.tcp_syn_retries).toBe(1);
    expect(client.sysctl.write('net.ipv4.tcp_syn_retries', '0').ok).toBe(false);
    expect(client.sysctl.write('net.ipv4.tcp_congestion_control', 'vegas').ok).toBe(false);
    server.addHook('INPUT', (_n, p) => (p.ip.protocol === IPPROTO_TCP ? 'DROP' : 'ACCEPT'));
    const fd = client.sockets.socket();
    const r = client.sockets.connect(fd, SERVER_IP, 80) as Pending<0>;
    net.runFor(s(2.9));
    expect(r.done).toBe(false);
    net.runFor(s(0.2));
    // One retransmission at 1 s, then give up at 3 s (2^(1+1) - 1).
    expect(code(r.result)).toBe('ETIMEDOUT');
  });
});
