/**
 * `echo-server [-p PORT]`: tcplab's own line echo server (no such program
 * exists on Debian; the traces' Python server echoed chunks). It listens on
 * 0.0.0.0:PORT (default 7, the echo service) with backlog 128, serves every
 * connection at once, sends each complete line back as soon as its newline
 * arrives (a last line without one at end of file), closes a connection when
 * the peer has finished sending, and runs in the foreground, silently, until
 * it is killed; the kernel then closes its sockets (FIN, or RST where data
 * was left unread). Errors, in the style of the usual tools:
 * `echo-server: invalid port 'x'` and usage (status 2),
 * `echo-server: bind: Address already in use` (status 1).
 */

import type { Command, Proc } from '../../os/process.js';
import { getoptLong } from '../getopt.js';
import { hold, isError } from './common.js';

const USAGE = 'usage: echo-server [-p PORT]\n';

export const echoServer: Command = async (proc) => {
  const parsed = getoptLong(proc.argv.slice(1), { short: 'p:h', long: [] });
  if (!parsed.ok) {
    proc.stderr.write(`echo-server: ${parsed.error.message}\n${USAGE}`);
    return 2;
  }
  let port = 7;
  for (const { key, value = '' } of parsed.args.options) {
    if (key === 'h') {
      proc.stdout.write(USAGE);
      return 0;
    }
    if (!/^[0-9]+$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
      proc.stderr.write(`echo-server: invalid port '${value}'\n`);
      return 2;
    }
    port = Number(value);
  }
  if (parsed.args.operands.length > 0) {
    proc.stderr.write(USAGE);
    return 2;
  }
  const so = proc.sockets;
  const lfd = so.socket();
  so.setsockopt(lfd, 'SO_REUSEADDR', true);
  const b = so.bind(lfd, 0, port);
  if (isError(b)) {
    proc.stderr.write(`echo-server: bind: ${b.description}\n`);
    return 1;
  }
  so.listen(lfd, 128);
  for (;;) {
    const c = await proc.wait(so.accept(lfd));
    if (isError(c)) return 1;
    hold(serve(proc, c.fd));
  }
};

/** One connection: echo complete lines; at the peer's end of data, the rest, then close. */
async function serve(proc: Proc, fd: number): Promise<void> {
  const so = proc.sockets;
  let pending = new Uint8Array(0);
  for (;;) {
    const data = await proc.wait(so.read(fd));
    if (isError(data) || data.length === 0) {
      if (!isError(data) && pending.length > 0) await proc.wait(so.write(fd, pending));
      so.close(fd);
      return;
    }
    const all = new Uint8Array(pending.length + data.length);
    all.set(pending);
    all.set(data, pending.length);
    const end = all.lastIndexOf(10) + 1;
    pending = all.slice(end);
    if (end > 0) {
      const w = await proc.wait(so.write(fd, all.subarray(0, end)));
      if (isError(w)) {
        so.close(fd);
        return;
      }
    }
  }
}
