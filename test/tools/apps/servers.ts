/**
 * The servers of fixtures/record.sh, on the server host of an apps lab: the
 * Python helpers (echo on 7, read-then-close on 8081, read-then-reset on 8082,
 * accept-and-say-nothing on 8083) written against the socket API, so that a
 * client's output can be compared with the real client's against the real
 * helpers.
 */

import type { Host } from '../../../src/host/host.js';
import { type Blocking, Pending, SocketError } from '../../../src/host/socket.js';

function then<T>(r: Blocking<T>, f: (v: T | SocketError) => void): void {
  if (r instanceof Pending) r.onSettled(f);
  else f(r);
}

function listen(host: Host, port: number, serve: (fd: number) => void): void {
  const so = host.sockets;
  const lfd = so.socket();
  so.setsockopt(lfd, 'SO_REUSEADDR', true);
  so.bind(lfd, 0, port);
  so.listen(lfd, 16);
  const loop = (): void =>
    then(so.accept(lfd), (r) => {
      if (r instanceof SocketError) return;
      serve(r.fd);
      loop();
    });
  loop();
}

/** `while (b := c.recv(4096)): c.sendall(b)`. */
export function pyEcho(host: Host, port = 7): void {
  const so = host.sockets;
  listen(host, port, (fd) => {
    const step = (): void =>
      then(so.read(fd), (r) => {
        if (r instanceof SocketError || r.length === 0) {
          so.close(fd);
          return;
        }
        so.write(fd, r);
        step();
      });
    step();
  });
}

/** `c.recv(4096)`, then close (8081) or, with SO_LINGER {1, 0}, reset (8082). */
export function pyReadThen(host: Host, port: number, how: 'close' | 'reset'): void {
  const so = host.sockets;
  listen(host, port, (fd) =>
    then(so.read(fd), () => {
      if (how === 'reset') so.setsockopt(fd, 'SO_LINGER', { onoff: true, linger: 0 });
      so.close(fd);
    }),
  );
}

/** Accepts and says nothing (8083). */
export function pySilent(host: Host, port = 8083): void {
  listen(host, port, () => {});
}

/** record.sh's helpers, all of them. */
export function recordServers(host: Host): void {
  pyEcho(host, 7);
  pyReadThen(host, 8081, 'close');
  pyReadThen(host, 8082, 'reset');
  pySilent(host, 8083);
}
