/**
 * `hping3` (3.a2.ds2, Debian 12), TCP mode only: crafted TCP segments sent as
 * raw IP (src/host/raw.ts), never through the host's TCP, and the replies
 * read from the interface as libpcap gives them. What a SYN-flood lab needs:
 * flags (-S -A -F -R -P -U -X -Y), -p [+][+]PORT, -s BASEPORT, -k, -c N,
 * -i N / -i uN, --fast, --faster, --flood, -a ADDR, --rand-source, -d SIZE,
 * -w WIN, -M SEQ, -L ACK, -t TTL, -N ID, -q, -n, -V, -I, -h, -v. Outputs and
 * exit statuses were recorded from the real program
 * (test/tools/pressure/fixtures/real); docs/tools-pressure.md lists what
 * differs.
 */

import { buildRawTcp, RawIpSocket, type RawPacket } from '../../host/raw.js';
import type { Proc } from '../../os/process.js';
import type { Random } from '../../sim/random.js';
import { NS_PER_S, NS_PER_US, type Time } from '../../sim/time.js';
import { formatIpv4Address, type Ipv4Address } from '../../wire/address.js';
import { IPPROTO_TCP, ipv4PseudoHeader } from '../../wire/ipv4.js';
import { ACK, CWR, ECE, FIN, PSH, parseTcp, RST, SYN, URG } from '../../wire/tcp.js';
import { resolveHost } from '../apps/common.js';
import { HPING3_HELP } from './hping3-help.js';

/** hping3.h COUNTREACHED_TIMEOUT: seconds to wait for replies after the last packet of -c. */
const COUNTREACHED_TIMEOUT_S = 1;
/** hping3.h DEFAULT_SRCWINSIZE (the help says 64; the packets say 512). */
const DEFAULT_SRCWINSIZE = 512;
/** hping3.h DEFAULT_TTL. */
const DEFAULT_TTL = 64;
/**
 * --flood: "as fast as possible". Measured: about 95 000 SYNs a second on a
 * veth pair (fixtures/real/flood2); tcplab sends one every 10 µs.
 */
const FLOOD_INTERVAL_NS = 10 * NS_PER_US;
/** Measured: with -i u10 or less hping3 counts no reply at all (u20 counts them). */
const NO_REPLY_INTERVAL_NS = 10 * NS_PER_US;

const VERSION =
  'hping3 version 3.0.0-alpha-2 ($Id: release.h,v 1.4 2004/04/09 23:38:56 antirez Exp $)\n' +
  'This binary is TCL scripting capable\n';

/** The options tcplab knows: short letter (if any), long name, whether it takes an argument. */
const OPTIONS: readonly (readonly [string | undefined, string, boolean])[] = [
  ['h', 'help', false],
  ['v', 'version', false],
  ['c', 'count', true],
  ['i', 'interval', true],
  [undefined, 'fast', false],
  [undefined, 'faster', false],
  [undefined, 'flood', false],
  ['n', 'numeric', false],
  ['q', 'quiet', false],
  ['I', 'interface', true],
  ['V', 'verbose', false],
  ['a', 'spoof', true],
  [undefined, 'rand-source', false],
  ['t', 'ttl', true],
  ['N', 'id', true],
  ['y', 'dontfrag', false],
  ['s', 'baseport', true],
  ['p', 'destport', true],
  ['k', 'keep', false],
  ['w', 'win', true],
  ['M', 'setseq', true],
  ['L', 'setack', true],
  ['F', 'fin', false],
  ['S', 'syn', false],
  ['R', 'rst', false],
  ['P', 'push', false],
  ['A', 'ack', false],
  ['U', 'urg', false],
  ['X', 'xmas', false],
  ['Y', 'ymas', false],
  ['d', 'data', true],
];

const FLAG_OF: Readonly<Record<string, number>> = {
  fin: FIN,
  syn: SYN,
  rst: RST,
  push: PSH,
  ack: ACK,
  urg: URG,
  xmas: ECE,
  ymas: CWR,
};

/** hping3's flag letters, in its order (FSRPAUXY). */
function flagLetters(flags: number): string {
  let s = '';
  if (flags & FIN) s += 'F';
  if (flags & SYN) s += 'S';
  if (flags & RST) s += 'R';
  if (flags & PSH) s += 'P';
  if (flags & ACK) s += 'A';
  if (flags & URG) s += 'U';
  if (flags & ECE) s += 'X';
  if (flags & CWR) s += 'Y';
  return s;
}

/** C's atoi: optional sign and leading digits, 0 when there are none. */
function atoi(text: string): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  return m === null ? 0 : Number.parseInt(m[1]!, 10) | 0;
}

type Parsed =
  | { readonly ok: true; readonly options: Map<string, string[]>; readonly operands: string[] }
  | { readonly ok: false; readonly stdout?: string; readonly stderr?: string };

/**
 * hping3's own parser (antigetopt): one option per word, its argument in the
 * next word (`-p80` is "option requires an argument"), long options with two
 * dashes.
 */
function parse(argv: readonly string[]): Parsed {
  const options = new Map<string, string[]>();
  const operands: string[] = [];
  const add = (name: string, value: string): void => {
    const list = options.get(name) ?? [];
    list.push(value);
    options.set(name, list);
  };
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    let spec: (typeof OPTIONS)[number] | undefined;
    if (word.startsWith('--')) {
      spec = OPTIONS.find((o) => o[1] === word.slice(2));
      if (spec === undefined) {
        return { ok: false, stderr: `hping3: unrecognized option \`${word}'\nTry hping3 --help\n` };
      }
    } else if (word.startsWith('-') && word.length > 1) {
      spec = OPTIONS.find((o) => o[0] === word[1]);
      const letter = word[1];
      if (spec === undefined || word.length > 2) {
        // Measured: `-p80` is "requires an argument"; the rest of a word after
        // a letter without argument is not read.
        if (spec === undefined) {
          return { ok: false, stderr: `hping3: invalid option -- ${letter}\nTry hping3 --help\n` };
        }
        if (spec[2]) {
          return {
            ok: false,
            stderr: `hping3: option requires an argument -- ${letter}\nTry hping3 --help\n`,
          };
        }
      }
    } else {
      operands.push(word);
      continue;
    }
    if (spec[2]) {
      if (i + 1 >= argv.length) {
        const text = word.startsWith('--')
          ? `hping3: option \`${word}' requires an argument\n`
          : `hping3: option requires an argument -- ${word[1]}\n`;
        return { ok: false, stderr: `${text}Try hping3 --help\n` };
      }
      add(spec[1], argv[++i]!);
    } else {
      add(spec[1], '');
    }
  }
  return { ok: true, options, operands };
}

export async function hping3(proc: Proc): Promise<number> {
  const p = parse(proc.argv.slice(1));
  if (!p.ok) {
    if (p.stdout !== undefined) proc.stdout.write(p.stdout);
    if (p.stderr !== undefined) proc.stderr.write(p.stderr);
    return 1;
  }
  const has = (name: string): boolean => p.options.has(name);
  const last = (name: string): string | undefined => p.options.get(name)?.at(-1);
  if (has('help')) {
    proc.stdout.write(HPING3_HELP);
    return 0;
  }
  if (has('version')) {
    proc.stdout.write(VERSION);
    return 0;
  }
  let count = -1;
  if (has('count')) {
    count = atoi(last('count')!);
    if (count <= 0) {
      proc.stdout.write('Option error: count must > 0\n');
      return 1;
    }
  }
  if (p.operands.length === 0) {
    proc.stdout.write("hping3: missing host argument\nTry `hping3 --help' for more information.\n");
    return 1;
  }
  if (p.operands.length > 1) {
    proc.stdout.write('hping3: you must specify only one target host at a time\n');
    return 1;
  }
  const host = proc.host;
  const targetName = p.operands[0]!;
  const target = resolveHost(host, targetName);
  if (target === undefined) {
    proc.stderr.write(`Unable to resolve '${targetName}'\n`);
    return 1;
  }
  let spoof: Ipv4Address | undefined;
  if (has('spoof')) {
    const name = last('spoof')!;
    spoof = resolveHost(host, name);
    if (spoof === undefined) {
      proc.stderr.write(`Unable to resolve '${name}'\n`);
      return 1;
    }
  }

  // The interval: the last of -i, --fast, --faster, --flood in command-line order wins;
  // hping3 applies them as it parses.
  let intervalNs = NS_PER_S;
  let flood = false;
  for (const arg of proc.argv.slice(1)) {
    if (arg === '--fast') intervalNs = 100_000 * NS_PER_US;
    else if (arg === '--faster') intervalNs = NS_PER_US;
    else if (arg === '--flood') flood = true;
  }
  if (has('interval')) {
    const v = last('interval')!;
    intervalNs = v.startsWith('u') ? atoi(v.slice(1)) * NS_PER_US : atoi(v) * NS_PER_S;
  }
  if (flood) intervalNs = FLOOD_INTERVAL_NS;
  // A zero interval would be a busy loop in virtual time: at least 1 µs.
  intervalNs = Math.max(intervalNs, NS_PER_US);

  let flags = 0;
  for (const [name, bit] of Object.entries(FLAG_OF)) if (has(name)) flags |= bit;
  const dport = last('destport') ?? '0';
  const incDport = dport.startsWith('++');
  const baseDport = atoi(dport.replace(/^\++/, '')) & 0xffff;
  const random: Random = host.random.stream(`hping3/${proc.pid}`);
  const basePort = has('baseport') ? atoi(last('baseport')!) & 0xffff : 1024 + random.int(0, 1999); // main.c: 1024 + (rand() % 2000)
  const keep = has('keep');
  const dataSize = has('data') ? atoi(last('data')!) & 0xffff : 0;
  const window = has('win') ? atoi(last('win')!) & 0xffff : DEFAULT_SRCWINSIZE;
  const ttl = has('ttl') ? atoi(last('ttl')!) & 0xff : DEFAULT_TTL;
  const fixedSeq = has('setseq') ? atoi(last('setseq')!) >>> 0 : undefined;
  const ack = has('setack') ? atoi(last('setack')!) >>> 0 : 0;
  const fixedId = has('id') ? atoi(last('id')!) & 0xffff : undefined;
  const randSource = has('rand-source');
  const quiet = has('quiet');
  // data: hping3 fills it with 'X' (data.c).
  const payload = new Uint8Array(dataSize).fill(0x58);

  const route = host.route(target);
  const ifname = route.ok ? route.dev.name : 'lo';
  const realSrc = route.ok ? route.src : 0;
  if (!route.ok) proc.stderr.write('Warning: Unable to guess the output interface\n');
  const flagText = flags === 0 ? 'NO FLAGS are' : `${flagLetters(flags)} set`;
  proc.stdout.write(
    `HPING ${targetName} (${ifname} ${formatIpv4Address(target)}): ${flagText}` +
      `${flags === 0 ? ' set' : ''}, 40 headers + ${dataSize} data bytes\n`,
  );
  if (flood) proc.stderr.write('hping in flood mode, no replies will be shown\n');

  const sock = new RawIpSocket(host, IPPROTO_TCP);
  const showReplies = !flood && intervalNs > NO_REPLY_INTERVAL_NS;
  let sent = 0;
  let received = 0;
  let rttMin = 0;
  let rttMax = 0;
  let rttSum = 0;
  const sendTimes = new Map<number, Time>();
  let stopping = false;
  let wakeSignal: () => void = () => {};
  const signalled = new Promise<void>((resolve) => {
    wakeSignal = resolve;
  });
  const onSignal = (): void => {
    stopping = true;
    wakeSignal();
  };
  proc.trap('SIGINT', onSignal);
  proc.trap('SIGTERM', onSignal);

  const handle = (r: RawPacket): void => {
    const ip = r.ip;
    if (ip.src !== target || ip.dst !== realSrc) return;
    const tcp = parseTcp(ip.payload, ipv4PseudoHeader(ip));
    if (!tcp.ok) return;
    const t = tcp.value;
    // waitpacket.c: the reply's destination port tells which probe it answers.
    const sequence = keep ? 0 : (t.dstPort - basePort) & 0xffff;
    if (sequence >= sent && !keep) return;
    received++;
    const at = sendTimes.get(sequence) ?? r.time;
    const rttMs = (r.time - at) / 1e6;
    if (received === 1 || rttMs < rttMin) rttMin = rttMs;
    if (rttMs > rttMax) rttMax = rttMs;
    rttSum += rttMs;
    if (quiet) return;
    proc.stdout.write(
      `len=${ip.totalLength} ip=${formatIpv4Address(ip.src)} ttl=${ip.ttl} ` +
        `${ip.dontFragment ? 'DF ' : ''}id=${ip.id} sport=${t.srcPort} ` +
        `flags=${flagLetters(t.flags)} seq=${sequence} win=${t.window} rtt=${rttMs.toFixed(1)} ms\n`,
    );
  };

  let status = 0;
  let pending = sock.recv();
  let nextSend = proc.now;
  let exitAt: Time | undefined;
  try {
    for (;;) {
      if (stopping) break;
      const now = proc.now;
      if (exitAt !== undefined && now >= exitAt) break;
      if (!flood && count !== -1 && received >= count && sent >= count) break;
      const more = flood || count === -1 || sent < count;
      if (more && now >= nextSend) {
        const src = randSource ? random.uint32() : (spoof ?? realSrc);
        const r = sock.send(
          buildRawTcp({
            src,
            dst: target,
            id: fixedId ?? random.int(0, 0xffff),
            ttl,
            dontFragment: has('dontfrag'),
            srcPort: keep ? basePort : basePort + sent,
            dstPort: incDport ? baseDport + sent : baseDport,
            seq: fixedSeq ?? random.uint32(),
            ack,
            flags,
            window,
            payload,
          }),
        );
        if (!r.ok && r.errno === 'ENETUNREACH') {
          proc.stderr.write('[send_ip] sendto: Network is unreachable\n');
          return 1;
        }
        sendTimes.set(sent & 0xffff, now);
        sent++;
        nextSend = now + intervalNs;
        if (!flood && count !== -1 && sent >= count)
          exitAt = now + COUNTREACHED_TIMEOUT_S * NS_PER_S;
        continue;
      }
      let wake = Number.POSITIVE_INFINITY;
      if (more) wake = nextSend;
      if (exitAt !== undefined) wake = Math.min(wake, exitAt);
      const waits: Promise<unknown>[] = [proc.wait(pending), signalled];
      if (Number.isFinite(wake)) waits.push(proc.sleep(Math.max(0, wake - now)));
      await Promise.race(waits);
      while (pending.done) {
        const e = pending.result;
        if (showReplies && e !== undefined && !(e instanceof Error)) handle(e as RawPacket);
        pending = sock.recv();
      }
    }
  } finally {
    sock.close();
  }
  // statistics.c print_statistics.
  const loss = received > 0 ? 100 - Math.floor((received * 100) / sent) : sent === 0 ? 0 : 100;
  const avg = received > 0 ? rttSum / received : 0;
  proc.stderr.write(
    `\n--- ${targetName} hping statistic ---\n` +
      `${sent} packets transmitted, ${received} packets received, ${loss}% packet loss\n` +
      `round-trip min/avg/max = ${rttMin.toFixed(1)}/${avg.toFixed(1)}/${rttMax.toFixed(1)} ms\n`,
  );
  status = received > 0 ? 0 : 1;
  return status;
}
