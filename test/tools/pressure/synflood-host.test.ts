/**
 * A SYN flood from the command line, end to end: `tcp-server -b 16` on the
 * server, `hping3 -S --flood --rand-source` on the client; what `ss -lnt`,
 * `dmesg` and `nstat` on the server show (linux-traces/syn-flood: the kernel
 * log line, written once; Recv-Q and Send-Q of the listener).
 */

import { expect, test } from 'vitest';
import type { Command } from '../../../src/os/process.js';
import { System } from '../../../src/os/system.js';
import { ms } from '../../../src/sim/time.js';
import { APP_COMMANDS } from '../../../src/tools/apps/index.js';
import { INSPECT_COMMANDS } from '../../../src/tools/inspect/index.js';
import { PRESSURE_COMMANDS } from '../../../src/tools/pressure/index.js';
import { lan } from '../../host/helpers.js';
import type { AppsLab } from '../apps/harness.js';
import { run, start } from '../apps/harness.js';

function floodLab(): AppsLab {
  const env = lan({ seed: 1 });
  const commands = new Map<string, Command>([
    ...Object.entries(APP_COMMANDS),
    ...Object.entries(PRESSURE_COMMANDS),
    ...Object.entries(INSPECT_COMMANDS),
  ]);
  return { ...env, sys: new System(env.net, { commands }) };
}

test('hping3 --flood --rand-source against tcp-server -b 16: one kernel log line, cookies counted, ss shows the queues', async () => {
  const lab = floodLab();
  start(lab, lab.server, ['tcp-server', '-p', '80', '-b', '16', '--accept', 'never']);
  await lab.sys.runUntil(lab.net.now + ms(1));
  for (const port of ['40001', '40002'])
    start(lab, lab.client, ['nc', '-p', port, '192.168.0.22', '80']);
  await lab.sys.runUntil(lab.net.now + ms(10));
  const h = start(lab, lab.client, [
    'hping3',
    '-S',
    '-p',
    '80',
    '--flood',
    '--rand-source',
    '192.168.0.22',
  ]);
  await lab.sys.runUntil(lab.net.now + ms(2));
  lab.sys.kill(lab.client, h.process.pid, 'SIGINT');
  await lab.sys.runUntil(lab.net.now + ms(1));

  const dmesg = await run(lab, lab.server, ['dmesg']);
  const lines = dmesg.stdout.split('\n').filter((l) => l.includes('SYN flooding'));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(
    /^\[\s*\d+\.\d{6}\] TCP: request_sock_TCP: Possible SYN flooding on port 0\.0\.0\.0:80\. Sending cookies\.$/,
  );

  // Two connections wait in the accept queue (Recv-Q), the backlog is 16 (Send-Q).
  const ss = await run(lab, lab.server, ['ss', '-lnt']);
  expect(ss.stdout.split('\n')[1]).toMatch(/^LISTEN\s+2\s+16\s+0\.0\.0\.0:80\s+0\.0\.0\.0:\*\s*$/);

  const c = lab.server.tcp.net.counters;
  const listener = lab.server.tcp.listeners[0]!.listener;
  expect(listener.synQueue.size).toBe(17);
  expect(c.TcpExtSyncookiesSent).toBeGreaterThan(50);
  expect(c.TcpExtTCPReqQFullDoCookies).toBe(c.TcpExtSyncookiesSent);
  const nstat = await run(lab, lab.server, ['nstat', '-az', 'TcpExtSyncookiesSent']);
  expect(nstat.stdout).toMatch(new RegExp(`TcpExtSyncookiesSent\\s+${c.TcpExtSyncookiesSent}\\s`));
});
