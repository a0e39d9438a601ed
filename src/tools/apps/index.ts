/** The commands of this part: clients and servers: telnet, nc, curl, nginx, the echo server. */

import type { Command } from '../../os/process.js';

export const APP_COMMANDS: Readonly<Record<string, Command>> = {};
