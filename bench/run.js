// Benchmarks (`npm run bench`): figures and ratios, printed. Runs the compiled
// code in dist/ (npm run bench builds it first).
//
// 1. wire: parse + build of Ethernet/IPv4/TCP segments per second.
// 2. tcpdump: `tcplab tcpdump -n -r FILE` on a 1 000 000-packet capture against
//    the real tcpdump on the same file, both writing to a file; ratio of wall times
//    (median of 3), and whether the two outputs are identical.
//
// 3. sim: the simulator's event queue and links (bench/sim.js).
// 4. tcp: connection lifecycles, memory per connection, bulk transfer (bench/tcp.js).
// 5. pressure: a SYN flood against a listener with SYN cookies, and memory per
//    SYN_RECV request (bench/pressure.js, in a process of its own).
// 6. labs: `tcplab run labs/*.lab` in a new process, wall time (bench/labs.js).
//
// Options: --packets N (default 1000000), --runs N (default 3), --only wire|sim|tcp|tcpdump|pressure|labs.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { CaptureReader, PcapWriter } from '../dist/capture/pcap.js';
import { LINKTYPE_ETHERNET } from '../dist/capture/record.js';
import {
  emitIpv4Header,
  emitTcp,
  ipv4HeaderLength,
  ipv4PseudoHeader,
  parseEthernet,
  parseIpv4,
  parseTcp,
  tcpLength,
  tcpPseudoHeader,
} from '../dist/wire/index.js';
import { run as runLabs } from './labs.js';
import { run as runSim } from './sim.js';
import { run as runTcp } from './tcp.js';

const { values: opts } = parseArgs({
  options: {
    packets: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    only: { type: 'string' }, // wire | tcpdump | sim | tcp | pressure | labs
  },
});
const PACKETS = Number(opts.packets);
const RUNS = Number(opts.runs);
const ROOT = new URL('..', import.meta.url).pathname;
const TRACES = join(ROOT, '..', 'shared', 'linux-traces');

/** Every Ethernet frame of the reference traces, in order: a realistic mix. */
function traceFrames() {
  const frames = [];
  for (const experiment of readdirSync(TRACES)) {
    const dir = join(TRACES, experiment);
    if (!statSync(dir).isDirectory()) continue;
    for (const run of readdirSync(dir)) {
      const file = join(dir, run, 'capture.pcap');
      let bytes;
      try {
        bytes = new Uint8Array(readFileSync(file));
      } catch {
        continue;
      }
      const reader = new CaptureReader(bytes);
      if (reader.linkType !== LINKTYPE_ETHERNET) continue;
      for (let rec = reader.next(); rec; rec = reader.next()) frames.push(rec);
    }
  }
  return frames;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function benchWire(frames) {
  const packets = [];
  for (const f of frames) {
    const eth = parseEthernet(f.data);
    if (!eth.ok || eth.value.ethertype !== 0x0800) continue;
    const ip = parseIpv4(eth.value.payload);
    if (!ip.ok || ip.value.protocol !== 6) continue;
    packets.push(eth.value.payload);
  }
  const N = 1_000_000;
  const out = new Uint8Array(65536);
  let parseMs = 0;
  let buildMs = 0;
  let check = 0;
  // Parse all, then build all, in batches, so each half is timed on its own.
  const BATCH = 10_000;
  const parsed = new Array(BATCH);
  for (let done = 0; done < N; done += BATCH) {
    const t0 = performance.now();
    for (let i = 0; i < BATCH; i++) {
      const ip = parseIpv4(packets[(done + i) % packets.length]);
      if (!ip.ok) throw new Error('bench: a trace packet failed to parse');
      const p = ip.value;
      const tcp = parseTcp(p.payload, ipv4PseudoHeader(p));
      if (!tcp.ok) throw new Error('bench: a trace segment failed to parse');
      parsed[i] = [p, tcp.value];
    }
    const t1 = performance.now();
    for (let i = 0; i < BATCH; i++) {
      const [p, seg] = parsed[i];
      const tcpLen = tcpLength(seg);
      const hl = ipv4HeaderLength(p);
      emitTcp(seg, out.subarray(hl), tcpPseudoHeader(p.src, p.dst, seg));
      emitIpv4Header(p, out, tcpLen);
      check ^= out[hl + 16];
    }
    const t2 = performance.now();
    parseMs += t1 - t0;
    buildMs += t2 - t1;
  }
  const mps = (ms) => (N / (ms / 1000) / 1e6).toFixed(2);
  console.log('wire: real TCP/IPv4 segments from the reference traces, checksums computed');
  console.log(`  parse IPv4 + TCP (verify both checksums): ${mps(parseMs)} M segments/s`);
  console.log(`  build IPv4 + TCP (compute both checksums): ${mps(buildMs)} M segments/s`);
  console.log(`  parse + build: ${mps(parseMs + buildMs)} M segments/s (check ${check})`);
}

function makeCapture(frames, count, file) {
  const writer = new PcapWriter({ linkType: LINKTYPE_ETHERNET, snaplen: 262144 });
  // Frames of the traces, repeated with steadily increasing times (1 ms apart).
  const start = 1_700_000_000;
  for (let i = 0; i < count; i++) {
    const f = frames[i % frames.length];
    const us = i * 1000;
    writer.append({
      sec: start + Math.floor(us / 1e6),
      frac: us % 1e6,
      precision: 'micro',
      origLen: f.origLen,
      data: f.data,
    });
  }
  writeFileSync(file, writer.finish());
}

function timeCommand(argv, outFile, env) {
  const t0 = performance.now();
  const r = spawnSync('sh', ['-c', `${argv} > ${outFile} 2>/dev/null`], { env });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${argv}: exit ${r.status}`);
  return ms;
}

/**
 * Both programs print local time. With TZ unset, glibc's localtime() checks
 * /etc/localtime for every packet tcpdump prints (a system call each); with TZ
 * set it does not. Both settings are measured: the first is a default shell,
 * the second tcpdump's fastest case.
 */
const TIME_ZONES = [
  ['TZ unset (a default shell)', undefined],
  ['TZ=GMT0', 'GMT0'],
];

function benchTcpdump(frames) {
  const hasTcpdump = spawnSync('tcpdump', ['--version']).status === 0;
  const dir = mkdtempSync(join(tmpdir(), 'tcplab-bench-'));
  try {
    const file = join(dir, 'capture.pcap');
    makeCapture(frames, PACKETS, file);
    const mb = statSync(file).size / 1e6;
    console.log(`tcpdump: ${PACKETS} packets, ${mb.toFixed(1)} MB capture, -n -r FILE > FILE`);
    if (!hasTcpdump) console.log('  real tcpdump: not installed, no ratio');
    // What a run pays before its first packet: node's own start, then the
    // modules `tcplab tcpdump` loads (the CLI loads a subcommand's tool only
    // when that subcommand runs).
    const start = (argv) =>
      median([0, 1, 2, 3, 4].map(() => timeCommand(argv, '/dev/null', process.env)));
    const nodeMs = start('node -e 0');
    const cliMs = start(`node ${join(ROOT, 'bin', 'tcplab.js')} tcpdump --version`);
    console.log(
      `  start-up: tcplab tcpdump --version ${cliMs.toFixed(0)} ms, node -e 0 ${nodeMs.toFixed(0)} ms (median of 5)`,
    );
    const rate = (ms) => (PACKETS / (ms / 1000) / 1e6).toFixed(2);
    for (const [label, tz] of TIME_ZONES) {
      const env = { ...process.env };
      if (tz === undefined) delete env.TZ;
      else env.TZ = tz;
      const ours = [];
      const theirs = [];
      for (let i = 0; i < RUNS; i++) {
        ours.push(
          timeCommand(
            `node ${join(ROOT, 'bin', 'tcplab.js')} tcpdump -n -r ${file}`,
            join(dir, 'ours.txt'),
            env,
          ),
        );
        if (hasTcpdump)
          theirs.push(timeCommand(`tcpdump -n -r ${file}`, join(dir, 'theirs.txt'), env));
      }
      const o = median(ours);
      console.log(
        `  ${label}: tcplab ${o.toFixed(0)} ms (${rate(o)} M packets/s, median of ${RUNS})`,
      );
      if (!hasTcpdump) continue;
      const t = median(theirs);
      const same = readFileSync(join(dir, 'ours.txt')).equals(
        readFileSync(join(dir, 'theirs.txt')),
      );
      console.log(
        `  ${label}: tcpdump ${t.toFixed(0)} ms (${rate(t)} M packets/s); ratio tcplab/tcpdump ${(o / t).toFixed(2)} (goal: at most 1.00); outputs identical: ${same ? 'yes' : 'NO'}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const frames = traceFrames();
if (!opts.only || opts.only === 'wire') benchWire(frames);
if (!opts.only || opts.only === 'sim') await runSim();
if (!opts.only || opts.only === 'tcp') await runTcp();
if (!opts.only || opts.only === 'tcpdump') benchTcpdump(frames);
if (!opts.only || opts.only === 'pressure') {
  // In a process of its own, as a lab runs: its peak RSS is then the flood's,
  // not what the benchmarks before it left on the heap.
  const r = spawnSync(process.execPath, [join(ROOT, 'bench', 'pressure.js')], { stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = 1;
}
if (!opts.only || opts.only === 'labs') await runLabs({ runs: RUNS });
