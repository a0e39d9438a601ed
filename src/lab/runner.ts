/**
 * Plays a lab: builds its network, opens a terminal (src/shell) on each host
 * at its first prompt, types the commands, lets virtual time run, and collects
 * everything the terminals print, in virtual-time order. The transcript it
 * makes is the lab's own text with the expected output replaced by what was
 * printed, so comparing is a diff of two texts and `--update` writes that text.
 *
 * Timing (docs/labs.md): after each command, typed line or control key the
 * runner lets `%settle` of virtual time pass (default 1 s); but when the next
 * line is a command for a host whose foreground job still runs, it lets time
 * run until that job ends instead (at most `%timeout`, default 1 h), and then
 * to the end of that instant, so that what the job's last segment caused at the
 * same nanosecond is not cut off. `%wait D` lets D pass. At the end it settles
 * once more. Time moves only through the System driver (src/os/system.ts),
 * through a Pace (pace.ts).
 *
 * Where output goes: each terminal's output is cut into lines (an unfinished
 * line ends when a prompt is shown in that terminal, or at the end); a line
 * belongs to the block (an action line and what follows it) that was being
 * played when its newline was printed.
 */

import type { Host } from '../host/host.js';
import type { Command } from '../os/process.js';
import { System } from '../os/system.js';
import type { Terminal } from '../shell/terminal.js';
import { RunawayError } from '../sim/events.js';
import type { Network } from '../sim/network.js';
import { type Duration, formatTime, NS_PER_S, s, type Time } from '../sim/time.js';
import { unifiedDiff } from './diff.js';
import { FAST, type Pace } from './pace.js';
import { type Action, type Entry, type Lab, type LabError, looksLikePrompt } from './parse.js';
import { buildNetwork } from './topology.js';
import { formatLabDuration } from './values.js';

/** Opens a terminal with a login bash of `user` on `host` (src/shell's openTerminal). */
export type OpenTerminal = (system: System, host: Host, options: { user: string }) => Terminal;

/** How terminals are named: `client` for root's on client, `alice@client` for another user's. */
export function terminalName(user: string, host: string): string {
  return user === 'root' ? host : `${user}@${host}`;
}

export interface LabOptions {
  readonly openTerminal: OpenTerminal;
  /** What the hosts can run (src/tools/commands.ts COMMANDS). */
  readonly commands?: ReadonlyMap<string, Command>;
  /** Overrides the lab's `%seed`. */
  readonly seed?: number;
  /** Default: as fast as possible. */
  readonly pace?: Pace;
  /** Receives each line of the transcript as it is played (watching, the shell). */
  readonly onLine?: (line: string) => void;
  /** Events one step may run before the lab stops as a runaway (System's default: 10 000 000). */
  readonly maxEventsPerRun?: number;
}

export interface LabResult {
  readonly lab: Lab;
  readonly passed: boolean;
  /** A problem that stopped the lab (a foreground job that never ended), if any. */
  readonly error: LabError | undefined;
  /** The unified diff of expected and actual transcripts ('' when they agree). */
  readonly diff: string;
  /** The lab's text with the actual output: what `--update` writes. */
  readonly text: string;
  /** Commands typed at prompts. */
  readonly commands: number;
  /** Virtual time at the end. */
  readonly virtualTime: Time;
}

/** The default time after each line (`%settle`). */
export const DEFAULT_SETTLE: Duration = s(1);
/** The default limit on waiting for a foreground job (`%timeout`). */
export const DEFAULT_TIMEOUT: Duration = s(3600);

/** A block: an action line and the lines after it up to the next action. */
interface Block {
  readonly action: (Entry & { kind: 'action' }) | undefined;
  /** Comments, blanks, settings and expected output after the action line. */
  readonly after: readonly Entry[];
  /** What the terminals printed while this block was current. */
  readonly actual: string[];
  /** The action line as played (the real prompt + the command). */
  played: string | undefined;
}

/** Thrown inside the runner only, to stop a lab at a line; never escapes `play`. */
class Stop {
  constructor(readonly error: LabError) {}
}

export type SessionResult =
  | { readonly ok: true; readonly session: LabSession }
  | { readonly ok: false; readonly errors: readonly LabError[] };

/** A lab's network, processes and terminals, ready to play. */
export class LabSession {
  readonly lab: Lab;
  readonly network: Network;
  readonly system: System;
  /** The terminals opened so far, by name (terminalName). */
  readonly terminals = new Map<string, Terminal>();
  readonly #options: LabOptions;
  readonly #pace: Pace;
  readonly #blocks: Block[] = [];
  readonly #partial = new Map<Terminal, string>();
  /** Terminals where ^C was just pressed: the screen shows `^C`, and bash's newline ends that line. */
  readonly #caret = new Set<Terminal>();
  #current = 0;
  #settle = DEFAULT_SETTLE;
  #timeout = DEFAULT_TIMEOUT;
  #lastTerminal: string | undefined;
  #played = false;

  /** Builds the lab's network; errors carry the line of the directive at fault. */
  static create(lab: Lab, options: LabOptions): SessionResult {
    const built = buildNetwork(lab, options.seed ?? lab.seed ?? 0);
    if (!built.ok) return built;
    return { ok: true, session: new LabSession(lab, built.network, options) };
  }

  private constructor(lab: Lab, network: Network, options: LabOptions) {
    this.lab = lab;
    this.network = network;
    this.#options = options;
    this.#pace = options.pace ?? FAST;
    this.system = new System(network, {
      ...(options.commands !== undefined ? { commands: options.commands } : {}),
      ...(lab.epochSeconds !== undefined ? { epochSeconds: lab.epochSeconds } : {}),
      ...(options.maxEventsPerRun !== undefined
        ? { maxEventsPerRun: options.maxEventsPerRun }
        : {}),
    });
    let block: Block = { action: undefined, after: [], actual: [], played: undefined };
    this.#blocks.push(block);
    for (const e of lab.entries) {
      if (e.kind === 'action') {
        block = { action: e, after: [], actual: [], played: undefined };
        this.#blocks.push(block);
      } else {
        (block.after as Entry[]).push(e);
      }
    }
  }

  /** The terminal of the last command played (where `tcplab shell LAB` continues). */
  get lastTerminal(): string | undefined {
    return this.#lastTerminal;
  }

  /**
   * The terminal called `name` (`HOST` or `USER@HOST`), opening one (a new
   * login) if there is none or its bash exited.
   */
  terminal(name: string): Terminal {
    let t = this.terminals.get(name);
    if (t === undefined || !t.alive) {
      const at = name.lastIndexOf('@');
      const user = at < 0 ? 'root' : name.slice(0, at);
      const host = this.network.host(at < 0 ? name : name.slice(at + 1));
      const term = this.#options.openTerminal(this.system, host, { user });
      this.terminals.set(name, term);
      this.#partial.set(term, '');
      term.onOutput((text) => this.#output(term, text));
      t = term;
    }
    return t;
  }

  /** Plays the whole lab once and compares. */
  async play(): Promise<LabResult> {
    if (this.#played) throw new Error('a lab session plays once');
    this.#played = true;
    let error: LabError | undefined;
    let stoppedAt = this.#blocks.length;
    try {
      this.#liveAnchors(0, 'all');
      this.#applySettings(this.#blocks[0]!);
      for (let i = 1; i < this.#blocks.length; i++) {
        stoppedAt = i;
        const block = this.#blocks[i]!;
        await this.#act(i, block);
        this.#liveAnchors(i, 'leading');
        const next = this.#blocks[i + 1]?.action?.action;
        await this.#runAfter(block.action!.action, next);
        this.#liveAnchors(i, 'rest');
        this.#applySettings(block);
      }
      stoppedAt = this.#blocks.length;
      for (const t of this.terminals.values()) this.#flush(t);
    } catch (e) {
      if (e instanceof Stop) error = e.error;
      else {
        // A bug below (a broken command) fails this lab, not the run; so does a
        // step that would not end (a flood left running through a long %wait).
        const line = this.#blocks[stoppedAt]?.action?.line ?? 1;
        const message =
          e instanceof RunawayError
            ? `the simulation ran ${e.events} events in this step without getting to its end ` +
              `(at ${formatTime(e.time)} of virtual time): something keeps making work, ` +
              'a command that never stops or a wait too long for what is running'
            : `internal error: ${e instanceof Error ? e.message : String(e)}`;
        error = { line, message };
      }
      for (const t of this.terminals.values()) this.#flush(t);
    }
    const blocks = this.#blocks.slice(0, stoppedAt);
    const expected = blocks.flatMap((b) => [
      ...(b.action !== undefined ? [b.action.text] : []),
      ...b.after.map((e) => this.lab.source[e.line - 1] as string),
    ]);
    // On an error, only the blocks played to the end are compared.
    const actualLines = blocks.flatMap((b) => this.#render(b));
    const trim = (l: string): string => l.trimEnd();
    const diff = unifiedDiff(this.lab.path, expected.map(trim), actualLines.map(trim));
    const text =
      actualLines.join('\n') + (this.lab.finalNewline || actualLines.length === 0 ? '\n' : '');
    return {
      lab: this.lab,
      passed: error === undefined && diff === '',
      error,
      diff,
      text,
      commands: this.#blocks.filter(
        (b) => b.action?.action.kind === 'prompt' && b.played !== undefined,
      ).length,
      virtualTime: this.network.now,
    };
  }

  /** Lets time run for `duration` (the shell's `%wait`, tests). */
  async wait(duration: Duration): Promise<void> {
    await this.#pace.runUntil(this.system, this.network.now + duration);
  }

  async #act(index: number, block: Block): Promise<void> {
    const entry = block.action!;
    const action = entry.action;
    const stop = (message: string): never => {
      throw new Stop({ line: entry.line, message });
    };
    switch (action.kind) {
      case 'prompt': {
        const name = terminalName(action.user, action.host);
        let term = this.terminals.get(name);
        if (term?.alive && !term.atPrompt) {
          const limit = this.network.now + this.#timeout;
          const t = term;
          await this.#pace.runWhile(this.system, () => t.alive && !t.atPrompt, limit);
          // The prompt comes back once this instant's work is done (the peer's reply to
          // the job's last segment, at the same nanosecond, is not cut off).
          await this.#pace.runUntil(this.system, this.network.now);
          if (t.alive && !t.atPrompt) {
            stop(
              `the foreground job on ${name} is still running after ` +
                `${formatLabDuration(this.#timeout)} of virtual time, so this command cannot be typed ` +
                '(end it with ^C, or run it in the background with &)',
            );
          }
        }
        if (term === undefined || !term.alive) {
          term = this.terminal(name);
          // Let bash start and reach its prompt.
          await this.system.settle();
        }
        this.#flush(term);
        this.#caret.delete(term);
        this.#enter(index, `${term.prompt}${action.command}`, entry.text);
        this.#lastTerminal = name;
        term.typeLine(action.command);
        break;
      }
      case 'type':
      case 'control': {
        const term = this.terminals.get(terminalName(action.user, action.host));
        if (term === undefined || !term.alive) {
          stop(
            `the shell on ${terminalName(action.user, action.host)} has exited: there is nothing to type into`,
          );
        }
        this.#flush(term!);
        this.#enter(index, entry.text, entry.text);
        if (action.kind === 'type') term!.typeLine(action.text);
        else if (action.key === 'C') {
          this.#caret.add(term!);
          term!.interrupt();
        } else term!.endOfFile();
        break;
      }
      case 'wait':
        this.#enter(index, entry.text, entry.text);
        break;
    }
    this.system.wake();
    await this.system.settle();
  }

  /** Time after an action (see the module comment). */
  async #runAfter(action: Action, next: Action | undefined): Promise<void> {
    if (action.kind === 'wait') {
      await this.#pace.runUntil(this.system, this.network.now + action.duration);
      return;
    }
    if (next?.kind === 'prompt') {
      const t = this.terminals.get(terminalName(next.user, next.host));
      // The next command waits for this job to end (#act): no settle in between.
      if (t?.alive && !t.atPrompt) return;
    }
    await this.#pace.runUntil(this.system, this.network.now + this.#settle);
  }

  #applySettings(block: Block): void {
    for (const e of block.after) {
      if (e.kind !== 'setting') continue;
      if (e.name === 'settle') this.#settle = e.duration;
      else this.#timeout = e.duration;
    }
  }

  /** Makes block `index` current and records how its action line played. */
  #enter(index: number, played: string, written: string): void {
    this.#current = index;
    const block = this.#blocks[index]!;
    // Keep the author's spelling when only trailing blanks differ.
    block.played = played.trimEnd() === written.trimEnd() ? written : played;
    this.#options.onLine?.(block.played);
  }

  #output(term: Terminal, text: string): void {
    if (this.#caret.has(term) && text !== '') {
      this.#caret.delete(term);
      if (text.startsWith('\n') && (this.#partial.get(term) ?? '') === '') text = text.slice(1);
      if (text === '') return;
    }
    const parts = ((this.#partial.get(term) ?? '') + text).split('\n');
    this.#partial.set(term, parts.pop() as string);
    for (const line of parts) this.#line(line);
  }

  /** Ends a terminal's unfinished line (a prompt is about to be shown there, or the lab ended). */
  #flush(term: Terminal): void {
    const rest = this.#partial.get(term);
    if (rest !== undefined && rest !== '') {
      this.#partial.set(term, '');
      this.#line(rest);
    }
  }

  #line(raw: string): void {
    const line = raw.replace(/\r+$/, '').replace(/^.*\r(?!$)/, '');
    this.#blocks[this.#current]!.actual.push(line);
    this.#options.onLine?.(line);
  }

  /** Live view: the comments right after an action (before its output), or the rest. */
  #liveAnchors(index: number, which: 'leading' | 'rest' | 'all'): void {
    const on = this.#options.onLine;
    if (on === undefined) return;
    const after = this.#blocks[index]!.after;
    const firstOutput = after.findIndex((e) => e.kind === 'output');
    const leading = firstOutput < 0 ? after.length : firstOutput;
    after.forEach((e, i) => {
      if (e.kind === 'output') return;
      if (which === 'all' || i < leading === (which === 'leading')) on(e.text);
    });
  }

  /**
   * A block as the lab text with its actual output: the action line as played,
   * then the output lines escaped, with each comment, blank or setting kept
   * after as many output lines as it followed in the lab (those after all the
   * expected output stay after all the actual output).
   */
  #render(block: Block): string[] {
    const out: string[] = [];
    if (block.action !== undefined) out.push(block.played ?? block.action.text);
    const expectedCount = block.after.filter((e) => e.kind === 'output').length;
    const items: { kind: 'output' | 'kept'; text: string }[] = [];
    let seen = 0;
    let placed = 0;
    const actual = block.actual.map((l) => l.trimEnd());
    for (const e of block.after) {
      if (e.kind === 'output') {
        seen++;
        continue;
      }
      const at = seen === expectedCount ? actual.length : Math.min(seen, actual.length);
      while (placed < at) items.push({ kind: 'output', text: actual[placed++]! });
      items.push({ kind: 'kept', text: e.text });
    }
    while (placed < actual.length) items.push({ kind: 'output', text: actual[placed++]! });
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (item.kind === 'kept') {
        out.push(item.text);
        continue;
      }
      out.push(
        escapeOutput(item.text, () => {
          for (let j = i + 1; j < items.length; j++) {
            const n = items[j]!;
            if (n.kind === 'output' && n.text === '') continue;
            return n.kind === 'output';
          }
          return false;
        }),
      );
    }
    return out;
  }
}

/**
 * An output line as the lab writes it: with a leading `\` when it would be read
 * as something else (a comment, directive, control key, escape, or a prompt);
 * an empty line as `\` when no output line follows it (it would separate).
 */
export function escapeOutput(line: string, outputFollows: () => boolean): string {
  if (line === '') return outputFollows() ? '' : '\\';
  if (/^[#%^\\]/.test(line) || looksLikePrompt(line)) return `\\${line}`;
  return line;
}

/** `131.0 s virtual` style: seconds with one decimal. */
export function formatVirtual(t: Time): string {
  return `${(t / NS_PER_S).toFixed(1)} s`;
}
