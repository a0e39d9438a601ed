/**
 * The commands of the "under pressure" labs: `hping3` (3.a2.ds2, Debian 12,
 * TCP mode) to flood a listener with SYNs from real or spoofed sources, and
 * tcplab's own `tcp-server`, a listener that accepts and closes as badly as
 * the lab wants. hping3 sends raw IP (src/host/raw.ts), never through the
 * host's TCP. docs/tools-pressure.md lists what each does and where hping3
 * differs from the real one.
 */

import type { Command } from '../../os/process.js';
import { hping3 } from './hping3.js';
import { tcpServer } from './tcp-server.js';

export const PRESSURE_COMMANDS: Readonly<Record<string, Command>> = {
  hping3,
  'tcp-server': tcpServer,
};
