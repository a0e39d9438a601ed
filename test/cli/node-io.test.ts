import { describe, expect, test } from 'vitest';
import { parseEtcHosts } from '../../src/cli/node-io.js';

describe('/etc/hosts, as gethostbyaddr() reads it', () => {
  test('the first name of the first line for an address wins; comments and IPv6 are skipped', () => {
    const hosts = parseEtcHosts(
      [
        '# The following lines are desirable for IPv6 capable hosts',
        '127.0.0.1\tlocalhost',
        '127.0.0.1 runsc vm',
        '192.168.0.22   server server.lab   # the lab server',
        '::1     localhost ip6-localhost ip6-loopback',
        '10.0.0.300 broken',
        '',
      ].join('\n'),
    );
    expect(hosts).toEqual(
      new Map([
        [0x7f000001, 'localhost'],
        [0xc0a80016, 'server'],
      ]),
    );
  });
});
