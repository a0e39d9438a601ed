/**
 * What the client and server programs share: name and service resolution as
 * glibc does it on a lab host (`hosts: files` — /etc/hosts, which a lab fills
 * with every host, and dotted quads; no DNS), stdio buffering, and the small
 * plumbing of waiting on several things at once.
 *
 * Waiting on two things. A program that reads both its terminal and a socket
 * keeps one outstanding promise per source (Input.read and a blocking socket
 * read may each be asked only once at a time) and races them; `hold` marks a
 * promise as handled so that a source left waiting when the process is killed
 * does not surface as an unhandled rejection.
 */

import { portToService, serviceToPort } from '../../capture/netdb.js';
import type { Host } from '../../host/host.js';
import { SocketError } from '../../host/socket.js';
import { errnoCode, strerror } from '../../host/socket-errors.js';
import type { Output } from '../../os/streams.js';
import { formatIpv4Address, type Ipv4Address, parseIpv4Address } from '../../wire/address.js';

export { portToService, serviceToPort };

const encoder = new TextEncoder();
const decoder = new TextDecoder('latin1');

export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Bytes as Latin-1 text: every byte survives (HTTP headers, telnet's IAC bytes). */
export function latin1(data: Uint8Array): string {
  return decoder.decode(data);
}

/** Latin-1 text back to bytes. */
export function fromLatin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

export function isError(v: unknown): v is SocketError {
  return v instanceof SocketError;
}

/** strerror(3) of a positive errno (what SO_ERROR reads). */
export function errnoText(errno: number): string {
  const code = errnoCode(errno);
  return code === undefined ? `Unknown error ${errno}` : strerror(code);
}

/** Marks `p` as handled (its rejection is seen by whoever awaits it later), and returns it. */
export function hold<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

/**
 * getaddrinfo(name, AF_INET) with `hosts: files`: a dotted quad (inet_aton's
 * forms that parseIpv4Address takes), else the host's /etc/hosts, whose names
 * glibc compares without regard to case (nss_files: __strcasecmp).
 */
export function resolveHost(host: Host, name: string): Ipv4Address | undefined {
  const numeric = parseIpv4Address(name);
  if (numeric.ok) return numeric.value;
  const lower = name.toLowerCase();
  for (const [n, addr] of host.etcHosts) if (n.toLowerCase() === lower) return addr;
  return undefined;
}

/** getnameinfo(addr) without NI_NUMERICHOST: the first /etc/hosts name, else the dotted quad. */
export function reverseName(host: Host, addr: Ipv4Address): string {
  for (const [n, a] of host.etcHosts) if (a === addr) return n;
  return formatIpv4Address(addr);
}

/**
 * A C program's stdout: line-buffered on a terminal, fully buffered otherwise
 * (glibc stdio), so that a pipe or file receives it only at `flush` — which is
 * why linux-traces' client-telnet.txt shows telnet's stderr line before its
 * `Trying …` line when the connection fails.
 */
export class StdioBuffer {
  readonly #out: Output;
  #pending = '';

  constructor(out: Output) {
    this.#out = out;
  }

  write(text: string): void {
    if (this.#out.isTerminal) this.#out.write(text);
    else this.#pending += text;
  }

  flush(): void {
    if (this.#pending === '') return;
    this.#out.write(this.#pending);
    this.#pending = '';
  }
}

/** A result of Promise.race over tagged sources. */
export type Tagged<K extends string, V> = { readonly kind: K; readonly value: V };

export function tag<K extends string, V>(kind: K, p: Promise<V>): Promise<Tagged<K, V>> {
  return p.then((value) => ({ kind, value }));
}
