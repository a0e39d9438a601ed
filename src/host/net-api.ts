/**
 * Node's `net` module for programs running on a virtual host: `createServer`,
 * `connect`, and a `Socket` with `write`, `end`, `destroy`, `setNoDelay`,
 * `setKeepAlive` and the events `connect`, `ready`, `data`, `end`, `close`,
 * `error`; a `Server` with `listen`, `close`, `address` and the events
 * `listening`, `connection`, `close`, `error`. Errors carry Node's `code`,
 * `errno`, `syscall`, `address` and `port`.
 *
 * A thin layer over socket.ts: every Socket and Server is a non-blocking fd,
 * driven by poll() as libuv drives its handles with epoll. Events are emitted
 * synchronously, from inside the simulation event that causes them (the
 * segment's arrival, a timer), never from a microtask, so that a test or a lab
 * stepping the event queue sees them in order. The emitter is tcplab's own
 * (no node:events: src/host does no I/O and imports no node module).
 *
 * DEVIATION(node): data arrives as Uint8Array, not Buffer; a missing 'error'
 * listener does not throw (the error is kept in `lastError`); `write` returns
 * false whenever bytes had to be queued (no highWaterMark).
 */

import type { Ipv4Address } from '../wire/address.js';
import { formatIpv4Address } from '../wire/address.js';
import type { Host } from './host.js';
import {
  Pending,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLOUT,
  SocketError,
  type SocketTable,
} from './socket.js';
import { errnoCode } from './socket-errors.js';

/** A small typed event emitter: listeners run synchronously, in the order added. */
export class Emitter<E extends { [K in keyof E]: unknown[] }> {
  // Listeners are kept untyped inside; on/once/off/emit are typed per event.
  readonly #listeners = new Map<keyof E, { fn: Listener; once: boolean }[]>();

  on<K extends keyof E>(name: K, fn: (...args: E[K]) => void): this {
    this.#add(name, fn as unknown as Listener, false);
    return this;
  }

  once<K extends keyof E>(name: K, fn: (...args: E[K]) => void): this {
    this.#add(name, fn as unknown as Listener, true);
    return this;
  }

  off<K extends keyof E>(name: K, fn: (...args: E[K]) => void): this {
    const list = this.#listeners.get(name);
    const i = list?.findIndex((l) => l.fn === (fn as unknown as Listener)) ?? -1;
    if (i >= 0) list!.splice(i, 1);
    return this;
  }

  listenerCount<K extends keyof E>(name: K): number {
    return this.#listeners.get(name)?.length ?? 0;
  }

  /** Calls the listeners of `name`; true if there were any. */
  emit<K extends keyof E>(name: K, ...args: E[K]): boolean {
    const list = this.#listeners.get(name);
    if (list === undefined || list.length === 0) return false;
    for (const l of [...list]) {
      if (l.once) {
        const i = list.indexOf(l);
        if (i >= 0) list.splice(i, 1);
      }
      l.fn(...args);
    }
    return true;
  }

  #add<K extends keyof E>(name: K, fn: Listener, once: boolean): void {
    let list = this.#listeners.get(name);
    if (list === undefined) {
      list = [];
      this.#listeners.set(name, list);
    }
    list.push({ fn, once });
  }
}

type Listener = (...args: unknown[]) => void;

export interface SocketEvents {
  connect: [];
  ready: [];
  data: [Uint8Array];
  end: [];
  close: [hadError: boolean];
  error: [SocketError];
  drain: [];
}

export interface ServerEvents {
  listening: [];
  connection: [Socket];
  close: [];
  error: [SocketError];
}

export interface ConnectOptions {
  readonly host?: string;
  readonly port: number;
  readonly localAddress?: string;
  readonly localPort?: number;
  readonly noDelay?: boolean;
  readonly keepAlive?: boolean;
  /** Node's allowHalfOpen: keep our side open after the peer's FIN (default false). */
  readonly allowHalfOpen?: boolean;
}

const encoder = new TextEncoder();

function bytesOf(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? encoder.encode(data) : data;
}

/** A TCP connection, as Node's net.Socket. */
export class Socket extends Emitter<SocketEvents> {
  readonly #sockets: SocketTable;
  readonly #allowHalfOpen: boolean;
  #fd: number | undefined;
  /** Bytes written while connecting or while the send buffer was full. */
  readonly #queue: Uint8Array[] = [];
  #ending = false;
  #writableEnded = false;
  #readableEnded = false;
  #watching = false;
  #peer: Ipv4Address | undefined;
  connecting = false;
  destroyed = false;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  localAddress: string | undefined;
  localPort: number | undefined;
  /** An error emitted with nobody listening for 'error'. */
  lastError: SocketError | undefined;
  bytesRead = 0;
  bytesWritten = 0;

  /** @internal */
  constructor(sockets: SocketTable, fd: number | undefined, allowHalfOpen = false) {
    super();
    this.#sockets = sockets;
    this.#fd = fd;
    this.#allowHalfOpen = allowHalfOpen;
    if (fd !== undefined) this.#addresses();
  }

  /** The fd under this socket (for tools), until it is closed. */
  get fd(): number | undefined {
    return this.#fd;
  }

  /** @internal net.connect's work. */
  startConnect(o: ConnectOptions, host: Host): void {
    const s = this.#sockets;
    const address = host.resolve(o.host ?? 'localhost');
    if (address === undefined) {
      // Node: getaddrinfo ENOTFOUND; here the closest errno.
      this.#fail(new SocketError('EADDRNOTAVAIL', 'connect'));
      return;
    }
    const fd = s.socket({ nonBlocking: true });
    this.#fd = fd;
    if (o.noDelay) s.setsockopt(fd, 'TCP_NODELAY', true);
    if (o.keepAlive) s.setsockopt(fd, 'SO_KEEPALIVE', true);
    if (o.localAddress !== undefined || o.localPort !== undefined) {
      const la = o.localAddress !== undefined ? host.resolve(o.localAddress) : 0;
      const r = s.bind(fd, la ?? 0, o.localPort ?? 0);
      if (r instanceof SocketError) {
        this.#fail(r);
        return;
      }
    }
    this.connecting = true;
    const r = s.connect(fd, address, o.port);
    if (r instanceof SocketError && r.code !== 'EINPROGRESS') {
      this.#fail(new SocketError(r.code, 'connect', address, o.port));
      return;
    }
    this.#peer = address;
    this.remoteAddress = formatIpv4Address(address);
    this.remotePort = o.port;
    this.#watch();
  }

  /**
   * Starts an accepted socket's reading, once the 'connection' listeners have
   * attached theirs (data that came with the handshake is then emitted).
   * @internal
   */
  start(): void {
    this.#watch();
  }

  /** Queues `data`; false when it could not all be handed to TCP at once. */
  write(data: Uint8Array | string): boolean {
    if (this.destroyed || this.#ending) {
      this.#fail(new SocketError('EPIPE', 'write'));
      return false;
    }
    this.#queue.push(bytesOf(data));
    if (!this.connecting) this.#flushQueue();
    return this.#queue.length === 0;
  }

  /** Sends `data` if given, then a FIN once everything queued is out (shutdown(SHUT_WR)). */
  end(data?: Uint8Array | string): this {
    if (data !== undefined) this.write(data);
    if (this.#ending || this.destroyed) return this;
    this.#ending = true;
    if (!this.connecting) this.#flushQueue();
    return this;
  }

  /** Closes at once (close(2)); with `error`, 'error' is emitted first. */
  destroy(error?: SocketError): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    if (this.#fd !== undefined) this.#sockets.close(this.#fd);
    this.#fd = undefined;
    if (error !== undefined) this.#emitError(error);
    this.emit('close', error !== undefined);
    return this;
  }

  /** TCP_NODELAY. */
  setNoDelay(noDelay = true): this {
    if (this.#fd !== undefined) this.#sockets.setsockopt(this.#fd, 'TCP_NODELAY', noDelay);
    return this;
  }

  /** SO_KEEPALIVE. DEVIATION(node): the initial delay is tcp_keepalive_time, not settable yet. */
  setKeepAlive(enable = false): this {
    if (this.#fd !== undefined) this.#sockets.setsockopt(this.#fd, 'SO_KEEPALIVE', enable);
    return this;
  }

  #addresses(): void {
    const fd = this.#fd!;
    const me = this.#sockets.getsockname(fd);
    if (!(me instanceof SocketError)) {
      this.localAddress = formatIpv4Address(me.address);
      this.localPort = me.port;
    }
    const peer = this.#sockets.getpeername(fd);
    if (!(peer instanceof SocketError)) {
      this.remoteAddress = formatIpv4Address(peer.address);
      this.remotePort = peer.port;
    }
  }

  /** Waits (level-triggered) for what this socket needs next, as libuv's uv__io_start. */
  #watch(): void {
    if (this.#watching || this.destroyed || this.#fd === undefined) return;
    let events = 0;
    if (this.connecting || this.#queue.length > 0) events |= POLLOUT;
    if (!this.connecting && !this.#readableEnded) events |= POLLIN;
    if (events === 0) return;
    const r = this.#sockets.poll([{ fd: this.#fd, events }], -1);
    if (!(r instanceof Pending)) {
      if (!(r instanceof SocketError)) this.#ready(r[0]?.revents ?? 0);
      return;
    }
    this.#watching = true;
    r.onSettled((x) => {
      this.#watching = false;
      this.#ready(x instanceof SocketError ? 0 : (x[0]?.revents ?? 0));
    });
  }

  #ready(revents: number): void {
    if (this.destroyed || this.#fd === undefined) return;
    const fd = this.#fd;
    const s = this.#sockets;
    if (this.connecting) {
      if (!(revents & (POLLOUT | POLLERR | POLLHUP))) {
        this.#watch();
        return;
      }
      this.connecting = false;
      const err = s.getsockopt(fd, 'SO_ERROR');
      if (typeof err === 'number' && err !== 0) {
        this.destroy(
          new SocketError(errnoCode(err) ?? 'ECONNABORTED', 'connect', this.#peer, this.remotePort),
        );
        return;
      }
      this.#addresses();
      this.emit('connect');
      this.emit('ready');
      this.#flushQueue();
      if (this.destroyed) return;
    }
    if (revents & (POLLIN | POLLHUP | POLLERR)) this.#readAll();
    if (this.destroyed) return;
    this.#flushQueue();
    this.#watch();
  }

  #readAll(): void {
    const s = this.#sockets;
    while (!this.destroyed && this.#fd !== undefined && !this.#readableEnded) {
      const r = s.read(this.#fd);
      if (r instanceof SocketError) {
        if (r.code === 'EAGAIN') return;
        this.destroy(r);
        return;
      }
      if (!(r instanceof Uint8Array)) return;
      if (r.length === 0) {
        this.#readableEnded = true;
        this.emit('end');
        // Node without allowHalfOpen ends its side when the peer's FIN arrives.
        if (!this.#allowHalfOpen) this.end();
        this.#maybeClose();
        return;
      }
      this.bytesRead += r.length;
      this.emit('data', r);
    }
  }

  #flushQueue(): void {
    const fd = this.#fd;
    if (fd === undefined || this.destroyed || this.connecting) return;
    const s = this.#sockets;
    const hadQueue = this.#queue.length > 0;
    while (this.#queue.length > 0) {
      const chunk = this.#queue[0]!;
      const r = s.write(fd, chunk);
      if (r instanceof SocketError) {
        if (r.code === 'EAGAIN') break;
        this.destroy(r);
        return;
      }
      if (typeof r !== 'number') break;
      this.bytesWritten += r;
      if (r < chunk.length) {
        this.#queue[0] = chunk.subarray(r);
        break;
      }
      this.#queue.shift();
    }
    if (this.#queue.length > 0) {
      this.#watch();
      return;
    }
    if (hadQueue) this.emit('drain');
    if (this.#ending && !this.#writableEnded) {
      this.#writableEnded = true;
      s.shutdown(fd, 'SHUT_WR');
      this.#maybeClose();
    }
  }

  /** Both directions done: the handle closes (Node's onReadableStreamEnd + finish). */
  #maybeClose(): void {
    if (this.#readableEnded && this.#writableEnded) this.destroy();
  }

  #emitError(e: SocketError): void {
    if (!this.emit('error', e)) this.lastError = e;
  }

  #fail(e: SocketError): void {
    this.connecting = false;
    this.destroy(e);
  }
}

/** A listening socket, as Node's net.Server. */
export class Server extends Emitter<ServerEvents> {
  readonly #sockets: SocketTable;
  #fd: number | undefined;
  #watching = false;
  listening = false;
  lastError: SocketError | undefined;

  /** @internal */
  constructor(sockets: SocketTable, handler?: (socket: Socket) => void) {
    super();
    this.#sockets = sockets;
    if (handler !== undefined) this.on('connection', handler);
  }

  /**
   * listen(port[, host][, backlog]): libuv sets SO_REUSEADDR on every TCP
   * server socket (uv__tcp_bind), and Node's default backlog is 511.
   */
  listen(port: number, host?: string, backlog = 511): this {
    const s = this.#sockets;
    const address = host === undefined ? 0 : (s.host.resolve(host) ?? 0xffff_ffff);
    const fd = s.socket({ nonBlocking: true });
    s.setsockopt(fd, 'SO_REUSEADDR', true);
    const b = s.bind(fd, address, port);
    const l = b instanceof SocketError ? b : s.listen(fd, backlog);
    if (l instanceof SocketError) {
      s.close(fd);
      const e = new SocketError(l.code, 'listen', address, port);
      if (!this.emit('error', e)) this.lastError = e;
      return this;
    }
    this.#fd = fd;
    this.listening = true;
    this.emit('listening');
    this.#watch();
    return this;
  }

  /** The bound address, as Node's server.address(). */
  address(): { address: string; family: 'IPv4'; port: number } | null {
    if (this.#fd === undefined) return null;
    const a = this.#sockets.getsockname(this.#fd);
    if (a instanceof SocketError) return null;
    return { address: formatIpv4Address(a.address as Ipv4Address), family: 'IPv4', port: a.port };
  }

  /**
   * Stops listening (close(2) on the listener: unaccepted connections are reset).
   * DEVIATION(node): 'close' is emitted at once, not after the accepted
   * connections have ended.
   */
  close(): this {
    if (this.#fd === undefined) return this;
    this.#sockets.close(this.#fd);
    this.#fd = undefined;
    this.listening = false;
    this.emit('close');
    return this;
  }

  #watch(): void {
    if (this.#watching || this.#fd === undefined) return;
    const r = this.#sockets.poll([{ fd: this.#fd, events: POLLIN }], -1);
    if (Array.isArray(r)) {
      this.#acceptAll();
      return;
    }
    if (r instanceof SocketError) return;
    this.#watching = true;
    r.onSettled(() => {
      this.#watching = false;
      this.#acceptAll();
    });
  }

  #acceptAll(): void {
    const s = this.#sockets;
    while (this.#fd !== undefined) {
      const r = s.accept(this.#fd);
      if (r instanceof SocketError || !('fd' in r)) break;
      // libuv accepts with accept4(SOCK_NONBLOCK): a Socket never blocks. (A
      // blocking fd left a read pending that took data nobody would see.)
      s.setNonBlocking(r.fd, true);
      const sock = new Socket(s, r.fd);
      this.emit('connection', sock);
      sock.start();
    }
    this.#watch();
  }
}

/** `net` for one host. */
export class NetApi {
  readonly #host: Host;

  constructor(host: Host) {
    this.#host = host;
  }

  /** net.createServer([connectionListener]). */
  createServer(handler?: (socket: Socket) => void): Server {
    return new Server(this.#host.sockets, handler);
  }

  /** net.connect({ host, port }[, connectListener]). */
  connect(options: ConnectOptions, listener?: () => void): Socket {
    const sock = new Socket(this.#host.sockets, undefined, options.allowHalfOpen ?? false);
    if (listener !== undefined) sock.once('connect', listener);
    sock.startConnect(options, this.#host);
    return sock;
  }

  /** net.createConnection: the same as connect. */
  createConnection(options: ConnectOptions, listener?: () => void): Socket {
    return this.connect(options, listener);
  }
}
