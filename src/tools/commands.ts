/**
 * Every command a virtual host can run, by name: what the shell finds on its
 * PATH. Each part of the tools layer exports its own table; a name defined
 * twice is a bug this module refuses at load time.
 */

import { NETFILTER_COMMANDS } from '../netfilter/commands.js';
import type { Command } from '../os/process.js';
import { APP_COMMANDS } from './apps/index.js';
import { CAPTURE_COMMANDS } from './capture-commands.js';
import { COREUTILS_COMMANDS } from './coreutils/index.js';
import { INSPECT_COMMANDS } from './inspect/index.js';
import { PRESSURE_COMMANDS } from './pressure/index.js';

function merge(...tables: Readonly<Record<string, Command>>[]): ReadonlyMap<string, Command> {
  const all = new Map<string, Command>();
  for (const table of tables) {
    for (const [name, command] of Object.entries(table)) {
      if (all.has(name)) throw new Error(`commands: ${name} is defined twice`);
      all.set(name, command);
    }
  }
  return all;
}

export const COMMANDS: ReadonlyMap<string, Command> = merge(
  COREUTILS_COMMANDS,
  NETFILTER_COMMANDS,
  APP_COMMANDS,
  INSPECT_COMMANDS,
  CAPTURE_COMMANDS,
  PRESSURE_COMMANDS,
);
