/**
 * A route's initcwnd metric (`ip route change … initcwnd N`, RTAX_INITCWND):
 * TCP's congestion window at establishment (tcp_init_cwnd in
 * tcp_init_transfer), for a connection made with connect() (the route to the
 * peer) and one accepted (the route back to the client,
 * inet_csk_route_child_sock), and the send buffer grown for it
 * (tcp_sndbuf_expand). Routes without it keep TCP_INIT_CWND, 10.
 */

import { describe, expect, test } from 'vitest';
import type { Host } from '../../src/host/host.js';
import { Pending } from '../../src/host/socket.js';
import { ms } from '../../src/sim/time.js';
import { lan, SERVER_IP, value } from './helpers.js';

/** `ip route change 192.168.0.0/24 dev eth0 initcwnd N` on `host`. */
function setInitCwnd(host: Host, initcwnd: number): void {
  const eth0 = host.interfaces.find((i) => i.name === 'eth0')!;
  expect(host.routes.delete(0xc0a80000, 24, 'main').ok).toBe(true);
  expect(host.routes.add({ dst: 0xc0a80000, prefixLength: 24, dev: eth0, initcwnd }).ok).toBe(true);
}

function connected(clientCwnd?: number, serverCwnd?: number) {
  const e = lan();
  if (clientCwnd !== undefined) setInitCwnd(e.client, clientCwnd);
  if (serverCwnd !== undefined) setInitCwnd(e.server, serverCwnd);
  const so = e.server.sockets;
  const l = so.socket();
  value(so.bind(l, 0, 80));
  value(so.listen(l, 16));
  const c = e.client.sockets.socket();
  e.client.sockets.connect(c, SERVER_IP, 80);
  e.net.runFor(ms(10));
  const acc = so.accept(l);
  expect(acc instanceof Pending).toBe(false);
  const a = value(acc as { fd: number }).fd;
  return {
    client: value(e.client.sockets.tcpInfo(c)).tcpi_snd_cwnd,
    server: value(so.tcpInfo(a)).tcpi_snd_cwnd,
  };
}

describe('the route’s initcwnd', () => {
  test('none: both ends start at 10', () => {
    expect(connected()).toEqual({ client: 10, server: 10 });
  });

  test('on the client’s route: its connect() starts at that window; the server keeps 10', () => {
    expect(connected(20)).toEqual({ client: 20, server: 10 });
  });

  test('on the server’s route back to the client: the accepted connection starts at it', () => {
    expect(connected(undefined, 4)).toEqual({ client: 10, server: 4 });
  });
});
