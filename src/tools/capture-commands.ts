/** The commands of this part: tcpdump on a host's live interfaces. */

import type { Command } from '../os/process.js';

export const CAPTURE_COMMANDS: Readonly<Record<string, Command>> = {};
