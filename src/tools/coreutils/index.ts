/** The commands of this part: the small Unix commands labs pipe through: echo, cat, grep, wc, head, tail, sleep, …. */

import type { Command } from '../../os/process.js';

export const COREUTILS_COMMANDS: Readonly<Record<string, Command>> = {};
