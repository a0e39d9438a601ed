/**
 * src/host/ping.ts, Linux's ping sockets (net/ipv4/ping.c): identifiers from
 * a rover, replies and ICMP errors to the socket whose identifier the request
 * carried, nothing after close.
 */

import { describe, expect, test } from 'vitest';
import { type PingEvent, PingSocket } from '../../../src/host/ping.js';
import { s } from '../../../src/sim/time.js';
import { ip, traceLan } from './helpers.js';

function collect(sock: PingSocket): PingEvent[] {
  const got: PingEvent[] = [];
  const next = (): void => {
    sock.recv().onSettled((e) => {
      if (!(e instanceof Error)) got.push(e);
      next();
    });
  };
  next();
  return got;
}

describe('ping sockets', () => {
  test('identifiers: 1, 2, … skipping those in use (ping_get_port)', () => {
    const env = traceLan({ stock: true });
    const a = new PingSocket(env.client);
    const b = new PingSocket(env.client);
    expect([a.id, b.id]).toEqual([1, 2]);
    a.close();
    expect(new PingSocket(env.client).id).toBe(3);
    // Another host has its own rover.
    expect(new PingSocket(env.server).id).toBe(1);
  });

  test('each reply goes to the socket of its identifier, with the TTL and length', async () => {
    const env = traceLan({ stock: true });
    const a = new PingSocket(env.client);
    const b = new PingSocket(env.client);
    const gotA = collect(a);
    const gotB = collect(b);
    a.send(ip('192.168.0.22'), 7, new Uint8Array(56));
    b.send(ip('192.168.0.22'), 9, new Uint8Array(10));
    await env.sys.runUntil(s(1));
    expect(gotA.map((e) => e.kind === 'reply' && [e.sequence, e.bytes, e.ttl])).toEqual([
      [7, 64, 64],
    ]);
    expect(gotB.map((e) => e.kind === 'reply' && [e.sequence, e.bytes])).toEqual([[9, 18]]);
  });

  test('an ICMP error quoting a request reaches its socket (ping_err): host unreachable after ARP fails', async () => {
    const env = traceLan({ stock: true });
    const a = new PingSocket(env.client);
    const got = collect(a);
    a.send(ip('192.168.0.99'), 1, new Uint8Array(56));
    await env.sys.runUntil(s(5));
    expect(got).toEqual([
      expect.objectContaining({
        kind: 'error',
        type: 3,
        code: 1,
        sequence: 1,
        from: ip('192.168.0.21'),
      }),
    ]);
  });

  test('a closed socket hears nothing', async () => {
    const env = traceLan({ stock: true });
    const a = new PingSocket(env.client);
    const got = collect(a);
    a.send(ip('192.168.0.22'), 1, new Uint8Array(8));
    a.close();
    await env.sys.runUntil(s(1));
    expect(got).toEqual([]);
  });
});
