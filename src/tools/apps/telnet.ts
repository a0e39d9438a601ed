/**
 * `telnet` as GNU inetutils-telnet 2.4 (Debian 12) behaves when it talks to a
 * port that is not a telnet server — the classic way of poking at TCP: it
 * resolves, prints `Trying …`, does a blocking connect(), then copies typed
 * lines to the connection (a newline goes out as CR LF) and what arrives to
 * the screen (CR LF shown as a newline), until the peer closes
 * (`Connection closed by foreign host.`) or its input ends.
 *
 * Followed: the outputs recorded in linux-traces/{normal-handshake,
 * data-exchange,server-close-first,closed-port,reject-*,silent-drop}/telnet
 * and test/tools/apps/fixtures/real/telnet-*.{stdout,stderr,status}
 * (record.sh there): which stream each message goes to, exit statuses, and
 * that at end of input telnet close()s its socket and exits with status 0,
 * printing `Connection closed by foreign host.` all the same. stdout is
 * fully buffered when it is not a terminal (glibc stdio), and flushed once
 * connected (telnet.c tn(): the banner precedes what the peer sends).
 * Source: inetutils telnet/commands.c tn() ("Trying %s...", "Connected to
 * %s.", "Escape character is '%s'.", "Unable to connect to remote host"),
 * telnet/telnet.c telrcv() (IAC handling, CR LF → LF), telnet/sys_bsd.c.
 *
 * ^C (SIGINT) does not end telnet: in its default line mode with local
 * characters it sends IAC IP and IAC DO TIMING-MARK (telnet.c intp(),
 * observed with a pty: the peer receives ff f4 ff fd 06) and carries on.
 * A line that starts with the escape character ^] (0x1d) enters command mode
 * (`telnet> `), where `quit` and `close` end the session with
 * `Connection closed.`; an empty line returns to the connection.
 */

import type { Command, Proc } from '../../os/process.js';
import { LineReader } from '../../os/streams.js';
import { formatIpv4Address, type Ipv4Address } from '../../wire/address.js';
import {
  fromLatin1,
  hold,
  isError,
  resolveHost,
  StdioBuffer,
  serviceToPort,
  tag,
} from './common.js';

/** Telnet commands and options (RFC 854, RFC 860; arpa/telnet.h). */
const IAC = 255;
const DONT = 254;
const DO = 253;
const WONT = 252;
const WILL = 251;
const SB = 250;
const SE = 240;
const IP = 244;
const TELOPT_ECHO = 1;
const TELOPT_SGA = 3;
const TELOPT_TM = 6;
const ESCAPE = 0x1d;

/** Options taking no argument, and those taking one (telnet/main.c argp_options). */
const FLAGS = new Set(['4', '6', '8', 'E', 'K', 'L', 'a', 'c', 'd', 'r', 'x']);
const WITH_ARG = new Set(['b', 'e', 'l', 'n', 'X', 'k']);
const LONG_FLAGS = new Set([
  'ipv4',
  'ipv6',
  'binary',
  'login',
  'no-rc',
  'debug',
  'no-escape',
  'no-login',
  'binary-output',
  'rlogin',
  'encrypt',
]);
const LONG_WITH_ARG = new Set(['bind', 'escape', 'user', 'trace', 'realm', 'disable-auth']);

/** `telnet --help` (argp), as inetutils 2.4 prints it. */
const HELP =
  'Usage: telnet [OPTION...] [HOST [PORT]]\n' +
  'Login to remote system HOST (optionally, on service port PORT)\n' +
  '\n' +
  ' General options:\n' +
  '\n' +
  '  -4, --ipv4                 use only IPv4\n' +
  '  -6, --ipv6                 use only IPv6\n' +
  '  -8, --binary               use an 8-bit data transmission\n' +
  '  -a, --login                attempt automatic login\n' +
  '  -b, --bind=ADDRESS         bind to specific local ADDRESS\n' +
  "  -c, --no-rc                do not read the user's .telnetrc file\n" +
  '  -d, --debug                turn on debugging\n' +
  '  -e, --escape=CHAR          use CHAR as an escape character\n' +
  '  -E, --no-escape            use no escape character\n' +
  '  -K, --no-login             do not automatically login to the remote system\n' +
  '  -l, --user=USER            attempt automatic login as USER\n' +
  '  -L, --binary-output        use an 8-bit data transmission for output only\n' +
  '  -n, --trace=FILE           record trace information into FILE\n' +
  '  -r, --rlogin               use a user-interface similar to rlogin\n' +
  '\n' +
  ' Encryption control:\n' +
  '\n' +
  '  -x, --encrypt              encrypt the data stream, if possible\n' +
  '\n' +
  ' Authentication and Kerberos options:\n' +
  '\n' +
  '  -k, --realm=REALM          obtain tickets for the remote host in REALM\n' +
  "                             instead of the remote host's realm\n" +
  '  -X, --disable-auth=ATYPE   disable type ATYPE authentication\n' +
  '\n' +
  '  -?, --help                 give this help list\n' +
  '      --usage                give a short usage message\n' +
  '  -V, --version              print program version\n' +
  '\n' +
  'Mandatory or optional arguments to long options are also mandatory or optional\n' +
  'for any corresponding short options.\n' +
  '\n' +
  'Report bugs to <bug-inetutils@gnu.org>.\n';

const USAGE =
  'Usage: telnet [-468acdEKLrx?V] [-b ADDRESS] [-e CHAR] [-l USER] [-n FILE]\n' +
  '            [-k REALM] [-X ATYPE] [--ipv4] [--ipv6] [--binary] [--login]\n' +
  '            [--bind=ADDRESS] [--no-rc] [--debug] [--escape=CHAR] [--no-escape]\n' +
  '            [--no-login] [--user=USER] [--binary-output] [--trace=FILE]\n' +
  '            [--rlogin] [--encrypt] [--realm=REALM] [--disable-auth=ATYPE]\n' +
  '            [--help] [--usage] [--version] [HOST [PORT]]\n';

const VERSION =
  'telnet (GNU inetutils) 2.4\n' +
  'Copyright (C) 2022 Free Software Foundation, Inc.\n' +
  'License GPLv3+: GNU GPL version 3 or later <https://gnu.org/licenses/gpl.html>.\n' +
  'This is free software: you are free to change and redistribute it.\n' +
  'There is NO WARRANTY, to the extent permitted by law.\n' +
  '\n' +
  'Written by many authors.\n';

export const telnet: Command = async (proc) => {
  const operands: string[] = [];
  const args = proc.argv.slice(1);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const name = a.slice(2).split('=')[0]!;
      if (name === 'help') return print(proc, HELP);
      if (name === 'usage') return print(proc, USAGE);
      if (name === 'version') return print(proc, VERSION);
      if (LONG_FLAGS.has(name)) continue;
      if (LONG_WITH_ARG.has(name)) {
        if (!a.includes('=')) {
          if (i + 1 === args.length) return usageError(proc, `option '${a}' requires an argument`);
          i++;
        }
        continue;
      }
      return usageError(proc, `unrecognized option '${a}'`);
    }
    if (a.length < 2 || a[0] !== '-') {
      operands.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      if (c === '?') return print(proc, HELP);
      if (c === 'V') return print(proc, VERSION);
      if (FLAGS.has(c)) continue;
      if (WITH_ARG.has(c)) {
        if (j + 1 === a.length) {
          if (i + 1 === args.length)
            return usageError(proc, `option requires an argument -- '${c}'`);
          i++;
        }
        break;
      }
      return usageError(proc, `invalid option -- '${c}'`);
    }
  }
  if (operands.length > 2) {
    // telnet/main.c: argp_error-free check "too many arguments".
    proc.stderr.write('telnet: too many arguments\n');
    return 1;
  }
  const session = new TelnetSession(proc);
  if (operands.length === 0) return session.commandMode(false);
  return session.open(operands[0]!, operands[1]);
};

function print(proc: Proc, text: string): number {
  proc.stdout.write(text);
  return 0;
}

/** argp's message for a bad option, and its exit status EX_USAGE (64). */
function usageError(proc: Proc, message: string): number {
  proc.stderr.write(
    `telnet: ${message}\nTry 'telnet --help' or 'telnet --usage' for more information.\n`,
  );
  return 64;
}

class TelnetSession {
  readonly #proc: Proc;
  readonly #stdout: StdioBuffer;
  readonly #lines: LineReader;
  #fd: number | undefined;
  /** telrcv's state across reads: 'data', after IAC, after IAC DO/DONT/WILL/WONT, in SB, after CR. */
  #rcv: 'data' | 'iac' | 'opt' | 'sb' | 'sb-iac' | 'cr' = 'data';
  #optVerb = 0;
  /** The peer said WILL ECHO and we said DO: CR LF is then shown as CR and LF. */
  #remoteEcho = false;

  constructor(proc: Proc) {
    this.#proc = proc;
    this.#stdout = new StdioBuffer(proc.stdout);
    this.#lines = new LineReader(proc.stdin);
  }

  /** commands.c tn(): resolve, connect, then the session. */
  async open(hostName: string, portName = 'telnet'): Promise<number> {
    const proc = this.#proc;
    // getaddrinfo looks the service up before the host (glibc gaih_inet).
    const port = serviceToPort(portName, 'tcp');
    const addr = port === undefined ? undefined : resolveHost(proc.host, hostName);
    if (port === undefined || addr === undefined) {
      const why =
        port === undefined ? 'Servname not supported for ai_socktype' : 'Name or service not known';
      this.#stdout.write(`Server lookup failure:  ${hostName}:${portName}, ${why}\n`);
      this.#stdout.flush();
      return 1;
    }
    return this.#connect(hostName, addr, port);
  }

  async #connect(hostName: string, addr: Ipv4Address, port: number): Promise<number> {
    const proc = this.#proc;
    const so = proc.sockets;
    this.#stdout.write(`Trying ${formatIpv4Address(addr)}...\n`);
    const fd = so.socket();
    const r = await proc.wait(so.connect(fd, addr, port));
    if (isError(r)) {
      so.close(fd);
      proc.stderr.write(`telnet: Unable to connect to remote host: ${r.description}\n`);
      this.#stdout.flush();
      return 1;
    }
    this.#fd = fd;
    this.#stdout.write(`Connected to ${hostName}.\n`);
    this.#stdout.write("Escape character is '^]'.\n");
    this.#stdout.flush();
    return this.#session(fd);
  }

  /** telnet.c telnet(): copy both ways until the peer closes or input ends. */
  async #session(fd: number): Promise<number> {
    const proc = this.#proc;
    const so = proc.sockets;
    proc.trap('SIGINT', () => {
      // intp(): IAC IP, then a timing mark to flush the peer's output.
      if (this.#fd !== undefined) so.write(this.#fd, new Uint8Array([IAC, IP, IAC, DO, TELOPT_TM]));
    });
    let net = hold(proc.wait(so.read(fd)));
    let input = hold(this.#readInput());
    for (;;) {
      const r = await Promise.race([tag('net', net), tag('in', input)]);
      if (r.kind === 'net') {
        const data = r.value;
        if (isError(data) || data.length === 0) return this.#closedByPeer();
        this.#telrcv(data);
        net = hold(proc.wait(so.read(fd)));
        continue;
      }
      const line = r.value;
      if (line === null) {
        // End of input: telnet closes and reports the connection closed (observed).
        return this.#closedByPeer();
      }
      const esc = line.indexOf(String.fromCharCode(ESCAPE));
      const toSend = esc < 0 ? line : line.slice(0, esc);
      if (toSend !== '') await this.#send(toSend);
      if (esc >= 0) {
        const status = await this.commandMode(true);
        if (status >= 0) return status;
      }
      input = hold(this.#readInput());
    }
  }

  /** The next chunk of input with its newline, or null at end of file. */
  async #readInput(): Promise<string | null> {
    const line = await this.#lines.readLine();
    return line === null ? null : `${line}\n`;
  }

  /** Sends typed text as NVT: LF → CR LF, IAC doubled. */
  async #send(text: string): Promise<void> {
    const fd = this.#fd;
    if (fd === undefined) return;
    const nvt = text.replace(/\xff/g, '\xff\xff').replace(/\r?\n/g, '\r\n');
    await this.#proc.wait(this.#proc.sockets.write(fd, fromLatin1(nvt)));
  }

  #closedByPeer(): number {
    this.#closeSocket();
    this.#proc.stderr.write('Connection closed by foreign host.\n');
    return 0;
  }

  #closeSocket(): void {
    if (this.#fd !== undefined) this.#proc.sockets.close(this.#fd);
    this.#fd = undefined;
  }

  /**
   * telrcv(): data to the screen; option requests refused (DO → WONT, WILL →
   * DONT) except a timing mark (WILL TM) and the remote echo and go-ahead
   * suppression a telnet server offers. CR as telnet.c's "crmod hack": CR NUL
   * is a CR, CR LF a newline unless the peer echoes, a CR ending a read is
   * shown at once and a NUL or LF starting the next one completes it.
   */
  #telrcv(data: Uint8Array): void {
    let out = '';
    const reply: number[] = [];
    for (let i = 0; i < data.length; i++) {
      const c = data[i]!;
      switch (this.#rcv) {
        case 'cr':
          this.#rcv = 'data';
          if (c === 0) break;
          if (c === 10 && !this.#remoteEcho) {
            out += '\n';
            break;
          }
          i--;
          break;
        case 'data':
          if (c === IAC) this.#rcv = 'iac';
          else if (c === 13) {
            if (i + 1 < data.length) {
              const next = data[i + 1]!;
              out += next === 10 && !this.#remoteEcho ? '\n' : '\r';
              if (next === 0 || (next === 10 && !this.#remoteEcho)) i++;
            } else {
              out += '\r';
              this.#rcv = 'cr';
            }
          } else out += String.fromCharCode(c);
          break;
        case 'iac':
          if (c === IAC) {
            out += '\xff';
            this.#rcv = 'data';
          } else if (c === DO || c === DONT || c === WILL || c === WONT) {
            this.#optVerb = c;
            this.#rcv = 'opt';
          } else if (c === SB) this.#rcv = 'sb';
          else this.#rcv = 'data';
          break;
        case 'opt':
          this.#rcv = 'data';
          if (this.#optVerb === DO) reply.push(IAC, c === TELOPT_TM ? WILL : WONT, c);
          else if (this.#optVerb === WILL && c !== TELOPT_TM) {
            // WILL TIMING-MARK answers our own DO (after ^C): no reply (RFC 860).
            const accept = c === TELOPT_ECHO || c === TELOPT_SGA;
            if (c === TELOPT_ECHO) this.#remoteEcho = true;
            reply.push(IAC, accept ? DO : DONT, c);
          } else if (this.#optVerb === WONT && c === TELOPT_ECHO) this.#remoteEcho = false;
          break;
        case 'sb':
          if (c === IAC) this.#rcv = 'sb-iac';
          break;
        case 'sb-iac':
          this.#rcv = c === SE ? 'data' : 'sb';
          break;
      }
    }
    if (out !== '') this.#proc.stdout.write(fromLatin1(out));
    if (reply.length > 0 && this.#fd !== undefined) {
      this.#proc.sockets.write(this.#fd, new Uint8Array(reply));
    }
  }

  /**
   * The `telnet>` prompt (commands.c command()). Returns an exit status, or -1
   * to go back to the connection. Without a connection (no operands) the
   * prompt repeats until `quit` or end of input.
   */
  async commandMode(connected: boolean): Promise<number> {
    const out = this.#stdout;
    if (connected) out.write('\n');
    for (;;) {
      out.write('telnet> ');
      out.flush();
      const line = await this.#lines.readLine();
      if (line === null) {
        out.write('\n');
        out.flush();
        this.#closeSocket();
        return 0;
      }
      const words = line
        .trim()
        .split(/\s+/)
        .filter((w) => w !== '');
      const verb = words[0];
      if (verb === undefined) {
        if (connected) return -1;
        continue;
      }
      if ('quit'.startsWith(verb) || 'close'.startsWith(verb)) {
        if (this.#fd !== undefined) {
          this.#closeSocket();
          out.write('Connection closed.\n');
        }
        out.flush();
        return 0;
      }
      if (!connected && 'open'.startsWith(verb) && words[1] !== undefined) {
        return this.open(words[1], words[2]);
      }
      out.write('?Invalid command\n');
    }
  }
}
