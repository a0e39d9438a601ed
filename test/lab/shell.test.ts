import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { runShell } from '../../src/lab/interactive.js';
import { parseLab } from '../../src/lab/parse.js';
import { openTerminal } from '../../src/shell/index.js';
import { COMMANDS } from '../../src/tools/commands.js';
import { openFakeTerminal } from './fake-terminal.js';
import { lab, TEST_COMMANDS } from './helpers.js';

/** Strips readline's cursor movements. */
function plain(text: string): string {
  return text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replaceAll('\r\n', '\n');
}

function start(options: { terminal: boolean; lab?: string }) {
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (d: Buffer) => {
    text += d.toString('utf8');
  });
  const parsed = options.lab === undefined ? undefined : parseLab('x.lab', options.lab);
  if (parsed !== undefined && !parsed.ok) throw new Error('lab');
  const done = runShell({
    input,
    output,
    terminal: options.terminal,
    openTerminal: openFakeTerminal,
    commands: TEST_COMMANDS,
    ...(parsed?.ok ? { lab: parsed.lab } : {}),
  });
  return { input, done, text: () => plain(text) };
}

async function until(f: () => boolean, show: () => string = () => ''): Promise<void> {
  for (let i = 0; i < 2000 && !f(); i++) await new Promise((r) => setTimeout(r, 1));
  if (!f()) throw new Error(`timed out: ${JSON.stringify(show().slice(-300))}`);
}

describe('tcplab shell', () => {
  test('the default network, a prompt per host, @HOST switches, exit leaves', async () => {
    const sh = start({ terminal: false });
    sh.input.end('hosts\n@server\nnow\n@nowhere\n%wait 5s\nnow\n%host client\n@server\nexit\n');
    expect(await sh.done).toBe(0);
    expect(sh.text()).toBe(
      [
        'tcplab shell: hosts client, server. @HOST switches host, %wait 10s lets time pass, Ctrl-C interrupts, Ctrl-D or exit leaves.',
        'root@client:~# hosts',
        '127.0.0.1 localhost',
        '192.168.0.22 server',
        'root@client:~# @server',
        'root@server:~# now',
        '0',
        'root@server:~# @nowhere',
        'tcplab shell: no host called "nowhere" (hosts: client, server)',
        'root@server:~# %wait 5s',
        'root@server:~# now',
        '5',
        'root@server:~# %host client',
        'root@client:~# @server',
        'root@server:~# exit',
        '',
      ].join('\n'),
    );
  });

  test('the default network has 15 us per hop, as the traces: a ping takes 30 us, 60 us with ARP', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (d: Buffer) => {
      text += d.toString('utf8');
    });
    const done = runShell({ input, output, terminal: false, openTerminal, commands: COMMANDS });
    input.end('ping -c 2 server\nexit\n');
    expect(await done).toBe(0);
    expect(text).toContain('icmp_seq=1 ttl=64 time=0.060 ms\n');
    expect(text).toContain('icmp_seq=2 ttl=64 time=0.030 ms\n');
  });

  test('a lab is played first; the prompt is then its last host', async () => {
    const sh = start({
      terminal: false,
      lab: lab(
        '%host a 10.0.0.1/8',
        '%host b 10.0.0.2/8',
        'root@b:~# echo from the lab',
        'from the lab',
      ),
    });
    sh.input.end('now\n');
    expect(await sh.done).toBe(0);
    expect(sh.text()).toContain('root@b:~# echo from the lab\nfrom the lab\n');
    expect(sh.text()).toContain('root@b:~# now\n1\n');
  });

  test('a blocking command advances virtual time until it returns; output of another host waits', async () => {
    const sh = start({ terminal: false });
    sh.input.end('@server\ntick 100 &\n@client\nsleep 250\nnow\n@server\n');
    expect(await sh.done).toBe(0);
    const t = sh.text();
    expect(t).toContain(
      'root@client:~# sleep 250\nroot@client:~# now\n250\nroot@client:~# @server\ntick 100\ntick 200\n',
    );
  });

  test('Ctrl-C interrupts the foreground job (line editing on, as on a TTY)', async () => {
    const sh = start({ terminal: true });
    const atPrompt = () => sh.text().endsWith('root@client:~# ');
    sh.input.write('tick 1\n');
    await until(() => sh.text().includes('tick 3\n'));
    sh.input.write('\x03');
    await until(atPrompt, sh.text);
    expect(sh.text()).toMatch(/tick 3\n(tick \d+\n)*\^C\nroot@client:~# $/);
    sh.input.write('echo after\n');
    await until(() => sh.text().endsWith('# echo after\nafter\nroot@client:~# '), sh.text);
    // At the prompt, Ctrl-C discards what was typed.
    sh.input.write('partial\x03');
    await until(() => sh.text().endsWith('partial^C\nroot@client:~# '), sh.text);
    sh.input.write('echo again\n');
    await until(() => sh.text().endsWith('# echo again\nagain\nroot@client:~# '));
    expect(sh.text()).not.toContain('command not found');
    sh.input.end('exit\n');
    expect(await sh.done).toBe(0);
  });

  test("Ctrl-D ends the foreground job's input, then leaves at the prompt", async () => {
    const sh = start({ terminal: true });
    sh.input.write('cat\n');
    sh.input.write('typed\n');
    await until(() => sh.text().includes('typed\ntyped\n'));
    sh.input.write('\x04');
    await until(() => sh.text().endsWith('root@client:~# '));
    sh.input.write('echo back\n');
    await until(() => sh.text().endsWith('# echo back\nback\nroot@client:~# '));
    sh.input.write('\x04');
    expect(await sh.done).toBe(0);
  });
});
