/**
 * `tcplab shell [LAB]`: bash on the lab's hosts, interactively. The lab (or,
 * without one, two hosts `client` 192.168.0.21/24 and `server` 192.168.0.22/24)
 * is played first, its transcript shown; then the prompt is that of the host
 * of the lab's last command. A line `@HOST` (or `%host HOST`) switches to another host's
 * terminal (each host keeps its own, with its jobs; what a terminal printed
 * while it was not shown appears when you switch to it); `%wait DURATION`
 * lets virtual time pass; Ctrl-C interrupts the foreground job; Ctrl-D ends
 * its input, or at the prompt leaves, as `exit` does. Line editing and
 * history are node:readline's.
 *
 * Virtual time (docs/labs.md): by default it stands still at the prompt and
 * runs as fast as the events go while a foreground job runs, until the job
 * ends, waits for the terminal (after a settle of 1 s), or nothing is left to
 * happen; Ctrl-C is delivered between batches of events. With `--speed X`
 * (`--realtime`: 1) it runs continuously at X times the wall clock.
 */

import { createInterface, type Interface } from 'node:readline';
import type { Terminal } from '../shell/terminal.js';
import { s } from '../sim/time.js';
import { FAST, type Pace, wallClockPace } from './pace.js';
import { type Lab, parseLab } from './parse.js';
import { DEFAULT_SETTLE, type LabOptions, LabSession } from './runner.js';
import { parseDuration } from './values.js';

/** The network of `tcplab shell` without a lab. */
/** About 15 µs per hop, as on the veth pair of ../shared/linux-traces (a ping shows 0.03 ms, not 0). */
export const DEFAULT_SHELL_LAB =
  '%host client 192.168.0.21/24\n%host server 192.168.0.22/24\n%segment lan delay=15us\n';

export interface ShellOptions {
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  /** Line editing and history (a TTY); default: whether `output` is one. */
  readonly terminal?: boolean;
  readonly openTerminal: LabOptions['openTerminal'];
  readonly commands: NonNullable<LabOptions['commands']>;
  /** A parsed lab to play first. */
  readonly lab?: Lab;
  readonly seed?: number;
  /** Virtual seconds per wall-clock second; undefined: see the module comment. */
  readonly speed?: number;
}

type UiEvent =
  | { kind: 'line'; text: string }
  | { kind: 'interrupt' }
  | { kind: 'eof' }
  | { kind: 'end' };

/** Virtual time run between two looks at the keyboard. */
const CHUNK = s(1);

export async function runShell(options: ShellOptions): Promise<number> {
  const out = (text: string): void => {
    options.output.write(text);
  };
  const lab = options.lab ?? defaultLab();
  const pace: Pace = options.speed === undefined ? FAST : wallClockPace(options.speed);
  const tty = options.terminal ?? (options.output as { isTTY?: boolean }).isTTY === true;
  // The lab's transcript is shown while it plays; afterwards the terminals print directly.
  let replaying = true;
  const created = LabSession.create(lab, {
    openTerminal: options.openTerminal,
    commands: options.commands,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    onLine: (l) => {
      if (replaying) out(`${l}\n`);
    },
  });
  if (!created.ok) {
    for (const e of created.errors) out(`${lab.path}:${e.line}: ${e.message}\n`);
    return 2;
  }
  const session = created.session;
  const system = session.system;
  const hostNames = session.network.hosts.map((h) => h.name);
  if (lab.entries.some((e) => e.kind === 'action')) {
    const r = await session.play();
    if (r.error !== undefined) out(`${lab.path}:${r.error.line}: ${r.error.message}\n`);
    else if (!r.passed) out(`(the output differs from ${lab.path}: see tcplab run ${lab.path})\n`);
  }
  replaying = false;
  let current = session.lastTerminal ?? hostNames[0];
  if (current === undefined) {
    out('tcplab shell: the lab declares no host\n');
    return 2;
  }
  out(
    `tcplab shell: hosts ${hostNames.join(', ')}. @HOST switches host, %wait 10s lets time pass, ` +
      'Ctrl-C interrupts, Ctrl-D or exit leaves.\n',
  );

  // What each terminal printed while another was shown.
  const hidden = new Map<Terminal, string>();
  const watched = new Set<Terminal>();
  const watch = (t: Terminal): void => {
    if (watched.has(t)) return;
    watched.add(t);
    hidden.set(t, '');
    t.onOutput((text) => {
      if (t === session.terminals.get(current as string)) out(text);
      else hidden.set(t, (hidden.get(t) ?? '') + text);
    });
  };
  const terminal = (name: string): Terminal => {
    const t = session.terminal(name);
    watch(t);
    return t;
  };
  for (const t of session.terminals.values()) watch(t);

  const queue: UiEvent[] = [];
  let wake: (() => void) | undefined;
  const push = (e: UiEvent): void => {
    queue.push(e);
    const w = wake;
    wake = undefined;
    w?.();
  };
  let inputEnded = false;
  options.input.on('end', () => {
    inputEnded = true;
  });
  let rl!: Interface;
  const open = (): void => {
    rl = createInterface({
      input: options.input,
      output: options.output,
      terminal: tty,
      historySize: 1000,
    });
    rl.on('line', (text) => push({ kind: 'line', text }));
    rl.on('SIGINT', () => push({ kind: 'interrupt' }));
    rl.on('close', () => push(inputEnded ? { kind: 'end' } : { kind: 'eof' }));
  };
  open();

  let promptShown = false;
  let settleUntil = 0;
  let ending = false;
  const showPrompt = (): void => {
    const t = terminal(current as string);
    if (!t.atPrompt || promptShown) return;
    promptShown = true;
    rl.setPrompt(t.prompt);
    rl.prompt();
  };
  const leave = (): number => {
    rl.removeAllListeners('close');
    rl.close();
    return 0;
  };

  for (;;) {
    const shown = session.terminals.get(current);
    // bash exited (`exit`, Ctrl-D at its prompt): so does tcplab shell.
    if (shown !== undefined && !shown.alive) return leave();
    const term = terminal(current);
    const running = !term.atPrompt;
    const pending = system.network.events.nextTime() !== undefined;
    const busy = running && pending && (system.now < settleUntil || !term.reading);
    const wantTime = options.speed !== undefined || busy;

    if (!busy && term.atPrompt) showPrompt();
    // Ctrl-C acts at once; typed lines, Ctrl-D and the end of input wait until the terminal is quiet.
    const urgent = queue.findIndex((e) => e.kind === 'interrupt');
    const next =
      urgent >= 0
        ? queue.splice(urgent, 1)[0]
        : !busy || (options.speed !== undefined && queue[0]?.kind === 'line')
          ? queue.shift()
          : undefined;

    if (next !== undefined) {
      switch (next.kind) {
        case 'interrupt':
          // The tty echoes ^C; bash ends the line (and at its prompt, discards it).
          out('^C');
          if (!running) {
            // Discard the line being edited, without a redraw (node's own REPL does the same).
            const edit = rl as unknown as { line: string; cursor: number };
            edit.line = '';
            edit.cursor = 0;
            promptShown = false;
          }
          term.interrupt();
          settleUntil = system.now + DEFAULT_SETTLE;
          break;
        case 'eof':
          if (running) {
            term.endOfFile();
            settleUntil = system.now + DEFAULT_SETTLE;
            open();
          } else {
            term.endOfFile();
          }
          break;
        case 'end':
          ending = true;
          if (!busy) return leave();
          break;
        case 'line': {
          const text = next.text;
          // Without line editing nothing echoed the line: show it as a terminal would.
          if (!tty) out(`${text}\n`);
          const at = /^(?:@|%host\s+)(\S*)\s*$/.exec(text);
          const wait = /^%wait\s+(\S+)\s*$/.exec(text);
          if (!running && at) {
            const name = at[1] as string;
            if (!hostNames.includes(name.slice(name.lastIndexOf('@') + 1))) {
              out(`tcplab shell: no host called "${name}" (hosts: ${hostNames.join(', ')})\n`);
            } else {
              current = name;
              const t = terminal(name);
              out(hidden.get(t) ?? '');
              hidden.set(t, '');
            }
            promptShown = false;
          } else if (!running && wait) {
            const d = parseDuration(wait[1] as string);
            if (!d.ok) out(`tcplab shell: %wait: ${d.message}\n`);
            else await session.wait(d.value);
            promptShown = false;
          } else {
            term.typeLine(text);
            if (!running) promptShown = false;
            settleUntil = system.now + DEFAULT_SETTLE;
          }
          break;
        }
      }
      system.wake();
      await system.settle();
      continue;
    }

    if (!wantTime) {
      if (!term.alive) continue;
      showPrompt();
      if (ending && queue.length === 0) return leave();
      if (queue.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      continue;
    }

    // Up to the settle, else a chunk of virtual time; nothing happens before the next event, so
    // a long quiet wait (sleep 3600) is crossed in one step.
    const nextEvent = system.network.events.nextTime() ?? system.now;
    const limit =
      system.now < settleUntil
        ? settleUntil
        : Math.max(system.now + CHUNK, options.speed === undefined ? nextEvent : 0);
    const wasRunning = running;
    await pace.runWhile(
      system,
      () =>
        !queue.some((e) => e.kind === 'interrupt') &&
        !(wasRunning && (term.atPrompt || !term.alive)),
      limit,
    );
    // Let the keyboard in.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function defaultLab(): Lab {
  const parsed = parseLab('(default network)', DEFAULT_SHELL_LAB, { headerOnly: true });
  if (!parsed.ok) throw new Error('the default network does not parse');
  return parsed.lab;
}
