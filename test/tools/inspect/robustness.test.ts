/**
 * Bad input never crashes a command (an internal error would exit 70 with
 * "internal error" on stderr): odd option mixes, missing arguments, garbage
 * addresses, on a host with sockets in several states.
 */

import { expect, test } from 'vitest';
import { s } from '../../../src/sim/time.js';
import { client, listener, spawn, traceLan } from './helpers.js';

const CASES: string[][] = [
  ['ss', '-tan', 'state'],
  ['ss', 'sport', '>', ':0', 'and', '(', 'dst', '10.0.0.0/8', 'or', 'not', 'src', '*:*', ')'],
  ['ss', '-tn', 'dst', 'nosuchhost'],
  ['ss', '-tn', '('],
  ['ss', '-tn', 'src', '1.2.3.4/99'],
  ['ss', '-f'],
  ['ss', '-atupxwlnoepiHOs4'],
  ['netstat', '-A'],
  ['netstat', '-antpoWe', '--numeric-hosts', '--numeric-ports'],
  ['netstat', '-sW'],
  ['lsof', '-i@999.1.1.1'],
  ['lsof', '-iXYZ'],
  ['lsof', '-i:'],
  ['lsof', '-s'],
  ['sysctl', '-w', '=1'],
  ['sysctl', '...'],
  ['sysctl', '-p', '/etc'],
  ['sysctl', 'net.ipv4.tcp_rmem=1 2 3 4 5'],
  ['ip', 'addr', 'add'],
  ['ip', 'addr', 'add', '300.1.1.1/24', 'dev', 'eth0'],
  ['ip', 'addr', 'del', '192.168.0.21/24'],
  ['ip', 'route', 'add'],
  ['ip', 'route', 'add', 'default', 'via'],
  ['ip', 'route', 'add', '10.0.0.0/8', 'via', '10.9.9.9'],
  ['ip', 'route', 'get'],
  ['ip', 'link', 'set'],
  ['ip', 'link', 'set', 'eth0', 'mtu'],
  ['ip', 'link', 'set', 'eth0', 'mtu', '10'],
  ['ip', 'neigh', 'add', '1.2.3.4'],
  ['ip', 'neigh', 'flush'],
  ['ip', '-x'],
  ['ip'],
  ['ping', '-c'],
  ['ping', '-i', 'x', '1.2.3.4'],
  ['ping', '-s', '99999', '1.2.3.4'],
  ['ping', '-t', '0', '1.2.3.4'],
  ['ping', '-c', '1', '-w', '1', '255.255.255.255'],
  ['ping', '-c', '1', '0.0.0.0'],
  ['hostname', 'newname'],
  ['hostname', '--bogus'],
  ['dmesg', '-l', 'bogus'],
  ['dmesg', '--bogus'],
  ['ps', '-p'],
  ['ps', 'q'],
  ['nstat', '-d'],
  ['nstat', '[x'],
];

test('no command crashes on bad input', async () => {
  const env = traceLan();
  spawn(env, env.server, ['python3'], listener(80, 1));
  await env.sys.runUntil(s(0.1));
  spawn(env, env.client, ['python3'], client('192.168.0.22', 80, 40001, 'x'));
  await env.sys.runUntil(s(1));
  for (const argv of CASES) {
    const r = await env.run(env.client, ...argv);
    expect(r.stderr, argv.join(' ')).not.toContain('internal error');
    expect(r.status, argv.join(' ')).not.toBe(70);
  }
});
