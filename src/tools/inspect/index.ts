/** The commands of this part: what the kernel shows: ss, netstat, lsof, sysctl, ip, ping, hostname, dmesg. */

import type { Command } from '../../os/process.js';

export const INSPECT_COMMANDS: Readonly<Record<string, Command>> = {};
