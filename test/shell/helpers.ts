/**
 * A terminal on a simulated LAN for the shell's tests: type a line, run the
 * simulation until bash is back at its prompt (or the foreground job reads the
 * terminal, or a time limit passes), and get what the screen showed.
 */

import type { Host } from '../../src/host/host.js';
import type { Command } from '../../src/os/process.js';
import { System } from '../../src/os/system.js';
import { openTerminal, type Terminal } from '../../src/shell/index.js';
import { Network } from '../../src/sim/network.js';
import { NS_PER_S } from '../../src/sim/time.js';
import { COMMANDS } from '../../src/tools/commands.js';

export interface Session {
  readonly net: Network;
  readonly system: System;
  readonly host: Host;
  readonly term: Terminal;
  /** Types a line and runs until bash is back at its prompt (or `seconds` of virtual time pass). */
  type(line: string, seconds?: number): Promise<string>;
  /** Runs the simulation for `seconds` with nothing typed. */
  run(seconds: number): Promise<string>;
  /** Ctrl-C, then runs until the prompt. */
  interrupt(seconds?: number): Promise<string>;
  /** Ctrl-D, then runs until the prompt. */
  eof(seconds?: number): Promise<string>;
  /** Everything shown since the last call. */
  take(): string;
}

export async function session(
  options: { extra?: Record<string, Command>; user?: string } = {},
): Promise<Session> {
  const net = new Network({ seed: 1 });
  const lan = net.segment('lan');
  const host = net.addHost('client', { segment: lan, address: '192.168.0.21/24' });
  net.addHost('server', { segment: lan, address: '192.168.0.22/24' });
  const commands = new Map(COMMANDS);
  for (const [k, v] of Object.entries(options.extra ?? {})) commands.set(k, v);
  const system = new System(net, { commands });
  const term = openTerminal(system, host, options.user === undefined ? {} : { user: options.user });
  let screen = '';
  term.onOutput((t) => {
    screen += t;
  });
  const take = (): string => {
    const t = screen;
    screen = '';
    return t;
  };
  const settle = async (seconds: number): Promise<string> => {
    await system.runWhile(
      () => term.alive && !term.atPrompt && !term.reading,
      system.now + seconds * NS_PER_S,
    );
    return take();
  };
  await system.settle();
  return {
    net,
    system,
    host,
    term,
    take,
    type: async (line, seconds = 3600) => {
      term.typeLine(line);
      return settle(seconds);
    },
    run: async (seconds) => {
      await system.runUntil(system.now + seconds * NS_PER_S);
      return take();
    },
    interrupt: async (seconds = 3600) => {
      term.interrupt();
      return settle(seconds);
    },
    eof: async (seconds = 3600) => {
      term.endOfFile();
      return settle(seconds);
    },
  };
}
