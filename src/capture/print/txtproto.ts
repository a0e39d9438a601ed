/**
 * What tcpdump 4.99.3 prints after `length N` for TCP payloads it recognises
 * by port (print-tcp.c, the end of tcp_print), for the decoders tcplab has:
 * the text protocols of util-print.c txtproto_print (HTTP, FTP, SMTP, RTSP,
 * WHOIS), SSH's version banner (print-ssh.c), and RPKI-RTR (rpki.ts).
 * Ports whose decoder tcplab lacks print nothing more; the list is in
 * docs/tcpdump-differences.md.
 */

import { DONE, type Flow, isPrint, type PacketContext, TRUNCATED } from './context.js';
import { rpkiRtrPrint } from './rpki.js';

/** Well-known ports tcp_print dispatches on (tcpdump's *_PORT macros, IANA). */
const FTP_PORT = 21;
const SSH_PORT = 22;
const SMTP_PORT = 25;
const WHOIS_PORT = 43;
const HTTP_PORT = 80;
const RPKI_RTR_PORT = 323;
const RTSP_PORT = 554;
const HTTP_PORT_ALT = 8080;
const RTSP_PORT_ALT = 8554;

/**
 * print-http.c httpcmds: the request methods tcpdump 4.99.3 recognises (RFC
 * 2616, RFC 2518 WebDAV, RFC 3253 versioning, RFC 5323 SEARCH, and the
 * Microsoft Exchange WebDAV extensions); found by sending each candidate
 * through the binary. PATCH, ACL and ORDERPATCH are not among them.
 */
const HTTP_METHODS: readonly string[] = [
  'OPTIONS',
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'TRACE',
  'CONNECT',
  'PROPFIND',
  'PROPPATCH',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'UNLOCK',
  'VERSION-CONTROL',
  'REPORT',
  'CHECKOUT',
  'CHECKIN',
  'UNCHECKOUT',
  'MKWORKSPACE',
  'UPDATE',
  'LABEL',
  'MERGE',
  'BASELINE-CONTROL',
  'MKACTIVITY',
  'SEARCH',
  'NOTIFY',
  'SUBSCRIBE',
  'UNSUBSCRIBE',
  'POLL',
  'BCOPY',
  'BMOVE',
  'BDELETE',
  'BPROPFIND',
  'BPROPPATCH',
  'RPC_CONNECT',
  'CCM_POST',
];

/** print-rtsp.c rtspcmds (RFC 2326 10). */
const RTSP_METHODS: readonly string[] = [
  'DESCRIBE',
  'ANNOUNCE',
  'GET_PARAMETER',
  'OPTIONS',
  'PAUSE',
  'PLAY',
  'RECORD',
  'REDIRECT',
  'SETUP',
  'SET_PARAMETER',
  'TEARDOWN',
];

/**
 * Ports whose tcpdump decoder tcplab does not have; nothing is printed after
 * `length N` for them (see docs/tcpdump-differences.md).
 */
export const UNDECODED_TCP_PORTS: ReadonlySet<number> = new Set([
  23, // TELNET: telnet_print
  53, // DOMAIN: domain_print
  139, // NETBIOS-SSN: nbt_tcp_print
  179, // BGP: bgp_print
  445, // SMB: smb_tcp_print
  639, // MSDP: msdp_print
  646, // LDP: ldp_print
  1723, // PPTP: pptp_print
  2049, // NFS: nfsreq/nfsreply_noaddr_print
  6379, // REDIS: resp_print
  6633, // OpenFlow (old port): openflow_print
  6653, // OpenFlow (IANA): openflow_print
  10288, // BEEP: beep_print
]);

/**
 * The end of tcp_print: hand the payload of `length` bytes at `data` to the
 * decoder its ports choose, in tcpdump's order.
 */
export function appOverTcp(
  c: PacketContext,
  sport: number,
  dport: number,
  data: number,
  length: number,
): Flow {
  if (sport === SMTP_PORT || dport === SMTP_PORT) {
    c.out += ': ';
    return txtproto(c, 'smtp', data, length, null);
  }
  if (sport === WHOIS_PORT || dport === WHOIS_PORT) {
    c.out += ': ';
    return txtproto(c, 'whois', data, length, null);
  }
  if (sport === SSH_PORT || dport === SSH_PORT) return sshPrint(c, data, length);
  if (sport === FTP_PORT || dport === FTP_PORT) {
    c.out += ': ';
    return txtproto(c, 'ftp', data, length, null);
  }
  if (
    sport === HTTP_PORT ||
    dport === HTTP_PORT ||
    sport === HTTP_PORT_ALT ||
    dport === HTTP_PORT_ALT
  ) {
    c.out += ': ';
    return txtproto(c, 'http', data, length, HTTP_METHODS);
  }
  if (
    sport === RTSP_PORT ||
    dport === RTSP_PORT ||
    sport === RTSP_PORT_ALT ||
    dport === RTSP_PORT_ALT
  ) {
    c.out += ': ';
    return txtproto(c, 'rtsp', data, length, RTSP_METHODS);
  }
  if (sport === RPKI_RTR_PORT || dport === RPKI_RTR_PORT) return rpkiRtrPrint(c, data, length);
  return DONE;
}

/** util-print.c MAX_TOKEN: longest command or response-code token. */
const MAX_TOKEN = 128;

/**
 * util-print.c fetch_token: the token at `idx` (printable ASCII up to a
 * space, tab, CR or LF) and the index after the blanks that follow it, or
 * undefined when there is no token (`return 0`).
 */
function fetchToken(
  c: PacketContext,
  p: number,
  idx: number,
  len: number,
): { token: string; next: number } | undefined {
  let token = '';
  for (; idx < len; idx++) {
    if (!c.has(p + idx, 1)) return undefined;
    const ch = c.u8(p + idx);
    if (ch > 0x7f) return undefined;
    if (ch === 0x20 || ch === 0x09 || ch === 0x0d || ch === 0x0a) break;
    if (!isPrint(ch)) return undefined;
    // No room for this character and the terminating NUL in a 129-byte buffer.
    if (token.length + 2 > MAX_TOKEN + 1) return undefined;
    token += String.fromCharCode(ch);
  }
  if (token === '') return undefined;
  for (; idx < len; idx++) {
    if (!c.has(p + idx, 1)) break;
    const ch = c.u8(p + idx);
    if (ch === 0x0d || ch === 0x0a) break;
    if (!isPrint(ch)) break;
    if (ch !== 0x20 && ch !== 0x09) break;
  }
  return { token, next: idx };
}

/**
 * util-print.c print_txt_line: prints `prefix` and the line starting at `idx`
 * without its LF or CRLF. Returns the index after the line ending, 0 if the
 * line has binary data or no ending (a line without an ending is still
 * printed, followed by ` [|proto]`), or -1 for a longjmp (a byte beyond the
 * capture).
 */
function printTxtLine(
  c: PacketContext,
  prefix: string,
  p: number,
  idx: number,
  len: number,
): number {
  const start = idx;
  while (idx < len) {
    if (!c.has(p + idx, 1)) return -1;
    const ch = c.u8(p + idx);
    if (ch === 0x0a) {
      c.out += prefix + latin1(c, p + start, idx - start);
      return idx + 1;
    }
    if (ch === 0x0d) {
      if (idx + 1 >= len) return 0;
      if (!c.has(p + idx + 1, 1)) return -1;
      if (c.u8(p + idx + 1) === 0x0a) {
        c.out += prefix + latin1(c, p + start, idx - start);
        return idx + 2;
      }
      return 0;
    }
    if (!isPrint(ch) && ch !== 0x09) return 0;
    idx++;
  }
  // All printable, but no line ending: tcpdump prints it as truncated.
  c.out += prefix + latin1(c, p + start, idx - start);
  c.trunc();
  return 0;
}

function latin1(c: PacketContext, off: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(c.b[off + i]!);
  return s;
}

/**
 * util-print.c txtproto_print: the protocol name in capitals, then, if the
 * payload starts like a request (a known command) or a response (a 3-digit
 * code as the first token, or the second for HTTP and RTSP), its first line —
 * or with -v `, length: N` and every text line, each on its own `\n\t` line.
 * Protocols without a command list (FTP, SMTP, WHOIS) always print.
 */
function txtproto(
  c: PacketContext,
  proto: string,
  p: number,
  len: number,
  cmds: readonly string[] | null,
): Flow {
  c.proto = proto;
  let printThis = false;
  if (cmds !== null) {
    let t = fetchToken(c, p, 0, len);
    if (t !== undefined) {
      const upper = t.token.toUpperCase();
      if (cmds.includes(upper)) printThis = true;
      // HTTP and RTSP responses: `HTTP/1.1 200 OK`, the code is the second token.
      t = fetchToken(c, p, t.next, len);
      if (t !== undefined) {
        const k = t.token;
        if (k.length === 3 && isDigit(k, 0) && isDigit(k, 1) && isDigit(k, 2)) printThis = true;
      }
    }
  } else {
    printThis = true;
  }
  c.out += proto.toUpperCase();
  if (!printThis) return DONE;
  if (c.flags.vflag) {
    c.out += `, length: ${len}`;
    for (let idx = 0; idx < len; ) {
      const eol = printTxtLine(c, '\n\t', p, idx, len);
      if (eol < 0) return TRUNCATED;
      if (eol === 0) break;
      idx = eol;
    }
  } else if (printTxtLine(c, ': ', p, 0, len) < 0) {
    return TRUNCATED;
  }
  return DONE;
}

function isDigit(s: string, i: number): boolean {
  const ch = s.charCodeAt(i);
  return ch >= 0x30 && ch <= 0x39;
}

/**
 * print-ssh.c ssh_print: the version exchange line (RFC 4253 4.2,
 * `SSH-protoversion-softwareversion`) as `: SSH: SSH-2.0-…`; anything else is
 * not printed.
 */
function sshPrint(c: PacketContext, p: number, len: number): Flow {
  c.proto = 'ssh';
  const want = [0x53, 0x53, 0x48, 0x2d]; // "SSH-"
  let idx = 0;
  for (; idx < 4; idx++) {
    if (!c.has(p + idx, 1)) return TRUNCATED;
    if (c.u8(p + idx) !== want[idx]) return DONE;
  }
  for (; idx < len; idx++) {
    if (!c.has(p + idx, 1)) return TRUNCATED;
    const ch = c.u8(p + idx);
    if (ch === 0x0a) break;
    if (ch === 0x0d) {
      if (idx + 1 >= len) return DONE;
      if (!c.has(p + idx + 1, 1)) return TRUNCATED;
      if (c.u8(p + idx + 1) === 0x0a) break;
      return DONE;
    }
    if (!isPrint(ch)) return DONE;
  }
  if (idx >= len) return DONE;
  c.out += `: SSH: ${latin1(c, p, idx)}`;
  return DONE;
}
