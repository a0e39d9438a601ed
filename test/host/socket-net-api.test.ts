/**
 * The Node-style API (net-api.ts): a server and a client on two hosts, events
 * in the order Node emits them, errors with Node's fields, all synchronous
 * with the simulation.
 */

import { describe, expect, test } from 'vitest';
import type { Socket } from '../../src/host/net-api.js';
import type { SocketError } from '../../src/host/socket.js';
import { ms, s } from '../../src/sim/time.js';
import { TRACE_KERNEL_TCP_SYSCTL } from '../../src/tcp/sysctl.js';
import { lan } from './helpers.js';

function env() {
  const e = lan({ seed: 5 });
  for (const h of [e.client, e.server]) h.tcp.sysctl = TRACE_KERNEL_TCP_SYSCTL;
  return e;
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('net on a host', () => {
  test('an echo server: connect, data, end, close, in Node’s order', () => {
    const { net, client, server } = env();
    const log: string[] = [];
    const srv = server.net.createServer((sock: Socket) => {
      log.push(`server: connection from ${sock.remoteAddress}:${sock.remotePort}`);
      sock.on('data', (d) => sock.write(`echo: ${text(d)}`));
      sock.on('end', () => log.push('server: end'));
      sock.on('close', () => log.push('server: close'));
    });
    srv.listen(80);
    expect(srv.address()).toEqual({ address: '0.0.0.0', family: 'IPv4', port: 80 });
    const c = client.net.connect({ host: 'server', port: 80 }, () => {
      log.push(`client: connect ${c.localAddress} > ${c.remoteAddress}:${c.remotePort}`);
      c.write('hello\r\n');
    });
    c.on('data', (d) => {
      log.push(`client: data ${JSON.stringify(text(d))}`);
      c.end();
    });
    c.on('end', () => log.push('client: end'));
    c.on('close', (hadError) => log.push(`client: close ${hadError}`));
    net.runFor(s(1));
    // The client hears the SYN-ACK before the server hears the final ACK.
    expect(log).toEqual([
      'client: connect 192.168.0.21 > 192.168.0.22:80',
      `server: connection from 192.168.0.21:${c.localPort}`,
      'client: data "echo: hello\\r\\n"',
      'server: end',
      'server: close',
      'client: end',
      'client: close false',
    ]);
    expect(c.localPort! % 2).toBe(0);
  });

  test('ECONNREFUSED as Node reports it: code, errno, syscall, address, port, then close(true)', () => {
    const { net, client } = env();
    const c = client.net.connect({ host: '192.168.0.22', port: 80 });
    let err: SocketError | undefined;
    const events: string[] = [];
    c.on('error', (e) => {
      err = e;
      events.push('error');
    });
    c.on('close', (hadError) => events.push(`close ${hadError}`));
    c.on('connect', () => events.push('connect'));
    net.runFor(ms(10));
    expect(events).toEqual(['error', 'close true']);
    expect({ ...err }).toMatchObject({
      code: 'ECONNREFUSED',
      errno: -111,
      syscall: 'connect',
      address: '192.168.0.22',
      port: 80,
    });
    expect(err!.message).toBe('connect ECONNREFUSED 192.168.0.22:80');
  });

  test('listen() on a port in use emits EADDRINUSE with syscall listen', () => {
    const { server } = env();
    server.net.createServer().listen(80);
    const second = server.net.createServer();
    let err: SocketError | undefined;
    second.on('error', (e) => (err = e));
    second.listen(80);
    expect([err?.code, err?.syscall, err?.port]).toEqual(['EADDRINUSE', 'listen', 80]);
    expect(second.listening).toBe(false);
  });

  test('the server closes first: the client hears data, end, and closes its side', () => {
    const { net, client, server } = env();
    server.net
      .createServer((sock) => {
        sock.end('hello from server\r\n');
      })
      .listen(80);
    let got = '';
    let closed = false;
    const c = client.net.connect({ host: 'server', port: 80 });
    c.on('data', (d) => (got += text(d)));
    c.on('close', () => (closed = true));
    net.runFor(s(1));
    expect(got).toBe('hello from server\r\n');
    expect(closed).toBe(true);
    expect(server.tcp.net.timeWait.size).toBe(1);
  });

  test('destroy() closes at once (a FIN): the peer hears end, then close', () => {
    const { net, client, server } = env();
    const serverEvents: string[] = [];
    server.net
      .createServer((sock) => {
        sock.on('end', () => serverEvents.push('end'));
        sock.on('close', () => serverEvents.push('close'));
      })
      .listen(80);
    const c = client.net.connect({ host: 'server', port: 80 });
    c.setNoDelay(true).setKeepAlive(true);
    c.on('connect', () => c.destroy());
    net.runFor(s(1));
    expect(c.destroyed).toBe(true);
    expect(serverEvents).toEqual(['end', 'close']);
  });
});

describe('net carries data whole', () => {
  test.each([1, 1448, 20_000, 300_000])(
    '%i bytes written in pieces, echoed back, then end: every byte returns in order',
    (n) => {
      const { net, client, server } = env();
      server.net
        .createServer((sock: Socket) => {
          sock.on('data', (d) => sock.write(d));
          sock.on('end', () => sock.end());
        })
        .listen(80);
      const sent = new Uint8Array(n);
      for (let i = 0; i < n; i++) sent[i] = (i * 7 + (i >> 8)) & 0xff;
      const got: Uint8Array[] = [];
      let ended = false;
      const c = client.net.connect({ host: 'server', port: 80 }, () => {
        for (let at = 0; at < n; at += 7919) c.write(sent.subarray(at, at + 7919));
        c.end();
      });
      c.on('data', (d) => got.push(d));
      c.on('end', () => {
        ended = true;
      });
      net.runFor(s(30));
      expect(ended).toBe(true);
      const back = new Uint8Array(got.reduce((k, d) => k + d.length, 0));
      let at = 0;
      for (const d of got) {
        back.set(d, at);
        at += d.length;
      }
      expect(back.length).toBe(n);
      expect(Buffer.from(back).equals(Buffer.from(sent))).toBe(true);
    },
  );
});
