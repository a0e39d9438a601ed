/**
 * What socket() fixes (tcp_init_sock) and what a passive open takes from its
 * listener (and how its request is found), against the real kernel (Linux
 * 6.18.44):
 * - the receive buffer (test/tcp/recordings/listener-rmem.sh and .txt): the
 *   listening socket's sk_rcvbuf (tcp_rmem[1] when socket() made it, or
 *   SO_RCVBUF, set after listen() too, at most net.core.rmem_max) gives the
 *   SYN-ACK's window and each child's buffer; only the window scale follows
 *   tcp_rmem[2] (or rmem_max, if larger) as it is when the SYN comes;
 * - the congestion control (socket-cc.sh and .txt): socket() chooses it, not
 *   connect() or listen(); an accepted socket gets the default of when its
 *   handshake completes.
 * The recorded cases are played on two tcplab hosts.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { ms } from '../../src/sim/time.js';
import { EMPTY_BYTES } from '../../src/wire/bytes.js';
import { ETHERTYPE_IPV4, parseEthernet } from '../../src/wire/ethernet.js';
import { IPPROTO_TCP, parseIpv4 } from '../../src/wire/ipv4.js';
import { seq } from '../../src/wire/seq.js';
import { ACK, buildTcp, parseTcp, SYN } from '../../src/wire/tcp.js';
import { findTcpOption } from '../../src/wire/tcp-options.js';
import { CLIENT_IP, FakeTransport, ip, lan, SERVER_IP, value } from './helpers.js';

interface Case {
  readonly label: string;
  readonly atSocket: number[];
  readonly fromBind: number[];
  readonly soRcvbuf: number;
  readonly rmemMax: number;
  readonly listenerRcvbuf: number;
  readonly childRcvbuf: number;
  readonly childRb: number;
  readonly synAckWin: number;
  readonly synAckWscale: number;
}

const RECORDINGS = join(fileURLToPath(new URL('.', import.meta.url)), '../tcp/recordings');

/** A case of a recording: a block of `key value` lines; `get(key)` is the value. */
interface RecordedCase {
  get(key: string): string;
  nums(key: string): number[];
}

/** The cases of recordings/`name`, blocks separated by an empty line. */
function recordedCases(name: string): RecordedCase[] {
  const file = join(RECORDINGS, name);
  return readFileSync(file, 'utf8')
    .trim()
    .split(/\n\n/)
    .map((block) => {
      const get = (key: string): string => {
        const l = block.split('\n').find((x) => x.startsWith(`${key} `));
        if (l === undefined) throw new Error(`${file}: no "${key}" in\n${block}`);
        return l.slice(key.length + 1).trim();
      };
      return { get, nums: (key) => get(key).split(/\s+/).map(Number) };
    });
}

/** The cases of listener-rmem.txt. */
function recorded(): Case[] {
  return recordedCases('listener-rmem.txt').map(({ get, nums }) => {
    const synAck = /^win (\d+) wscale (\d+)$/.exec(get('SYN-ACK'));
    if (synAck === null) throw new Error(`listener-rmem.txt: bad SYN-ACK line in ${get('case')}`);
    return {
      label: get('case'),
      atSocket: nums('tcp_rmem at socket()'),
      fromBind: nums('tcp_rmem from bind()'),
      soRcvbuf: Number(get('SO_RCVBUF after listen()')),
      rmemMax: Number(get('net.core.rmem_max')),
      listenerRcvbuf: Number(get('listener SO_RCVBUF')),
      childRcvbuf: Number(get('child SO_RCVBUF')),
      childRb: Number(get('child ss rb')),
      synAckWin: Number(synAck[1]),
      synAckWscale: Number(synAck[2]),
    };
  });
}

/** The recording's steps on tcplab hosts; what the same observations gave. */
function play(c: Case) {
  const { net, client, server, wire } = lan();
  const so = server.sockets;
  server.sysctl.set('net.core.rmem_max', c.rmemMax);
  server.sysctl.set('net.ipv4.tcp_rmem', c.atSocket);
  const l = so.socket();
  server.sysctl.set('net.ipv4.tcp_rmem', c.fromBind);
  value(so.setsockopt(l, 'SO_REUSEADDR', true));
  value(so.bind(l, 0, 80));
  value(so.listen(l, 16));
  if (c.soRcvbuf !== 0) value(so.setsockopt(l, 'SO_RCVBUF', c.soRcvbuf));
  const listenerRcvbuf = value(so.getsockopt(l, 'SO_RCVBUF'));
  const fd = client.sockets.socket();
  client.sockets.connect(fd, SERVER_IP, 80);
  net.runFor(ms(10));
  const a = value(so.accept(l)).fd;
  const childRcvbuf = value(so.getsockopt(a, 'SO_RCVBUF'));
  const childRb = so.file(a)?.sock?.conn.rcvBuf;
  const synAck = wire
    .filter((p) => p.direction === 'In')
    .flatMap((p) => {
      const f = parseEthernet(p.frame);
      if (!f.ok || f.value.ethertype !== ETHERTYPE_IPV4) return [];
      const d = parseIpv4(f.value.payload);
      if (!d.ok || d.value.protocol !== IPPROTO_TCP) return [];
      const t = parseTcp(d.value.payload, {
        src: d.value.src,
        dst: d.value.dst,
        protocol: IPPROTO_TCP,
        length: d.value.payload.length,
      });
      return t.ok && t.value.flags & SYN ? [t.value] : [];
    })[0];
  if (synAck === undefined) throw new Error('no SYN-ACK');
  const ws = findTcpOption(synAck.options, 'wscale');
  return {
    listenerRcvbuf,
    childRcvbuf,
    childRb,
    synAckWin: synAck.window,
    synAckWscale: ws?.shift,
  };
}

describe('a passive open takes the listening socket’s receive buffer (as Linux 6.18)', () => {
  const cases = recorded();

  test('the recording holds the seven cases', () => {
    expect(cases.map((c) => c.label)).toEqual([
      'default',
      'down',
      'up',
      'so-rcvbuf',
      'big-rcvbuf',
      'rmem-max',
      'rmem-max-big',
    ]);
  });

  test.each(cases.map((c) => [c.label, c] as const))('%s', (_, c) => {
    expect(play(c)).toEqual({
      listenerRcvbuf: c.listenerRcvbuf,
      childRcvbuf: c.childRcvbuf,
      childRb: c.childRb,
      synAckWin: c.synAckWin,
      synAckWscale: c.synAckWscale,
    });
  });
});

describe('socket() chooses the congestion control (as Linux 6.18)', () => {
  test('connect() and listen() keep it; an accepted socket takes the default of its handshake', () => {
    // socket-cc.txt: `client at socket() bbr`, ... one `name value` per line.
    const want = Object.fromEntries(
      readFileSync(join(RECORDINGS, 'socket-cc.txt'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.lastIndexOf(' ')), l.slice(l.lastIndexOf(' ') + 1)]),
    );
    const { net, client, server } = lan();
    for (const h of [client, server]) h.sysctl.set('net.ipv4.tcp_congestion_control', 'bbr');
    const l = server.sockets.socket();
    server.sysctl.set('net.ipv4.tcp_congestion_control', 'reno');
    value(server.sockets.bind(l, 0, 80));
    value(server.sockets.listen(l, 4));
    const fd = client.sockets.socket();
    const atSocket = client.sockets.file(fd)?.caOps;
    client.sysctl.set('net.ipv4.tcp_congestion_control', 'reno');
    client.sockets.connect(fd, SERVER_IP, 80);
    net.runFor(ms(10));
    const a = value(server.sockets.accept(l)).fd;
    expect({
      'client at socket()': atSocket,
      'client after connect()': client.sockets.file(fd)?.sock?.conn.caOps,
      listener: server.sockets.file(l)?.listenSock?.listener.caOps,
      accepted: server.sockets.file(a)?.sock?.conn.caOps,
    }).toEqual(want);
  });
});

describe('the SYN queue holds requests by 4-tuple (Linux: the established hash)', () => {
  test('one remote port to two addresses of a wildcard listener: two requests, two connections', () => {
    const env = lan();
    // The client's own TCP would reset the SYN-ACKs: a stand-in takes them.
    const fake = new FakeTransport();
    env.client.registerProtocol(IPPROTO_TCP, fake);
    const second = ip('192.168.0.23');
    env.server.addAddress('eth0', '192.168.0.23/24');
    const so = env.server.sockets;
    const l = so.socket();
    value(so.bind(l, 0, 80));
    value(so.listen(l, 16));
    const send = (dst: number, seqNo: number, flags: number, ackNo = 0): void => {
      const seg = {
        srcPort: 40001,
        dstPort: 80,
        seq: seq(seqNo),
        ack: seq(ackNo),
        flags,
        window: 64240,
        urgentPointer: 0,
        options: [],
        payload: EMPTY_BYTES,
      };
      const payload = buildTcp(seg, { src: CLIENT_IP, dst, protocol: IPPROTO_TCP, length: 20 });
      env.client.sendIp({ src: CLIENT_IP, dst, protocol: IPPROTO_TCP, payload });
    };
    send(SERVER_IP, 1000, SYN);
    send(second, 5000, SYN);
    env.net.runFor(ms(1));
    expect(so.file(l)?.listenSock?.listener.synQueue.size).toBe(2);
    const synAcks = fake.received.map((r) => {
      const t = parseTcp(r.packet.payload, {
        src: r.packet.src,
        dst: r.packet.dst,
        protocol: IPPROTO_TCP,
        length: r.packet.payload.length,
      });
      if (!t.ok) throw new Error('bad SYN-ACK');
      return { from: r.packet.src, seq: t.value.seq, ack: t.value.ack, flags: t.value.flags };
    });
    expect(synAcks.map((x) => [x.from, x.ack, x.flags])).toEqual([
      [SERVER_IP, 1001, SYN | ACK],
      [second, 5001, SYN | ACK],
    ]);
    send(SERVER_IP, 1001, ACK, synAcks[0]!.seq + 1);
    send(second, 5001, ACK, synAcks[1]!.seq + 1);
    env.net.runFor(ms(1));
    const locals = [value(so.accept(l)).fd, value(so.accept(l)).fd].map(
      (fd) => so.file(fd)?.sock?.conn.local.addr,
    );
    expect(locals).toEqual([SERVER_IP, second]);
  });
});

describe('sk_sndbuf: tcp_wmem[1] of socket(), grown at establishment (as Linux 6.18)', () => {
  const cases = recordedCases('sndbuf.txt').map(({ get, nums }) => ({
    label: get('case'),
    cc: get('congestion control'),
    atSocket: nums('tcp_wmem at socket()'),
    after: nums('tcp_wmem from then on'),
    maxseg: Number(get('TCP_MAXSEG')),
    want: {
      beforeConnect: Number(get('client before connect()')),
      established: Number(get('client established')),
      accepted: Number(get('accepted')),
    },
  }));

  test('the recording holds the nine cases', () => {
    expect(cases.map((c) => c.label)).toEqual([
      'reno',
      'bbr',
      'socket-time',
      'capped',
      'maxseg-500',
      'maxseg-400',
      'maxseg-1000',
      'maxseg-512',
      'maxseg-513',
    ]);
  });

  test.each(cases.map((c) => [c.label, c] as const))('%s', (_, c) => {
    const { net, client, server } = lan();
    for (const h of [client, server]) {
      h.sysctl.set('net.ipv4.tcp_congestion_control', c.cc);
      h.sysctl.set('net.ipv4.tcp_wmem', c.atSocket);
    }
    const so = server.sockets;
    const l = so.socket();
    server.sysctl.set('net.ipv4.tcp_wmem', c.after);
    value(so.setsockopt(l, 'SO_REUSEADDR', true));
    value(so.bind(l, 0, 80));
    value(so.listen(l, 4));
    const fd = client.sockets.socket();
    client.sysctl.set('net.ipv4.tcp_wmem', c.after);
    if (c.maxseg !== 0) value(client.sockets.setsockopt(fd, 'TCP_MAXSEG', c.maxseg));
    const beforeConnect = value(client.sockets.getsockopt(fd, 'SO_SNDBUF'));
    client.sockets.connect(fd, SERVER_IP, 80);
    net.runFor(ms(100));
    const a = value(so.accept(l)).fd;
    expect({
      beforeConnect,
      established: value(client.sockets.getsockopt(fd, 'SO_SNDBUF')),
      accepted: value(so.getsockopt(a, 'SO_SNDBUF')),
    }).toEqual(c.want);
  });
});
