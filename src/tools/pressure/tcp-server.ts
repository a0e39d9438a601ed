/**
 * `tcp-server -p PORT [-b BACKLOG] [--accept never|slow=DURATION|normal]
 * [--close never|immediate|after=DURATION] [--read never] [--reply TEXT] [--keepalive]
 * [--defer-accept SECONDS] [-v]`:
 * tcplab's own
 * configurable server for the under-pressure labs (no such program exists on
 * Debian; it stands for the misbehaving applications of production
 * incidents). It listens on 0.0.0.0:PORT with listen(fd, BACKLOG) (default
 * 128), and
 * - accepts: `normal`ly (as soon as a connection is in the accept queue),
 *   `never` (the accept queue fills, then the SYN queue), or `slow`ly (one
 *   accept() every DURATION);
 * - with `--keepalive`, sets SO_KEEPALIVE on each accepted connection, so that
 *   the kernel probes it after net.ipv4.tcp_keepalive_time of idleness;
 * - with `--defer-accept SECONDS`, sets TCP_DEFER_ACCEPT on the listener before
 *   listen() (as nginx's `listen … deferred` does with 1): a connection is
 *   accepted when its first data comes, or at the end of the deferring period;
 * - per accepted connection, sends TEXT and a newline if `--reply` is given,
 *   then closes it `immediate`ly, `after=DURATION`, or `never` (it reads and
 *   discards what comes, and on the peer's FIN does nothing: CLOSE_WAIT);
 *   with `--read never` it reads nothing at all (the receive queue fills and
 *   the window closes: zero-window probes);
 * - runs in the foreground until killed, silent unless `-v`: then one line per
 *   event on stdout, `[SECONDS.MICROS] EVENT`, in virtual time.
 * DURATION is a number with an optional unit: `ms`, `s` (default), `m`.
 * Usage errors: `tcp-server: …` and the usage line on stderr, status 2;
 * `tcp-server: bind: Address already in use`, status 1.
 */

import type { Proc } from '../../os/process.js';
import { type Duration, NS_PER_MS, NS_PER_S, NS_PER_US } from '../../sim/time.js';
import { formatIpv4Address } from '../../wire/address.js';
import { bytes, hold, isError } from '../apps/common.js';
import { getoptLong } from '../getopt.js';

const USAGE =
  'usage: tcp-server -p PORT [-b BACKLOG] [--accept never|slow=DURATION|normal]\n' +
  '                  [--close never|immediate|after=DURATION] [--read never]\n' +
  '                  [--reply TEXT]\n' +
  '                  [--keepalive] [--defer-accept SECONDS] [-v]\n';

type AcceptMode =
  | { readonly kind: 'normal' | 'never' }
  | { readonly kind: 'slow'; readonly every: Duration };
type CloseMode =
  | { readonly kind: 'never' | 'immediate' }
  | { readonly kind: 'after'; readonly delay: Duration };

/** `500ms`, `2s`, `1.5`, `1m`: a non-negative duration, or undefined. */
export function parseDuration(text: string): Duration | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (m === null) return undefined;
  const unit = m[2] === 'ms' ? NS_PER_MS : m[2] === 'm' ? 60 * NS_PER_S : NS_PER_S;
  return Math.round(Number(m[1]) * unit);
}

function parseAccept(v: string): AcceptMode | undefined {
  if (v === 'normal' || v === 'never') return { kind: v };
  if (v.startsWith('slow=')) {
    const every = parseDuration(v.slice(5));
    return every === undefined || every === 0 ? undefined : { kind: 'slow', every };
  }
  return undefined;
}

function parseClose(v: string): CloseMode | undefined {
  if (v === 'never' || v === 'immediate') return { kind: v };
  if (v.startsWith('after=')) {
    const delay = parseDuration(v.slice(6));
    return delay === undefined ? undefined : { kind: 'after', delay };
  }
  return undefined;
}

export async function tcpServer(proc: Proc): Promise<number> {
  const parsed = getoptLong(proc.argv.slice(1), {
    short: 'p:b:vh',
    long: [
      { name: 'accept', hasArg: true, key: 'accept' },
      { name: 'close', hasArg: true, key: 'close' },
      { name: 'reply', hasArg: true, key: 'reply' },
      { name: 'read', hasArg: true, key: 'read' },
      { name: 'keepalive', hasArg: false, key: 'keepalive' },
      { name: 'defer-accept', hasArg: true, key: 'defer-accept' },
      { name: 'help', hasArg: false, key: 'h' },
    ],
  });
  const usage = (message: string): number => {
    proc.stderr.write(`tcp-server: ${message}\n${USAGE}`);
    return 2;
  };
  if (!parsed.ok) return usage(parsed.error.message);
  let port: number | undefined;
  let backlog = 128;
  let accept: AcceptMode = { kind: 'normal' };
  let close: CloseMode = { kind: 'immediate' };
  let reply: string | undefined;
  let verbose = false;
  let keepalive = false;
  let read = true;
  let deferAccept: number | undefined;
  for (const { key, value = '' } of parsed.args.options) {
    switch (key) {
      case 'h':
        proc.stdout.write(USAGE);
        return 0;
      case 'p':
        if (!/^[0-9]+$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
          return usage(`invalid port '${value}'`);
        }
        port = Number(value);
        break;
      case 'b':
        if (!/^[0-9]+$/.test(value) || Number(value) > 0x7fffffff) {
          return usage(`invalid backlog '${value}'`);
        }
        backlog = Number(value);
        break;
      case 'accept': {
        const a = parseAccept(value);
        if (a === undefined) return usage(`invalid --accept '${value}'`);
        accept = a;
        break;
      }
      case 'close': {
        const c = parseClose(value);
        if (c === undefined) return usage(`invalid --close '${value}'`);
        close = c;
        break;
      }
      case 'reply':
        reply = value;
        break;
      case 'read':
        if (value !== 'never') return usage(`invalid --read '${value}'`);
        read = false;
        break;
      case 'keepalive':
        keepalive = true;
        break;
      case 'defer-accept':
        if (!/^[0-9]+$/.test(value) || Number(value) > 0x7fffffff) {
          return usage(`invalid --defer-accept '${value}'`);
        }
        deferAccept = Number(value);
        break;
      case 'v':
        verbose = true;
        break;
    }
  }
  if (port === undefined) return usage('a port is required (-p PORT)');
  if (parsed.args.operands.length > 0)
    return usage(`unexpected argument '${parsed.args.operands[0]}'`);

  const log = (event: string): void => {
    if (!verbose) return;
    const t = proc.now;
    const us = Math.floor((t % NS_PER_S) / NS_PER_US);
    proc.stdout.write(`[${Math.floor(t / NS_PER_S)}.${String(us).padStart(6, '0')}] ${event}\n`);
  };
  const so = proc.sockets;
  const lfd = so.socket();
  so.setsockopt(lfd, 'SO_REUSEADDR', true);
  if (deferAccept !== undefined) so.setsockopt(lfd, 'TCP_DEFER_ACCEPT', deferAccept);
  const b = so.bind(lfd, 0, port);
  if (isError(b)) {
    proc.stderr.write(`tcp-server: bind: ${b.description}\n`);
    return 1;
  }
  const l = so.listen(lfd, backlog);
  if (isError(l)) {
    proc.stderr.write(`tcp-server: listen: ${l.description}\n`);
    return 1;
  }
  log(
    `listening on 0.0.0.0:${port} backlog ${backlog}` +
      (deferAccept !== undefined ? ` defer-accept ${deferAccept}` : ''),
  );
  if (accept.kind === 'never') {
    // Wait to be killed: a sleep as long as the simulation can go.
    for (;;) await proc.sleep(3600 * NS_PER_S);
  }
  for (;;) {
    if (accept.kind === 'slow') await proc.sleep(accept.every);
    const c = await proc.wait(so.accept(lfd));
    if (isError(c)) return 1;
    log(`accepted ${formatIpv4Address(c.address)}:${c.port} fd ${c.fd}`);
    if (keepalive) so.setsockopt(c.fd, 'SO_KEEPALIVE', true);
    hold(serve(proc, c.fd, `${formatIpv4Address(c.address)}:${c.port}`, close, read, reply, log));
  }
}

async function serve(
  proc: Proc,
  fd: number,
  peer: string,
  close: CloseMode,
  read: boolean,
  reply: string | undefined,
  log: (event: string) => void,
): Promise<void> {
  const so = proc.sockets;
  if (reply !== undefined) {
    const w = await proc.wait(so.write(fd, bytes(`${reply}\n`)));
    if (isError(w)) log(`write ${peer}: ${w.description}`);
  }
  if (close.kind === 'immediate') {
    so.close(fd);
    log(`closed ${peer}`);
    return;
  }
  if (close.kind === 'after') {
    await proc.sleep(close.delay);
    so.close(fd);
    log(`closed ${peer}`);
    return;
  }
  // never: read and discard (unless --read never); at the peer's FIN stay in CLOSE_WAIT.
  if (!read) return;
  for (;;) {
    const data = await proc.wait(so.read(fd));
    if (isError(data)) {
      log(`error ${peer}: ${data.description}`);
      return;
    }
    if (data.length === 0) {
      log(`peer closed ${peer} (not closing)`);
      return;
    }
  }
}
