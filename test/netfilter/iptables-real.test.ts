/**
 * iptables, iptables-save and iptables-restore against the real tools: every
 * command of fixtures/real-iptables.json (recorded by
 * fixtures/record-real-iptables.py with iptables 1.8.9 (nf_tables) on Debian
 * 12, each case in a fresh network namespace) is run, in order, on a fresh
 * tcplab host, and must print the same stdout and stderr and exit with the
 * same status. iptables-save's date lines are compared up to the date.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { NETFILTER_COMMANDS } from '../../src/netfilter/commands.js';
import { textInput } from '../../src/os/streams.js';
import { System } from '../../src/os/system.js';
import { Network } from '../../src/sim/network.js';

interface Recorded {
  readonly argv: string[];
  readonly stdin?: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number;
}

const HERE = fileURLToPath(new URL('.', import.meta.url));
const CASES = JSON.parse(readFileSync(join(HERE, 'fixtures/real-iptables.json'), 'utf8')) as Record<
  string,
  Recorded[]
>;

/** Commands whose real output tcplab does not reproduce (see docs/iptables.md). */
const KNOWN_DIFFERENCES = new Set<string>([
  // `-E` on a table that does not exist yet succeeds; tcplab's table always has INPUT.
]);

const normalizeDates = (s: string): string =>
  s.replace(/ on \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/gm, ' on DATE');

describe('iptables against the real iptables 1.8.9 (nf_tables)', () => {
  for (const [name, commands] of Object.entries(CASES)) {
    test(name, async () => {
      const net = new Network({ seed: 1 });
      const lan = net.segment('lan');
      const host = net.addHost('h', { segment: lan, address: '192.168.0.22/24' });
      const sys = new System(net, { commands: new Map(Object.entries(NETFILTER_COMMANDS)) });
      for (const c of commands) {
        const line = c.argv.join(' ');
        if (KNOWN_DIFFERENCES.has(line)) continue;
        const r = await sys.exec(host, c.argv, { stdin: textInput(c.stdin ?? '') });
        expect({
          line,
          stdout: normalizeDates(r.stdout),
          stderr: r.stderr,
          status: r.status,
        }).toEqual({
          line,
          stdout: normalizeDates(c.stdout),
          stderr: c.stderr,
          status: c.status,
        });
      }
    });
  }
});
