/**
 * `nginx` as Debian 12's nginx 1.22.1 with its default site: a static HTTP/1.1
 * server on 0.0.0.0:80 serving /var/www/html (the "Welcome to nginx!" page at
 * `/`), started as a daemon.
 *
 * Followed (nginx 1.22.1 source; outputs checked against the real one in
 * test/tools/apps/fixtures/real/{nginx,http,curl}-*):
 * - command line: src/core/nginx.c ngx_get_options (`nginx: invalid option:
 *   "Z"`, `-s stop|quit|reopen|reload`, `-t`, `-v`, `-g "daemon off;"`);
 *   ngx_signal_process via the pid file /run/nginx.pid, with the error log
 *   lines `… [notice] PID#PID: signal process started` and `… [error] …
 *   open() "/run/nginx.pid" failed (2: No such file or directory)`;
 * - start: src/core/ngx_connection.c ngx_open_listening_sockets: SO_REUSEADDR,
 *   bind, five tries 500 ms apart, `nginx: [emerg] bind() to 0.0.0.0:80 failed
 *   (98: Address already in use)` each time, then `nginx: [emerg] still could
 *   not bind()`, exit 1; listen backlog 511 (NGX_LISTEN_BACKLOG); daemonized
 *   (the command returns 0 at once, a master process keeps the socket);
 * - requests: src/http/ngx_http_request.c and ngx_http_parse.c: a method of
 *   capital letters (anything else is `400 Bad Request` at once), HTTP/0.9
 *   (`GET /` alone: the body, no headers), HTTP/1.x, `505` for other
 *   versions, HTTP/1.1 without Host → 400; GET and HEAD of files (index
 *   index.html index.htm index.nginx-debian.html; try_files $uri $uri/ =404),
 *   other methods → `405 Not Allowed`, with their body discarded;
 * - headers: ngx_http_header_filter_module.c (order Server, Date,
 *   Content-Type, Content-Length, Last-Modified, Connection, ETag,
 *   Accept-Ranges; ETag "mtime-length" in hex), error pages from
 *   ngx_http_special_response.c, Connection: keep-alive for HTTP/1.1 unless
 *   `Connection: close`, and for HTTP/1.0 only with `Connection: keep-alive`;
 *   statuses 400 and 505 always close;
 * - timeouts: client_header_timeout 60 s for a request's header (a client
 *   that sends nothing is closed without a response: the 408 is only logged),
 *   keepalive_timeout 65 s between requests, and the lingering close of
 *   ngx_http_set_lingering_close when the client may still be sending
 *   (unread bytes after a request that closes): shutdown(SHUT_WR), then
 *   read and discard until end of file, 5 s without data (lingering_timeout)
 *   or 30 s in all (lingering_time), then close;
 * - an access log in /var/log/nginx/access.log (the combined format).
 * DEVIATIONS (docs/tools-apps.md): IPv4 only (Debian's site also listens on
 * [::]:80, so the real one prints each bind() error twice, once per family);
 * one master process and no workers; files have no mtime in tcplab, so a
 * file's Last-Modified is the first time nginx served that content (the
 * default page's is the lab's start).
 */

import type { SysResult } from '../../host/socket.js';
import type { HostFs } from '../../os/fs.js';
import { FsError } from '../../os/fs.js';
import type { Command, Proc } from '../../os/process.js';
import { NULL_INPUT, NULL_OUTPUT } from '../../os/streams.js';
import { ms, NS_PER_S, s } from '../../sim/time.js';
import { formatIpv4Address, type Ipv4Address } from '../../wire/address.js';
import { bytes, fromLatin1, hold, isError, latin1, tag } from './common.js';
import {
  DEBIAN_INDEX_PAGE,
  errorLogTime,
  errorPage,
  httpDate,
  logTime,
  mimeType,
  NGINX_VERSION,
  STATUS_TEXT,
} from './http.js';

const PID_FILE = '/run/nginx.pid';
const ROOT = '/var/www/html';
const INDEX = ['index.html', 'index.htm', 'index.nginx-debian.html'];
const ACCESS_LOG = '/var/log/nginx/access.log';
/** NGX_LISTEN_BACKLOG on Linux. */
const LISTEN_BACKLOG = 511;
const CLIENT_HEADER_TIMEOUT = s(60);
const KEEPALIVE_TIMEOUT = s(65);
const LINGERING_TIMEOUT = s(5);
const LINGERING_TIME = s(30);
/** large_client_header_buffers 4 8k: a request line or header longer than 8 KiB is refused. */
const MAX_HEADER = 4 * 8192;

const SIGNALS = { stop: 'SIGTERM', quit: 'SIGQUIT', reopen: 'SIGUSR1', reload: 'SIGHUP' } as const;
const SIGNAL_NUMBERS = { SIGTERM: 15, SIGQUIT: 3, SIGUSR1: 10, SIGHUP: 1 } as const;

export const nginx: Command = async (proc) => {
  let signal: keyof typeof SIGNALS | undefined;
  let daemon = true;
  let test = false;
  const args = proc.argv.slice(1);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-')) return invalid(proc, `"${a}"`);
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      const rest = (what: string): string | undefined => {
        if (j + 1 < a.length) return a.slice(j + 1);
        if (i + 1 < args.length) return args[++i];
        proc.stderr.write(`nginx: option "-${c}" requires ${what}\n`);
        return undefined;
      };
      if (c === 'v' || c === 'V') {
        proc.stderr.write(`nginx version: ${NGINX_VERSION}\n`);
        return 0;
      }
      if (c === 't' || c === 'T' || c === 'q') {
        test = test || c !== 'q';
        continue;
      }
      if (c === '?' || c === 'h') {
        proc.stderr.write(`nginx version: ${NGINX_VERSION}\n${HELP}`);
        return 0;
      }
      if (c === 's') {
        const v = rest('parameter');
        if (v === undefined) return 1;
        if (!(v in SIGNALS)) return invalid(proc, `"-s ${v}"`);
        signal = v as keyof typeof SIGNALS;
        break;
      }
      if (c === 'g') {
        const v = rest('parameter');
        if (v === undefined) return 1;
        if (/^\s*daemon\s+off\s*;\s*$/.test(v)) daemon = false;
        break;
      }
      if (c === 'p' || c === 'e' || c === 'c') {
        const v = rest(c === 'p' ? 'directory name' : 'file name');
        if (v === undefined) return 1;
        break;
      }
      return invalid(proc, `"${c}"`);
    }
  }
  if (test) {
    proc.stderr.write(
      'nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n' +
        'nginx: configuration file /etc/nginx/nginx.conf test is successful\n',
    );
    return 0;
  }
  if (signal !== undefined) return signalProcess(proc, signal);
  return start(proc, daemon);
};

const HELP =
  'Usage: nginx [-?hvVtTq] [-s signal] [-p prefix]\n' +
  '             [-e filename] [-c filename] [-g directives]\n\n' +
  'Options:\n' +
  '  -?,-h         : this help\n' +
  '  -v            : show version and exit\n' +
  '  -V            : show version and configure options then exit\n' +
  '  -t            : test configuration and exit\n' +
  '  -T            : test configuration, dump it and exit\n' +
  '  -q            : suppress non-error messages during configuration testing\n' +
  '  -s signal     : send signal to a master process: stop, quit, reopen, reload\n' +
  '  -p prefix     : set prefix path (default: /usr/share/nginx/)\n' +
  '  -e filename   : set error log file (default: stderr)\n' +
  '  -c filename   : set configuration file (default: /etc/nginx/nginx.conf)\n' +
  '  -g directives : set global directives out of configuration file\n\n';

function invalid(proc: Proc, what: string): number {
  proc.stderr.write(`nginx: invalid option: ${what}\n`);
  return 1;
}

/** ngx_signal_process: the pid from /run/nginx.pid, then kill(2). */
function signalProcess(proc: Proc, name: keyof typeof SIGNALS): number {
  const when = errorLogTime(proc.wallClock().seconds);
  const me = `${proc.pid}#${proc.pid}`;
  proc.stderr.write(`${when} [notice] ${me}: signal process started\n`);
  const text = proc.fs.readText(PID_FILE);
  if (text instanceof FsError) {
    const errno = text.errno === 'ENOENT' ? 2 : 13;
    proc.stderr.write(
      `${when} [error] ${me}: open() "${PID_FILE}" failed (${errno}: ${text.message})\n`,
    );
    return 1;
  }
  const trimmed = text.replace(/[\r\n]+$/, '');
  if (!/^[0-9]+$/.test(trimmed)) {
    proc.stderr.write(`${when} [error] ${me}: invalid PID number "${trimmed}" in "${PID_FILE}"\n`);
    return 1;
  }
  const sig = SIGNALS[name];
  if (!proc.system.kill(proc.host, Number(trimmed), sig)) {
    proc.stderr.write(
      `${when} [alert] ${me}: kill(${trimmed}, ${SIGNAL_NUMBERS[sig]}) failed (3: No such process)\n`,
    );
    return 1;
  }
  return 0;
}

/** Files nginx's package installs, if the lab has not written its own. */
function install(fs: HostFs): void {
  fs.mkdirs(ROOT);
  fs.mkdirs('/var/log/nginx');
  fs.mkdirs('/run');
  if (fs.stat(`${ROOT}/index.nginx-debian.html`) instanceof FsError) {
    fs.writeFile(`${ROOT}/index.nginx-debian.html`, DEBIAN_INDEX_PAGE);
  }
}

/** Start: bind (five tries), then daemonize a master process that owns the listener. */
async function start(proc: Proc, daemon: boolean): Promise<number> {
  install(proc.fs);
  const so = proc.sockets;
  for (let tries = 5; tries > 0; tries--) {
    const fd = so.socket();
    so.setsockopt(fd, 'SO_REUSEADDR', true);
    const r = so.bind(fd, 0, 80);
    so.close(fd);
    if (!isError(r)) {
      if (!daemon) return master(proc);
      const p = proc.system.spawn(proc.host, master, {
        argv: ['nginx: master process nginx'],
        comm: 'nginx',
        stdin: NULL_INPUT,
        stdout: NULL_OUTPUT,
        stderr: NULL_OUTPUT,
        ppid: 1,
      });
      proc.fs.writeFile(PID_FILE, `${p.pid}\n`);
      return 0;
    }
    proc.stderr.write(
      `nginx: [emerg] bind() to 0.0.0.0:80 failed (${-r.errno}: ${r.description})\n`,
    );
    await proc.sleep(ms(500));
  }
  proc.stderr.write('nginx: [emerg] still could not bind()\n');
  return 1;
}

/** Epoch seconds at which nginx first saw each file content (tcplab files have no mtime). */
const mtimes = new WeakMap<Uint8Array, number>();

/** The master process: accept and serve until SIGTERM/SIGINT (fast) or SIGQUIT (graceful). */
const master: Command = async (proc) => {
  const so = proc.sockets;
  const lfd = so.socket();
  so.setsockopt(lfd, 'SO_REUSEADDR', true);
  if (isError(so.bind(lfd, 0, 80))) return 1;
  so.listen(lfd, LISTEN_BACKLOG);
  if (proc.fs.readText(PID_FILE) instanceof FsError) proc.fs.writeFile(PID_FILE, `${proc.pid}\n`);
  const startedAt = proc.wallClock().seconds - Math.floor(proc.now / NS_PER_S);
  const page = proc.fs.readFile(`${ROOT}/index.nginx-debian.html`);
  if (!(page instanceof FsError) && !mtimes.has(page)) mtimes.set(page, startedAt);
  const connections = new Set<number>();
  let exiting = false;
  const stop = (): void => {
    if (exiting) return;
    exiting = true;
    so.close(lfd);
    for (const fd of connections) so.close(fd);
    connections.clear();
    proc.fs.unlink(PID_FILE);
  };
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const) proc.trap(sig, stop);
  proc.trap('SIGHUP', () => {});
  proc.trap('SIGUSR1', () => {});
  for (;;) {
    const c = await proc.wait(so.accept(lfd));
    if (isError(c)) return 0;
    connections.add(c.fd);
    hold(
      new HttpConnection(proc, c.fd, c.address).serve().then(() => {
        if (connections.delete(c.fd)) so.close(c.fd);
      }),
    );
  }
};

interface Request {
  readonly line: string;
  readonly method: string;
  readonly uri: string;
  /** 9, 10 or 11. */
  readonly version: number;
  readonly headers: ReadonlyMap<string, string>;
}

type Parse =
  | { readonly kind: 'more' }
  | { readonly kind: 'error'; readonly status: number; readonly line: string }
  | { readonly kind: 'request'; readonly request: Request; readonly length: number };

/** One client connection (ngx_http_connection_t and its requests). */
class HttpConnection {
  readonly #proc: Proc;
  readonly #fd: number;
  readonly #peer: Ipv4Address;
  /** What was received and not yet consumed, as Latin-1. */
  #buffer = '';
  #eof = false;
  #read: Promise<SysResult<Uint8Array>> | undefined;

  constructor(proc: Proc, fd: number, peer: Ipv4Address) {
    this.#proc = proc;
    this.#fd = fd;
    this.#peer = peer;
  }

  async serve(): Promise<void> {
    const proc = this.#proc;
    // ngx_http_init_connection: the first request's header within client_header_timeout.
    let deadline = proc.now + CLIENT_HEADER_TIMEOUT;
    for (;;) {
      let parsed = parseRequest(this.#buffer);
      while (parsed.kind === 'more') {
        if (this.#eof) return;
        if (!(await this.#fill(deadline))) return;
        parsed = parseRequest(this.#buffer);
      }
      if (parsed.kind === 'error') {
        await this.#respond(parsed.status, undefined, parsed.line, false, 'GET');
        return this.#finalClose();
      }
      this.#buffer = this.#buffer.slice(parsed.length);
      const keepalive = await this.#handle(parsed.request);
      if (!keepalive) return this.#finalClose();
      // ngx_http_set_keepalive: wait keepalive_timeout for the next request.
      if (this.#buffer === '') {
        if (this.#eof) return;
        if (!(await this.#fill(proc.now + KEEPALIVE_TIMEOUT))) return;
      }
      deadline = proc.now + CLIENT_HEADER_TIMEOUT;
    }
  }

  /** Reads more into the buffer before `deadline`; false at a timeout or an error. */
  async #fill(deadline: number): Promise<boolean> {
    const proc = this.#proc;
    this.#read ??= hold(proc.wait(proc.sockets.read(this.#fd)));
    const r = await Promise.race([
      tag('data', this.#read),
      tag('timeout', proc.sleep(Math.max(0, deadline - proc.now))),
    ]);
    if (r.kind === 'timeout') return false;
    this.#read = undefined;
    const data = r.value;
    if (isError(data)) return false;
    if (data.length === 0) this.#eof = true;
    else this.#buffer += latin1(data);
    return true;
  }

  /** Serves a parsed request; whether the connection stays open. */
  async #handle(req: Request): Promise<boolean> {
    if (req.version === 9) {
      const file = this.#lookup(req.uri);
      if (file.status === 200) {
        await this.#write(file.data);
        this.#log(req.line, 200, file.data.length, req);
      }
      return false;
    }
    const conn = (req.headers.get('connection') ?? '').toLowerCase();
    const keepalive = req.version === 11 ? !/\bclose\b/.test(conn) : /\bkeep-alive\b/.test(conn);
    const length = Number(req.headers.get('content-length') ?? '0');
    // ngx_http_discard_request_body: the body is read and dropped.
    if (Number.isInteger(length) && length > 0) {
      while (this.#buffer.length < length && !this.#eof) {
        if (!(await this.#fill(this.#proc.now + CLIENT_HEADER_TIMEOUT))) return false;
      }
      this.#buffer = this.#buffer.slice(length);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      await this.#respond(405, req, req.line, keepalive, req.method);
      return keepalive;
    }
    const file = this.#lookup(req.uri);
    if (file.status !== 200) {
      await this.#respond(file.status, req, req.line, keepalive, req.method, file.location);
      return keepalive;
    }
    const mtime = this.#mtime(file.data);
    const head =
      `HTTP/1.1 200 OK\r\nServer: ${NGINX_VERSION}\r\n` +
      `Date: ${httpDate(this.#proc.wallClock().seconds)}\r\n` +
      `Content-Type: ${mimeType(file.path)}\r\nContent-Length: ${file.data.length}\r\n` +
      `Last-Modified: ${httpDate(mtime)}\r\n` +
      `Connection: ${keepalive ? 'keep-alive' : 'close'}\r\n` +
      `ETag: "${mtime.toString(16)}-${file.data.length.toString(16)}"\r\n` +
      'Accept-Ranges: bytes\r\n\r\n';
    const body = req.method === 'HEAD' ? new Uint8Array(0) : file.data;
    const out = new Uint8Array(head.length + body.length);
    out.set(fromLatin1(head));
    out.set(body, head.length);
    await this.#write(out);
    this.#log(req.line, 200, body.length, req);
    return keepalive;
  }

  #mtime(data: Uint8Array): number {
    let t = mtimes.get(data);
    if (t === undefined) {
      t = this.#proc.wallClock().seconds;
      mtimes.set(data, t);
    }
    return t;
  }

  /** The file for a URI under the root: try_files $uri $uri/ =404, then index. */
  #lookup(
    uri: string,
  ):
    | { status: 200; path: string; data: Uint8Array; location?: undefined }
    | { status: 301 | 403 | 404; location?: string } {
    const fs = this.#proc.fs;
    let path = uri.split('?')[0]!;
    try {
      path = decodeURIComponent(path);
    } catch {
      return { status: 404 };
    }
    const full = `${ROOT}${path}`;
    const kind = fs.stat(full);
    if (kind === 'file') {
      const data = fs.readFile(full);
      if (data instanceof FsError) return { status: 404 };
      return { status: 200, path: full, data };
    }
    if (kind === 'directory') {
      if (!path.endsWith('/')) return { status: 301, location: `${path}/` };
      for (const name of INDEX) {
        const data = fs.readFile(`${full}${name}`);
        if (!(data instanceof FsError)) return { status: 200, path: `${full}${name}`, data };
      }
      return { status: 403 };
    }
    return { status: 404 };
  }

  /** An error (or redirect) response: nginx's page; HEAD gets the headers only. */
  async #respond(
    status: number,
    req: Request | undefined,
    line: string,
    keepalive: boolean,
    method: string,
    location?: string,
  ): Promise<void> {
    const page = errorPage(status);
    const host = req?.headers.get('host') ?? formatIpv4Address(this.#localAddr());
    let head =
      `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nServer: ${NGINX_VERSION}\r\n` +
      `Date: ${httpDate(this.#proc.wallClock().seconds)}\r\n` +
      `Content-Type: text/html\r\nContent-Length: ${page.length}\r\n`;
    if (location !== undefined) head += `Location: http://${host}${location}\r\n`;
    head += `Connection: ${keepalive ? 'keep-alive' : 'close'}\r\n\r\n`;
    const body = method === 'HEAD' ? '' : page;
    await this.#write(bytes(head + body));
    this.#log(line, status, body.length, req);
  }

  #localAddr(): Ipv4Address {
    const r = this.#proc.sockets.getsockname(this.#fd);
    return isError(r) ? 0 : r.address;
  }

  async #write(data: Uint8Array): Promise<void> {
    await this.#proc.wait(this.#proc.sockets.write(this.#fd, data));
  }

  /** The combined log format of Debian's nginx.conf. */
  #log(line: string, status: number, sent: number, req: Request | undefined): void {
    const q = (v: string | undefined): string => (v === undefined || v === '' ? '-' : v);
    const text =
      `${formatIpv4Address(this.#peer)} - - [${logTime(this.#proc.wallClock().seconds)}] ` +
      `"${line}" ${status} ${sent} "${q(req?.headers.get('referer'))}" ` +
      `"${q(req?.headers.get('user-agent'))}"\n`;
    this.#proc.fs.writeFile(ACCESS_LOG, text, { append: true });
  }

  /**
   * ngx_http_finalize_connection without keepalive: a lingering close when the
   * client may still be sending (bytes left unread), else close().
   */
  async #finalClose(): Promise<void> {
    const proc = this.#proc;
    const so = proc.sockets;
    if (this.#buffer === '' || this.#eof) return;
    so.shutdown(this.#fd, 'SHUT_WR');
    this.#buffer = '';
    const until = proc.now + LINGERING_TIME;
    while (!this.#eof && proc.now < until) {
      if (!(await this.#fill(Math.min(until, proc.now + LINGERING_TIMEOUT)))) return;
      this.#buffer = '';
    }
  }
}

/**
 * ngx_http_parse_request_line and ngx_http_parse_header_line, on the whole
 * header at once: `more` until it is complete (CR LF or LF line ends), an
 * error status as soon as the method shows a non-capital letter.
 */
export function parseRequest(buffer: string): Parse {
  // Empty lines before a request line are skipped (ngx_http_parse_request_line sw_start).
  const start = /^(\r?\n)*/.exec(buffer)![0].length;
  const text = buffer.slice(start);
  const methodEnd = text.search(/[^A-Z_]/);
  if (methodEnd === 0 || (methodEnd > 0 && text[methodEnd] !== ' ')) {
    return { kind: 'error', status: 400, line: firstLine(text) };
  }
  const eol = text.indexOf('\n');
  if (eol < 0) {
    if (text.length > MAX_HEADER) return { kind: 'error', status: 414, line: firstLine(text) };
    return { kind: 'more' };
  }
  const line = text.slice(0, eol).replace(/\r$/, '');
  const m = /^([A-Z_]+) +(\S+)(?: +HTTP\/(\d+)\.(\d+))? *$/.exec(line);
  if (m === null || !m[2]!.startsWith('/')) return { kind: 'error', status: 400, line };
  const method = m[1]!;
  const uri = m[2]!;
  if (m[3] === undefined) {
    // HTTP/0.9: only GET (ngx_http_process_request_line: "client sent invalid method in HTTP/0.9").
    if (method !== 'GET') return { kind: 'error', status: 400, line };
    const request = { line, method, uri, version: 9, headers: new Map<string, string>() };
    return { kind: 'request', request, length: start + eol + 1 };
  }
  const major = Number(m[3]);
  const minor = Number(m[4]);
  if (major !== 1 || m[3]!.length > 3 || m[4]!.length > 3) {
    return { kind: 'error', status: major > 1 ? 505 : 400, line };
  }
  const end = /\r?\n\r?\n/.exec(text);
  if (end === null) {
    if (text.length > MAX_HEADER) return { kind: 'error', status: 400, line };
    return { kind: 'more' };
  }
  const headers = new Map<string, string>();
  let hosts = 0;
  for (const h of text.slice(eol + 1, end.index).split(/\r?\n/)) {
    const colon = h.indexOf(':');
    // ignore_invalid_headers on: a line that is no header is skipped.
    if (colon <= 0 || !/^[A-Za-z0-9-]+$/.test(h.slice(0, colon))) continue;
    const name = h.slice(0, colon).toLowerCase();
    if (name === 'host') hosts++;
    headers.set(name, h.slice(colon + 1).trim());
  }
  const version = minor === 0 ? 10 : 11;
  // ngx_http_process_request_header: "client sent HTTP/1.1 request without "Host" header".
  if ((version === 11 && hosts === 0) || hosts > 1) return { kind: 'error', status: 400, line };
  const request = { line, method, uri, version, headers };
  return { kind: 'request', request, length: start + end.index + end[0].length };
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.replace(/\r$/, '');
}
