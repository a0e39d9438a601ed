/** The commands of this part: iptables, iptables-save and iptables-restore (src/netfilter). */

import type { Command } from '../os/process.js';

export const NETFILTER_COMMANDS: Readonly<Record<string, Command>> = {};
