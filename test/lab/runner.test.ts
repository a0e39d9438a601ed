import { describe, expect, test } from 'vitest';
import { parseLab } from '../../src/lab/parse.js';
import { LabSession } from '../../src/lab/runner.js';
import { openFakeTerminal } from './fake-terminal.js';
import { lab, play, TEST_COMMANDS } from './helpers.js';

const TWO_HOSTS = ['%host client 192.168.0.21/24', '%host server 192.168.0.22/24'];

describe('playing a lab', () => {
  test('a passing lab: output checked line by line, comments and directives kept', async () => {
    const text = lab(
      '# Two hosts.',
      ...TWO_HOSTS,
      '',
      'root@client:~# echo hello world',
      'hello world',
      '# the server now',
      'root@server:~# hosts',
      '127.0.0.1 localhost',
      '192.168.0.21 client',
    );
    const r = await play(text);
    expect(r.diff).toBe('');
    expect(r.passed).toBe(true);
    expect(r.text).toBe(text);
    expect(r.commands).toBe(2);
  });

  test('a mismatch is a unified diff with the file and line of the first difference', async () => {
    const r = await play(
      lab(
        ...TWO_HOSTS,
        'root@client:~# echo one',
        'one',
        'root@client:~# echo two',
        'three',
        'root@client:~# echo four',
        'four',
      ),
      {},
      'labs/x.lab',
    );
    expect(r.passed).toBe(false);
    expect(r.diff).toBe(
      [
        '--- labs/x.lab (expected)',
        '+++ labs/x.lab (actual)',
        'labs/x.lab:6:',
        '@@ -3,6 +3,6 @@',
        ' root@client:~# echo one',
        ' one',
        ' root@client:~# echo two',
        '-three',
        '+two',
        ' root@client:~# echo four',
        ' four',
        '',
      ].join('\n'),
    );
  });

  test('missing and extra output lines are shown', async () => {
    const r = await play(
      lab(...TWO_HOSTS, 'root@client:~# echo a', 'root@client:~# now', '1', 'extra'),
    );
    expect(r.diff).toContain('+a\n');
    expect(r.diff).toContain('-extra\n');
  });

  test('time: each line settles 1 s; a command on a host whose job runs waits for it', async () => {
    const r = await play(
      lab(
        ...TWO_HOSTS,
        'root@client:~# now',
        '0',
        'root@client:~# sleep 100',
        'root@server:~# now',
        '2',
        'root@client:~# now',
        '101',
        'root@client:~# now',
        '102',
      ),
    );
    expect(r.diff).toBe('');
    // 101 s, then a settle after each of the two last commands.
    expect(r.virtualTime).toBe(103e9);
  });

  test('%date sets the wall clock at virtual time 0 (default 2026-01-01 00:00:00 UTC)', async () => {
    const r = await play(lab(...TWO_HOSTS, 'root@client:~# epoch', '1767225600'));
    expect(r.diff).toBe('');
    const d = await play(
      lab('%date 2000-02-29 12:00:00', ...TWO_HOSTS, 'root@client:~# epoch', '951825600'),
    );
    expect(d.diff).toBe('');
  });

  test('%settle and %wait', async () => {
    const r = await play(
      lab(
        ...TWO_HOSTS,
        '%settle 0',
        'root@client:~# now',
        '0',
        '%wait 2.5s',
        'root@client:~# now',
        '2.5',
        '%settle 10s',
        'root@client:~# now',
        '2.5',
      ),
    );
    expect(r.diff).toBe('');
    expect(r.virtualTime).toBe(12.5e9);
  });

  test('background jobs: their output appears where a terminal would show it, in time order', async () => {
    const text = lab(
      ...TWO_HOSTS,
      'root@client:~# tick 1 &',
      '[1] 1000',
      'tick 1',
      'root@server:~# sleep 3',
      'tick 2',
      '# the client is free: its foreground is empty',
      'root@client:~# sleep 3',
      'tick 3',
      'tick 4',
      '# due at the instant the sleep ends: the prompt comes back after it',
      'tick 5',
      'root@client:~# kill %1',
      'root@client:~# jobs',
      '[1]+  Terminated              tick 1',
    );
    const r = await play(text);
    expect(r.diff).toBe('');
  });

  test('%type goes to the foreground job; ^D ends its input', async () => {
    const r = await play(
      lab(
        ...TWO_HOSTS,
        'root@client:~# cat',
        '%type hello',
        'hello',
        '%type   two  spaces',
        '  two  spaces',
        '^D',
        'root@client:~# echo done',
        'done',
      ),
    );
    expect(r.diff).toBe('');
  });

  test('^C interrupts the foreground job; a trapping job handles it', async () => {
    const r = await play(
      lab(
        ...TWO_HOSTS,
        'root@client:~# sleep 1000',
        '^C',
        'root@client:~# now',
        '2',
        'root@client:~# trapint',
        '^C',
        'caught',
        'root@client:~# now',
        '5',
      ),
    );
    expect(r.diff).toBe('');
  });

  test('a foreground job that never ends stops the lab at the next command on its host', async () => {
    const r = await play(
      lab(
        ...TWO_HOSTS,
        '%timeout 10m',
        'root@client:~# sleep 100000',
        'root@client:~# now',
        'never',
      ),
      {},
      'labs/hang.lab',
    );
    expect(r.passed).toBe(false);
    expect(r.error).toEqual({
      line: 5,
      message:
        'the foreground job on client is still running after 10m of virtual time, so this command cannot be typed (end it with ^C, or run it in the background with &)',
    });
  });

  test('another user on the same host is another terminal (a second login)', async () => {
    const r = await play(
      lab(
        ...TWO_HOSTS,
        'root@client:~# tick 10 &',
        '[1] 1000',
        'alice@client:~$ jobs',
        'root@client:~# jobs',
        '[1]+  Running                 tick 10 &',
      ),
    );
    expect(r.diff).toBe('');
  });

  test('a bug below the runner fails the lab at its line instead of crashing the run', async () => {
    const r = await play(lab(...TWO_HOSTS, 'root@client:~# echo hi', 'hi'), {
      openTerminal: () => {
        throw new Error('boom');
      },
    });
    expect(r.passed).toBe(false);
    expect(r.error).toEqual({ line: 3, message: 'internal error: boom' });
  });

  test('a step that never gets to its end stops the lab at its line, said as such (not an internal error)', async () => {
    // A job printing every 10 ms through a 1000 s wait: far more events than the limit.
    const r = await play(
      lab(...TWO_HOSTS, 'root@client:~# tick 0.01 &', '[1] 1000', '%wait 1000s'),
      {
        maxEventsPerRun: 5000,
      },
    );
    expect(r.passed).toBe(false);
    expect(r.error?.line).toBe(5);
    expect(r.error?.message).toMatch(
      /^the simulation ran 5001 events in this step without getting to its end \(at \d+\.\d+s of virtual time\): something keeps making work/,
    );
  });

  test('sysctls are set before anything runs; every host knows every other by name', async () => {
    const r = await play(
      lab(
        ...TWO_HOSTS,
        '%sysctl client net.ipv4.tcp_syn_retries=2',
        '%sysctl * net.ipv4.tcp_fin_timeout=30',
        'root@client:~# getsysctl net.ipv4.tcp_syn_retries',
        '2',
        'root@server:~# getsysctl net.ipv4.tcp_syn_retries',
        '6',
        'root@server:~# getsysctl net.ipv4.tcp_fin_timeout',
        '30',
      ),
    );
    expect(r.diff).toBe('');
  });

  test('output that looks like lab syntax is written escaped, and read back', async () => {
    const text = lab(
      ...TWO_HOSTS,
      'root@client:~# echo # not a comment',
      '\\# not a comment',
      'root@client:~# echo %seed 1',
      '\\%seed 1',
      'root@client:~# echo ^C',
      '\\^C',
      'root@client:~# echo \\x',
      '\\\\x',
      'root@client:~# echo root@server:~# ls',
      '\\root@server:~# ls',
    );
    const r = await play(text);
    expect(r.diff).toBe('');
    expect(r.text).toBe(text);
  });

  test('trailing blanks are not significant; a separating blank line is not output', async () => {
    const r = await play(
      lab(
        ...TWO_HOSTS,
        'root@client:~# echo a   ',
        'a   ',
        '',
        '',
        '# next',
        'root@client:~# echo b',
        'b',
        '',
      ),
    );
    expect(r.diff).toBe('');
  });

  test('an empty output line at the end of an output is written \\', async () => {
    const r = await play(lab(...TWO_HOSTS, 'root@client:~# echo', 'root@client:~# echo x'));
    expect(r.text).toBe(
      lab(...TWO_HOSTS, 'root@client:~# echo', '\\', 'root@client:~# echo x', 'x'),
    );
    const again = await play(r.text);
    expect(again.passed).toBe(true);
  });

  test("a command not found is bash's message, not an error of the lab", async () => {
    const r = await play(
      lab(...TWO_HOSTS, 'root@client:~# frobnicate', '-bash: frobnicate: command not found'),
    );
    expect(r.diff).toBe('');
  });

  test('the live view gets the transcript as it plays', async () => {
    const lines: string[] = [];
    await play(lab(...TWO_HOSTS, '# look', 'root@client:~# echo hi', 'hi', '# after'), {
      onLine: (l) => lines.push(l),
    });
    expect(lines).toEqual([...TWO_HOSTS, '# look', 'root@client:~# echo hi', 'hi', '# after']);
  });
});

describe('determinism', () => {
  const DIAL = lab(
    ...TWO_HOSTS,
    'root@server:~# listen 80 &',
    'root@client:~# dial 192.168.0.22 80',
    'local port 0',
  );

  test('same seed, same transcript; another seed, another ephemeral port', async () => {
    const a = await play(DIAL, { seed: 1 });
    const b = await play(DIAL, { seed: 1 });
    const c = await play(DIAL, { seed: 2 });
    expect(a.text).toBe(b.text);
    expect(a.text).not.toBe(c.text);
    expect(a.text).toMatch(/local port \d+/);
  });

  test('%seed is the default seed, --seed overrides it', async () => {
    const withSeed = DIAL.replace('%host client', '%seed 2\n%host client');
    const a = await play(withSeed);
    const c = await play(DIAL, { seed: 2 });
    const port = (t: string) => /local port (\d+)/.exec(t)?.[1];
    expect(port(a.text)).toBe(port(c.text));
    const d = await play(withSeed, { seed: 1 });
    expect(port(d.text)).not.toBe(port(a.text));
  });
});

describe('sessions', () => {
  test('a session exposes its network, system and terminals after playing', async () => {
    const parsed = parseLab('x.lab', lab(...TWO_HOSTS, 'root@server:~# echo up', 'up'));
    if (!parsed.ok) throw new Error('parse');
    const s = LabSession.create(parsed.lab, {
      openTerminal: openFakeTerminal,
      commands: TEST_COMMANDS,
    });
    if (!s.ok) throw new Error('build');
    await s.session.play();
    expect(s.session.lastTerminal).toBe('server');
    expect([...s.session.terminals.keys()]).toEqual(['server']);
    expect(s.session.network.hosts.map((h) => h.name)).toEqual(['client', 'server']);
  });
});
