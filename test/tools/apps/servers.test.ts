/**
 * The servers and the end of programs: the packets of a client talking to
 * nginx against the real nginx's (fixtures/real/cap-*.tcpdump), tcplab's own
 * echo-server, what the peer sees when a program is interrupted or killed
 * (^C: telnet's IAC IP recorded through a pty; nc and curl leave their sockets
 * to the kernel: FIN), and determinism.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CollectOutput, NULL_INPUT, textInput } from '../../../src/os/streams.js';
import { ms, NS_PER_S, s } from '../../../src/sim/time.js';
import { APP_COMMANDS } from '../../../src/tools/apps/index.js';
import {
  type AppsLab,
  appsLab,
  FIXTURES,
  fixture,
  normalize,
  printCapture,
  run,
  scriptedInput,
} from './harness.js';
import { pyEcho } from './servers.js';

/** The TCP segments of the client's wire, as `tcpdump -n` prints them, normalized. */
function tcpLines(lab: AppsLab, from = 0): string[] {
  const frames = lab.wire.filter((p) => p.time >= from && p.frame[12] === 8 && p.frame[23] === 6);
  return normalize(printCapture(frames)).map((l) => l.text);
}

function realLines(name: string): string[] {
  const text = readFileSync(join(FIXTURES, `${name}.tcpdump`), 'latin1');
  return normalize(text.trimEnd().split('\n')).map((l) => l.text);
}

async function withNginx(): Promise<AppsLab> {
  const lab = appsLab();
  expect((await run(lab, lab.server, ['nginx'])).status).toBe(0);
  return lab;
}

describe('packets of clients talking to nginx, against the real nginx', () => {
  test('cap-curl: GET on a keep-alive connection, curl closes first, nginx closes on its FIN', async () => {
    const lab = await withNginx();
    const t0 = lab.net.now;
    const r = await run(lab, lab.client, ['curl', '-s', '-o', '/dev/null', 'http://192.168.0.22/']);
    expect(r.status).toBe(fixture('cap-curl').status);
    await lab.sys.runUntil(lab.net.now + s(1));
    expect(tcpLines(lab, t0)).toEqual(realLines('cap-curl'));
  });

  test('cap-telnet-junk: 400 Bad Request, nginx FIN, telnet closes: the real segments (windows aside)', async () => {
    const lab = await withNginx();
    const t0 = lab.net.now;
    const stdin = scriptedInput(lab, lab.client, [[0.3, 'hello\n']], 0.8);
    await run(lab, lab.client, ['telnet', '192.168.0.22', '80'], { stdin });
    await lab.sys.runUntil(lab.net.now + s(1));
    // The client's advertised window after the 309-byte response is the
    // engine's (tcp_grow_window): 64 here, 63 on the real kernel.
    const win = (l: string): string => l.replace(/win \d+/, 'win W');
    expect(tcpLines(lab, t0).map(win)).toEqual(realLines('cap-telnet-junk').map(win));
  });

  test('cap-junk-more: after a 400 with bytes left unread, nginx lingers: FIN, later data ACKed, no RST', async () => {
    const lab = await withNginx();
    const t0 = lab.net.now;
    const stdin = scriptedInput(
      lab,
      lab.client,
      [
        [0, 'hello\r\nmore\r\n'],
        [0.5, 'late\r\n'],
      ],
      1,
    );
    await run(lab, lab.client, ['nc', '192.168.0.22', '80'], { stdin });
    await lab.sys.runUntil(lab.net.now + s(1));
    // Windows aside (the engine's tcp_grow_window, as in cap-telnet-junk).
    const win = (l: string): string => l.replace(/win \d+/, 'win W');
    expect(tcpLines(lab, t0).map(win)).toEqual(realLines('cap-junk-more').map(win));
  });

  test('cap-http10: HTTP/1.0 closes after the response (DEVIATION: the FIN in its own segment)', async () => {
    const lab = await withNginx();
    const t0 = lab.net.now;
    const stdin = scriptedInput(lab, lab.client, [[0, 'GET / HTTP/1.0\r\n\r\n']], 0.5);
    await run(lab, lab.client, ['nc', '192.168.0.22', '80'], { stdin });
    await lab.sys.runUntil(lab.net.now + s(1));
    const ours = tcpLines(lab, t0);
    // nginx corks the response (tcp_nopush with sendfile) and close() uncorks it
    // with the FIN on the last data segment: [FP.]. tcplab's engine has no
    // TCP_CORK, so the data goes at once and the FIN follows alone.
    const real = realLines('cap-http10');
    const fp = real.findIndex((l) => l.includes('Flags [FP.]'));
    const m = /seq 1:(\d+)/.exec(real[fp]!)!;
    const end = m[1]!;
    const expected = [
      ...real.slice(0, fp),
      real[fp]!.replace('[FP.]', '[P.]'),
      real[fp + 1]!.replace(/ack \d+/, `ack ${end}`),
      real[fp]!.replace('[FP.]', '[F.]')
        .replace(/seq 1:\d+/, `seq ${end}`)
        .replace(/length \d+.*$/, 'length 0'),
      ...real.slice(fp + 1),
    ];
    expect(ours).toEqual(expected);
  });
});

describe('packets of nc against an echo server, against the real nc', () => {
  const cases = [
    ['cap-nc-z', ['nc', '-z', '192.168.0.22', '7'], [], 0],
    ['cap-nc-N', ['nc', '-N', '192.168.0.22', '7'], [[0.3, 'hello\n']], 0.6],
    ['cap-nc-q1', ['nc', '-q', '1', '192.168.0.22', '7'], [[0.3, 'hello\n']], 0.6],
  ] as const;
  for (const [name, argv, input, eofAt] of cases) {
    test(`${name}: ${fixture(name).cmd}`, async () => {
      const lab = appsLab();
      pyEcho(lab.server, 7);
      const stdin = scriptedInput(lab, lab.client, input, eofAt);
      const r = await run(lab, lab.client, argv, { stdin });
      await lab.sys.runUntil(lab.net.now + s(2));
      const frames = lab.wire.filter((p) => p.frame[12] === 8 && p.frame[23] === 6);
      const ours = normalize(printCapture(frames));
      const text = readFileSync(join(FIXTURES, `${name}.tcpdump`), 'latin1');
      const real = normalize(text.trimEnd().split('\n'));
      expect(ours.map((l) => l.text)).toEqual(real.map((l) => l.text));
      // Relative times: the real ones include bash's and nc's start-up (up to 30 ms).
      for (let i = 0; i < real.length; i++) {
        expect(Math.abs(ours[i]!.t - real[i]!.t), `line ${i + 1}`).toBeLessThanOrEqual(0.04);
      }
      // -q 1: nc exits one second after both directions ended (the server's FIN).
      const lastFin = frames.filter((p) => (p.frame[47]! & 1) === 1).at(-1)!;
      const expected = name === 'cap-nc-q1' ? lastFin.time + s(1) : lastFin.time;
      expect(r.exitedAt).toBe(expected);
    });
  }
});

describe('echo-server (tcplab)', () => {
  test('echoes each line back per connection, several connections at once', async () => {
    const lab = appsLab();
    const server = lab.sys.spawn(lab.server, APP_COMMANDS['echo-server']!, {
      argv: ['echo-server', '-p', '7'],
      stdin: NULL_INPUT,
      stdout: new CollectOutput(),
      stderr: new CollectOutput(),
    });
    const a = scriptedInput(
      lab,
      lab.client,
      [
        [0.1, 'one\n'],
        [0.5, 'three\n'],
      ],
      0.7,
    );
    const b = scriptedInput(lab, lab.client, [[0.3, 'two\n']], 0.6);
    const outB = new CollectOutput();
    const pb = lab.sys.spawn(lab.client, APP_COMMANDS.nc!, {
      argv: ['nc', '-N', 'server', '7'],
      stdin: b,
      stdout: outB,
      stderr: outB,
    });
    const ra = await run(lab, lab.client, ['nc', '-N', 'server', '7'], { stdin: a });
    expect(ra).toMatchObject({ status: 0, stdout: 'one\nthree\n', stderr: '' });
    expect(pb.exitStatus).toBe(0);
    expect(outB.text).toBe('two\n');
    // Both connections were open at once: the server had two at 0.5 s.
    expect(server.exitStatus).toBeUndefined();
  });

  test('a partial line is echoed at end of file; the server runs until killed, then its sockets close', async () => {
    const lab = appsLab();
    const server = lab.sys.spawn(lab.server, APP_COMMANDS['echo-server']!, {
      argv: ['echo-server'],
      stdin: NULL_INPUT,
      stdout: new CollectOutput(),
      stderr: new CollectOutput(),
    });
    const r = await run(lab, lab.client, ['nc', '-N', '192.168.0.22', '7'], {
      stdin: textInput('no newline'),
    });
    expect(r.stdout).toBe('no newline');
    await lab.sys.runUntil(s(100));
    expect(server.exitStatus).toBeUndefined();
    lab.sys.kill(lab.server, server.pid, 'SIGINT');
    await lab.sys.settle();
    expect(await server.exited).toBe(130);
    expect(lab.server.tcp.listeners.length).toBe(0);
  });

  test('bad input: usage, a bad port, a port in use', async () => {
    const lab = appsLab();
    expect(await run(lab, lab.server, ['echo-server', '-x'])).toMatchObject({
      status: 2,
      stderr: "echo-server: invalid option -- 'x'\nusage: echo-server [-p PORT]\n",
    });
    expect(await run(lab, lab.server, ['echo-server', '-p', '70000'])).toMatchObject({
      status: 2,
      stderr: "echo-server: invalid port '70000'\n",
    });
    expect(await run(lab, lab.server, ['echo-server', 'extra'])).toMatchObject({
      status: 2,
      stderr: 'usage: echo-server [-p PORT]\n',
    });
    expect((await run(lab, lab.server, ['nginx'])).status).toBe(0);
    expect(await run(lab, lab.server, ['echo-server', '-p', '80'])).toMatchObject({
      status: 1,
      stderr: 'echo-server: bind: Address already in use\n',
    });
  });
});

describe('interrupting and killing programs', () => {
  test('telnet-ctrl-c: ^C sends IAC IP, IAC DO TIMING-MARK and telnet carries on; ^] quit closes', async () => {
    const lab = appsLab();
    const got: Uint8Array[] = [];
    pyEcho(lab.server, 23);
    // Record what the server receives, as the fixture's server did.
    lab.server.addTap(
      (p) => {
        if (p.direction !== 'In' || p.frame[23] !== 6) return;
        const ihl = (p.frame[14]! & 15) * 4;
        const doff = (p.frame[14 + ihl + 12]! >> 4) * 4;
        const payload = p.frame.subarray(14 + ihl + doff);
        if (payload.length > 0) got.push(payload);
      },
      { ifname: 'eth0' },
    );
    const stdin = scriptedInput(
      lab,
      lab.client,
      [
        [0.5, 'hello\n'],
        [1.5, '\x1d\n'],
        [2, 'quit\n'],
      ],
      10,
    );
    const merged = new CollectOutput({ isTerminal: true });
    const p = lab.sys.spawn(lab.client, APP_COMMANDS.telnet!, {
      argv: ['telnet', '192.168.0.22', '23'],
      stdin,
      stdout: merged,
      stderr: merged,
    });
    await lab.sys.runUntil(s(1));
    lab.sys.kill(lab.client, p.pid, 'SIGINT');
    await lab.sys.runUntil(s(1.2));
    expect(p.exitStatus).toBeUndefined();
    await lab.sys.runUntil(s(3));
    expect(p.exitStatus).toBe(0);
    const server = Buffer.concat(got).toString('latin1');
    // Python's repr() of the bytes, as the fixture's server wrote it.
    const repr = server
      .replace(/\r/g, '\\r')
      .replace(/\n/g, '\\n')
      .replace(
        /[\x00-\x1f\x7f-\xff]/g,
        (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
      );
    expect(`b'${repr}'\n`).toBe(readFileSync(join(FIXTURES, 'telnet-ctrl-c.server'), 'latin1'));
    // The screen, without what the tty echoed (^C, ^], the typed lines) and its CRs.
    const real = fixture('telnet-ctrl-c')
      .stdout.replace(/\r/g, '')
      .replace('hello\nhello\n', 'hello\n')
      .replace('^C^]', '')
      .replace('telnet> quit\n', 'telnet> ')
      .replace('alive after ^C: True\n', '');
    expect(merged.text).toBe(real);
  });

  test('nc killed by ^C (SIGINT): exit 130, and the kernel closes its socket with a FIN', async () => {
    const lab = appsLab();
    pyEcho(lab.server, 7);
    const p = lab.sys.spawn(lab.client, APP_COMMANDS.nc!, {
      argv: ['nc', '192.168.0.22', '7'],
      stdin: scriptedInput(lab, lab.client, [[0.1, 'hi\n']], 100),
      stdout: new CollectOutput(),
      stderr: new CollectOutput(),
    });
    await lab.sys.runUntil(s(1));
    const before = lab.wire.length;
    lab.sys.kill(lab.client, p.pid, 'SIGINT');
    await lab.sys.runUntil(s(2));
    expect(await p.exited).toBe(130);
    const after = tcpLines(lab).slice(-3);
    expect(lab.wire.length).toBeGreaterThan(before);
    expect(after.map((l) => /Flags \[([^\]]+)\]/.exec(l)![1])).toEqual(['F.', 'F.', '.']);
  });

  test('curl killed while waiting: the connection is closed by the kernel (FIN), exit 130', async () => {
    const lab = appsLab();
    const so = lab.server.sockets;
    const lfd = so.socket();
    so.bind(lfd, 0, 80);
    so.listen(lfd, 5);
    const out = new CollectOutput();
    const p = lab.sys.spawn(lab.client, APP_COMMANDS.curl!, {
      argv: ['curl', '-s', 'http://192.168.0.22/'],
      stdin: NULL_INPUT,
      stdout: out,
      stderr: out,
    });
    await lab.sys.runUntil(s(5));
    lab.sys.kill(lab.client, p.pid, 'SIGINT');
    await lab.sys.runUntil(s(6));
    expect(await p.exited).toBe(130);
    const lines = tcpLines(lab);
    expect(lines.at(-2)).toMatch(/192\.168\.0\.21\.PORT > 192\.168\.0\.22\.80: Flags \[F\.\]/);
    expect(lines.at(-1)).toMatch(/192\.168\.0\.22\.80 > 192\.168\.0\.21\.PORT: Flags \[\.\]/);
  });
});

describe('determinism', () => {
  test('the same lab and seed give the same bytes and the same outputs', async () => {
    const once = async (seed: number) => {
      const lab = appsLab({ seed });
      await run(lab, lab.server, ['nginx']);
      const r = await run(lab, lab.client, ['curl', '-v', 'http://server/']);
      const stdin = scriptedInput(lab, lab.client, [[0.2, 'hello\n']], 0.5);
      const t = await run(lab, lab.client, ['telnet', 'server', '80'], { stdin });
      await lab.sys.runUntil(lab.net.now + ms(100));
      return {
        out: r.stderr + r.stdout + t.merged,
        frames: lab.wire.map((p) => [p.time, p.frame]),
      };
    };
    const a = await once(5);
    expect(await once(5)).toEqual(a);
    expect((await once(6)).frames).not.toEqual(a.frames);
    expect(a.out).toContain('* Connected to server (192.168.0.22) port 80 (#0)');
    void NS_PER_S;
  });
});

describe('bad input never crashes a program', () => {
  test('nginx, given random bytes by a client, answers or closes; it never dies', async () => {
    const lab = await withNginx();
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 30; i++) {
      const len = 1 + rand(200);
      let junk = '';
      for (let j = 0; j < len; j++) {
        junk += String.fromCharCode(
          rand(4) === 0 ? [13, 10, 32, 58][rand(4)]! : rand(3) === 0 ? 65 + rand(26) : rand(256),
        );
      }
      const stdin = scriptedInput(lab, lab.client, [[0, junk]], 0.2);
      const r = await run(lab, lab.client, ['nc', '-q', '0', '192.168.0.22', '80'], { stdin });
      expect(r.status).toBe(0);
      expect(r.stdout === '' || r.stdout.startsWith('HTTP/1.1 ') || r.stdout.startsWith('<')).toBe(
        true,
      );
    }
    expect(lab.sys.processes(lab.server).map((p) => p.comm)).toEqual(['nginx']);
    expect(
      (await run(lab, lab.client, ['curl', '-s', '-o', '/dev/null', 'http://server/'])).status,
    ).toBe(0);
  });

  test('telnet and nc show whatever bytes a server sends (IAC sequences, NULs, a lone CR) and exit cleanly', async () => {
    const lab = appsLab();
    const so = lab.server.sockets;
    const lfd = so.socket();
    so.bind(lfd, 0, 23);
    so.listen(lfd, 5);
    const send = new Uint8Array([
      104, 13, 0, 105, 255, 255, 255, 251, 1, 255, 250, 24, 1, 255, 240, 13, 10, 120, 13,
    ]);
    const serve = (): void => {
      const c = so.accept(lfd);
      const go = (r: unknown): void => {
        if (typeof r === 'object' && r !== null && 'fd' in r) {
          const fd = (r as { fd: number }).fd;
          so.write(fd, send);
          so.close(fd);
        }
        serve();
      };
      if (c instanceof Object && 'onSettled' in c)
        (c as { onSettled: (f: (r: unknown) => void) => void }).onSettled(go);
      else go(c);
    };
    serve();
    const stdin = scriptedInput(lab, lab.client, [], 1);
    const t = await run(lab, lab.client, ['telnet', '192.168.0.22', '23'], { stdin });
    expect(t.status).toBe(0);
    // CR NUL → CR, IAC IAC → 0xff, WILL ECHO (accepted: the peer echoes, so CR LF
    // stays CR LF) and the subnegotiation consumed, a last CR shown at once.
    expect(t.stdout.endsWith("Escape character is '^]'.\nh\ri\xff\r\nx\r")).toBe(true);
    expect(t.stderr).toBe('Connection closed by foreign host.\n');
    expect(t.exitedAt).toBeLessThan(ms(1));
    const n = await run(lab, lab.client, ['nc', '192.168.0.22', '23'], {
      stdin: scriptedInput(lab, lab.client, [], 2),
    });
    expect(n.status).toBe(0);
    expect(Buffer.from(n.stdout, 'latin1')).toEqual(Buffer.from(send));
  });

  test("odd command lines get the tools' messages, never a crash", async () => {
    const lab = appsLab();
    const odd = [
      ['curl', 'http://'],
      ['curl', 'http://[::1]/'],
      ['curl', '-o'],
      ['curl', '--connect-timeout', '-1', 'http://server/'],
      ['nc', '-l'],
      ['nc', '-p', '0', 'server', '80'],
      ['nc', 'server', '0'],
      ['nc', 'server', '5-'],
      ['telnet', '-e'],
      ['telnet', '', ''],
      ['nginx', '-s'],
      ['nginx', '-g'],
      ['nginx', 'x'],
      ['echo-server', '-p'],
    ];
    for (const argv of odd) {
      const r = await run(lab, lab.client, argv, { timeLimit: 5 });
      expect(r.stderr, argv.join(' ')).not.toContain('internal error');
      expect(r.status, argv.join(' ')).not.toBe(70);
    }
  });
});
