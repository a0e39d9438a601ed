/** The commands of this part: tcpdump on a host's live interfaces (tcpdump-live.ts). */

import type { Command } from '../os/process.js';
import { tcpdumpCommand } from './tcpdump-live.js';

export const CAPTURE_COMMANDS: Readonly<Record<string, Command>> = {
  tcpdump: tcpdumpCommand,
};
