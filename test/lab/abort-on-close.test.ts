/**
 * labs/abort-on-close.lab against the real kernel's run of the same steps
 * (test/tcp/recordings/abort-on-close.sh and .txt, Linux 6.18.44): the same
 * segments (direction, flags, sequence and acknowledgment numbers past the
 * handshake, window, length), the same `exit 0`, and the lab's counters as
 * the kernel counted them. The lab passing (labs.test.ts) makes its expected
 * lines tcplab's output.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';

const LAB = readFileSync(new URL('../../labs/abort-on-close.lab', import.meta.url), 'utf8');
const RECORDING = readFileSync(
  new URL('../tcp/recordings/abort-on-close.txt', import.meta.url),
  'utf8',
);

/**
 * A tcpdump line without what differs between runs (addresses, ports, times,
 * ISNs, timestamps): `> S win 64240 length 0`, `< . 1:7? ack 7 win 64 length 0`.
 */
function shape(line: string): string {
  const m = /IP (\S+) > (\S+): Flags \[([^\]]+)\], (.*)$/.exec(line);
  if (m === null) throw new Error(`not a tcpdump line: ${line}`);
  const toServer = m[2]!.endsWith('.80');
  const flags = m[3]!;
  const rest = m[4]!;
  const field = (name: string): string =>
    new RegExp(`(?:^|, )${name} ([^,]+)`).exec(rest)?.[1] ?? '-';
  const handshake = flags === 'S' || flags === 'S.';
  const seq = handshake ? '' : ` seq ${field('seq')}`;
  const ack = handshake ? '' : ` ack ${field('ack')}`;
  return `${toServer ? '>' : '<'} ${flags}${seq}${ack} win ${field('win')} length ${field('length').replace(/:.*/, '')}`;
}

/** The segments of `text`, split where a SYN starts a new connection. */
function connections(text: string): string[][] {
  const out: string[][] = [];
  for (const line of text.split('\n')) {
    if (!/ IP .* Flags \[/.test(line)) continue;
    const s = shape(line);
    if (s.startsWith('> S ')) out.push([]);
    out[out.length - 1]!.push(s);
  }
  return out;
}

/** `Name=value` counters of the recording's `server:` or `client:` line of case `i`. */
function recordedCounters(i: number, who: 'server' | 'client'): Record<string, number> {
  const line = RECORDING.split('\n').filter((l) => l.startsWith(`${who}:`))[i]!;
  return Object.fromEntries(
    line
      .slice(who.length + 1)
      .trim()
      .split(/\s+/)
      .map((kv) => kv.split('='))
      .map(([k, v]) => [k!, Number(v)]),
  );
}

/** The value nstat printed for `name` in the lab's expected output after `command`. */
function labCounter(command: string, name: string): number {
  const from = LAB.indexOf(command);
  const line = LAB.slice(from)
    .split('\n')
    .find((l) => l.startsWith(`${name} `));
  if (from < 0 || line === undefined) throw new Error(`no ${name} after ${command}`);
  return Number(line.split(/\s+/)[1]);
}

describe('labs/abort-on-close.lab is what Linux 6.18 did', () => {
  test('the same segments, both times: a reset for the unread line, FINs for nothing', () => {
    const lab = connections(LAB);
    expect(lab).toHaveLength(2);
    expect(lab).toEqual(connections(RECORDING));
    expect(lab[0]!.at(-1)).toBe('< R. seq 1 ack 7 win 64 length 0');
  });

  test('nc exits 0 both times', () => {
    const exits = (text: string) => text.split('\n').filter((l) => /^exit \d+$/.test(l));
    expect(exits(LAB)).toEqual(['exit 0', 'exit 0']);
    expect(exits(RECORDING)).toEqual(['exit 0', 'exit 0']);
  });

  test('the counters the lab shows are the kernel’s', () => {
    const server = recordedCounters(0, 'server');
    const client = recordedCounters(0, 'client');
    expect(labCounter('root@client:~# nstat -az TcpEstabResets', 'TcpEstabResets')).toBe(
      client.TcpEstabResets,
    );
    const after = 'root@server:~# nstat -az TcpExtTCPAbortOnClose TcpOutRsts';
    for (const name of ['TcpExtTCPAbortOnClose', 'TcpOutRsts', 'TcpEstabResets']) {
      expect(labCounter(after, name), name).toBe(server[name]);
    }
    // The second connection adds a TIME-WAIT and no abort.
    const second = recordedCounters(1, 'server');
    const end = 'root@server:~# nstat -az TcpExtTCPAbortOnClose TcpExtTW';
    expect(labCounter(end, 'TcpExtTW')).toBe(second.TcpExtTW);
    expect(labCounter(end, 'TcpExtTCPAbortOnClose')).toBe(server.TcpExtTCPAbortOnClose);
    expect(second.TcpExtTCPAbortOnClose).toBeUndefined();
  });
});
