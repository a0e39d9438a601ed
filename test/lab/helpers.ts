/**
 * Commands and a runner for the lab tests: small, predictable commands (so the
 * tests pin the runner, not the tools), and `play(text)` that parses and plays
 * a lab on the fake terminal.
 */

import { parseLab } from '../../src/lab/parse.js';
import { type LabOptions, type LabResult, LabSession } from '../../src/lab/runner.js';
import type { Command } from '../../src/os/process.js';
import { LineReader } from '../../src/os/streams.js';
import { NS_PER_S, s } from '../../src/sim/time.js';
import { formatIpv4Address, parseIpv4Address } from '../../src/wire/address.js';
import { openFakeTerminal } from './fake-terminal.js';

const echo: Command = async (p) => {
  p.stdout.write(`${p.argv.slice(1).join(' ')}\n`);
  return 0;
};

const sleep: Command = async (p) => {
  await p.sleep(s(Number(p.argv[1] ?? '0')));
  return 0;
};

/** Copies its input to its output, line by line, until end of file. */
const cat: Command = async (p) => {
  const r = new LineReader(p.stdin);
  for (let l = await r.readLine(); l !== null; l = await r.readLine()) p.stdout.write(`${l}\n`);
  return 0;
};

/** `tick N`: prints the virtual time every N seconds, forever. */
const tick: Command = async (p) => {
  const every = Number(p.argv[1] ?? '1');
  for (;;) {
    await p.sleep(s(every));
    p.stdout.write(`tick ${p.now / NS_PER_S}\n`);
  }
};

/** `epoch`: the lab's wall clock, in seconds since 1970. */
const epoch: Command = async (p) => {
  p.stdout.write(`${p.wallClock().seconds}\n`);
  return 0;
};

/** `now`: the virtual time in seconds. */
const now: Command = async (p) => {
  p.stdout.write(`${p.now / NS_PER_S}\n`);
  return 0;
};

/** `listen PORT`: accepts one connection and exits. */
const listen: Command = async (p) => {
  const fd = p.sockets.socket();
  p.sockets.bind(fd, 0, Number(p.argv[1]));
  p.sockets.listen(fd, 5);
  await p.wait(p.sockets.accept(fd));
  return 0;
};

/** `dial ADDR PORT`: connects and prints the local port the kernel chose. */
const dial: Command = async (p) => {
  const fd = p.sockets.socket();
  const addr = parseIpv4Address(p.argv[1] ?? '');
  if (!addr.ok) return 2;
  const r = await p.wait(p.sockets.connect(fd, addr.value, Number(p.argv[2])));
  if (typeof r !== 'number') {
    p.stderr.write(`dial: ${String((r as { code?: string }).code ?? 'error')}\n`);
    return 1;
  }
  const local = p.sockets.getsockname(fd);
  if ('port' in local) p.stdout.write(`local port ${local.port}\n`);
  return 0;
};

/** `write FILE TEXT…`: writes a file on the host. */
const write: Command = async (p) => {
  p.fs.writeFile(p.argv[1] ?? '', `${p.argv.slice(2).join(' ')}\n`, { cwd: p.cwd });
  return 0;
};

/** `getsysctl NAME`. */
const getsysctl: Command = async (p) => {
  const r = p.host.sysctl.read(p.argv[1] ?? '');
  p.stdout.write(r.ok ? `${r.value}\n` : 'none\n');
  return 0;
};

/** `hosts`: this host's /etc/hosts. */
const hosts: Command = async (p) => {
  for (const [name, a] of p.host.etcHosts) p.stdout.write(`${formatIpv4Address(a)} ${name}\n`);
  return 0;
};

/** `trapint`: prints "caught" on SIGINT and exits 0. */
const trapint: Command = async (p) => {
  let stop: () => void = () => {};
  const stopped = new Promise<void>((r) => {
    stop = r;
  });
  p.trap('SIGINT', () => stop());
  await Promise.race([stopped, p.sleep(s(100_000))]);
  p.stdout.write('caught\n');
  return 0;
};

export const TEST_COMMANDS: ReadonlyMap<string, Command> = new Map(
  Object.entries({
    echo,
    sleep,
    cat,
    tick,
    now,
    epoch,
    listen,
    dial,
    write,
    getsysctl,
    hosts,
    trapint,
  }),
);

export async function play(
  text: string,
  options: Partial<LabOptions> = {},
  path = 'test.lab',
): Promise<LabResult> {
  const parsed = parseLab(path, text);
  if (!parsed.ok) {
    throw new Error(parsed.errors.map((e) => `${path}:${e.line}: ${e.message}`).join('\n'));
  }
  const session = LabSession.create(parsed.lab, {
    openTerminal: openFakeTerminal,
    commands: TEST_COMMANDS,
    ...options,
  });
  if (!session.ok) {
    throw new Error(session.errors.map((e) => `${path}:${e.line}: ${e.message}`).join('\n'));
  }
  return session.session.play();
}

/** Joins lines with a final newline: a lab's text. */
export function lab(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}
