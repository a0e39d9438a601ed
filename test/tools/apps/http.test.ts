/**
 * nginx and curl against the real ones' recorded outputs (fixtures/real/*,
 * fixtures/record.sh): curl's messages, verbose trace, progress meter and exit
 * codes; nginx's status lines, headers, pages and command-line behaviour,
 * byte for byte once the values that depend on when and where they ran are
 * replaced by placeholders (dates, the default page's mtime in Last-Modified
 * and ETag, pids, and curl's measured speeds).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { FsError } from '../../../src/os/fs.js';
import { ms, NS_PER_S, s } from '../../../src/sim/time.js';
import { DEBIAN_INDEX_PAGE, httpDate } from '../../../src/tools/apps/http.js';
import { parseRequest } from '../../../src/tools/apps/nginx.js';
import { IPPROTO_TCP } from '../../../src/wire/ipv4.js';
import { type AppsLab, appsLab, FIXTURES, fixture, run, scriptedInput } from './harness.js';
import { recordServers } from './servers.js';

/** Dates, the page's mtime and the progress meter's measured speeds, as placeholders. */
function placeholders(text: string): string {
  return (
    text
      .replace(/(Date|Last-Modified): \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT/g, '$1: DATE')
      .replace(/ETag: "[0-9a-f]+-/g, 'ETag: "MTIME-')
      .replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[(\w+)\] \d+#\d+:/gm, 'TIME [$1] PID#PID:')
      // The real curl's times vary with the machine's load (a refusal "after 0
      // ms" or "after 15 ms"; a 2 s timeout after 2000, 2001 or 2004 ms in four
      // recordings): tcplab's numbers are checked on their own below.
      .replace(/after \d+ (ms|milliseconds)/g, 'after N $1')
      // A meter line: % total % recv % xferd dload upload total spent left current.
      .replace(
        /(\r[ \d]{3} [ \d.kMG]{5} {2}[ \d]{3} [ \d.kMG]{5} {2}[ \d]{3} [ \d.kMG]{5} {2})[ \d.kMG]{5}( {2}[ \d.kMG]{5} [-:\d ]{8} [-:\d ]{8} [-:\d ]{8} )[ \d.kMG]{5}/g,
        '$1SPEED$2SPEED',
      )
  );
}

async function lab(): Promise<AppsLab> {
  const l = appsLab();
  recordServers(l.server);
  const r = await run(l, l.server, ['nginx']);
  expect(r).toMatchObject({ status: 0, stdout: '', stderr: '' });
  return l;
}

function dropPort80(l: AppsLab): void {
  l.server.addHook('INPUT', (_now, pkt) => {
    if (pkt.ip.protocol !== IPPROTO_TCP) return 'ACCEPT';
    return ((pkt.ip.payload[2]! << 8) | pkt.ip.payload[3]!) === 80 ? 'DROP' : 'ACCEPT';
  });
}

/**
 * The meter lines curl prints in the first second besides the first one depend
 * on where in a wall-clock second it started (progress.c shows a line when
 * tv_sec changed): they are dropped from both sides where a case says so.
 */
function dropSubSecondTicks(text: string): string {
  // A bare meter line is 78 characters; Spent is at 55..63.
  return text
    .split('\r')
    .filter((seg, i) => !(i >= 2 && seg.length === 78 && seg.slice(55, 63) === '--:--:--'))
    .join('\r');
}

function expectLike(
  r: { stdout: string; stderr: string; status: number },
  name: string,
  normalize: (t: string) => string = (t) => t,
): void {
  const real = fixture(name);
  expect({
    stdout: placeholders(r.stdout),
    stderr: normalize(placeholders(r.stderr)),
    status: r.status,
  }).toEqual({
    stdout: placeholders(real.stdout),
    stderr: normalize(placeholders(real.stderr)),
    status: real.status,
  });
}

const CURL: readonly (readonly [string, readonly string[], ((l: AppsLab) => void)?])[] = [
  ['curl-v', ['curl', '-v', 'http://192.168.0.22/']],
  ['curl-plain', ['curl', 'http://192.168.0.22/']],
  ['curl-I', ['curl', '-I', 'http://192.168.0.22/']],
  ['curl-i-404', ['curl', '-i', 'http://192.168.0.22/nope']],
  ['curl-v-404', ['curl', '-v', 'http://192.168.0.22/nope']],
  ['curl-refused', ['curl', 'http://192.168.0.22:81/']],
  ['curl-refused-v', ['curl', '-v', 'http://192.168.0.22:81/']],
  ['curl-refused-s', ['curl', '-s', 'http://192.168.0.22:81/']],
  ['curl-refused-sS', ['curl', '-sS', 'http://192.168.0.22:81/']],
  ['curl-unresolved', ['curl', 'http://foo/']],
  ['curl-unresolved-v', ['curl', '-v', 'http://foo/']],
  ['curl-empty-reply', ['curl', 'http://192.168.0.22:8081/']],
  ['curl-empty-reply-v', ['curl', '-v', 'http://192.168.0.22:8081/']],
  ['curl-reset', ['curl', 'http://192.168.0.22:8082/']],
  ['curl-m-silent-server', ['curl', '-m', '1', 'http://192.168.0.22:8083/']],
  ['curl-no-args', ['curl']],
  ['curl-bad-option', ['curl', '--bogus', 'http://192.168.0.22/']],
  ['curl-bad-m', ['curl', '-m', 'x', 'http://192.168.0.22/']],
  ['curl-missing-m', ['curl', 'http://192.168.0.22/', '-m']],
  ['curl-m-too-large', ['curl', '-m', '1e16', 'http://192.168.0.22/']],
  ['curl-m-negative', ['curl', '-m', '-1', 'http://192.168.0.22/']],
  ['curl-bad-scheme', ['curl', 'ftpx://192.168.0.22/']],
  ['curl-bad-port', ['curl', 'http://192.168.0.22:99999/']],
  ['curl-o-bad-dir', ['curl', '-s', '-o', '/nonexistent/x', 'http://192.168.0.22/']],
  ['curl-o-bad-dir-S', ['curl', '-sS', '-o', '/nonexistent/x', 'http://192.168.0.22/']],
  ['curl-o-progress', ['curl', '-o', '/tmp/apps-page', 'http://192.168.0.22/']],
  ['curl-m-drop', ['curl', '-m', '2', 'http://192.168.0.22/'], dropPort80],
  ['curl-m-drop-v', ['curl', '-v', '-m', '2', 'http://192.168.0.22/'], dropPort80],
  [
    'curl-connect-timeout-drop',
    ['curl', '--connect-timeout', '2', 'http://192.168.0.22/'],
    dropPort80,
  ],
  [
    'curl-connect-timeout-drop-v',
    ['curl', '-v', '--connect-timeout', '1', 'http://192.168.0.22/'],
    dropPort80,
  ],
  [
    'curl-connect-timeout-drop-s',
    ['curl', '-s', '--connect-timeout', '1', 'http://192.168.0.22/'],
    dropPort80,
  ],
];

/**
 * A name that does not resolve: the real curl shows the meter's first line
 * only when its resolver thread answers after the first progress update (seen
 * both ways in recordings of the same command); compared without it.
 */
function withoutMeter(text: string): string {
  return (
    text
      .replace(/^ {2}% Total.*\n.*\n\r[^\r\n*]{78}(?=\*|curl)/, '')
      // When the resolver fails before the transfer starts, -v repeats the line.
      .replace(/^(\* Could not resolve host: .*\n)\1/m, '$1')
  );
}

describe('curl 7.88.1 like the real one', () => {
  for (const [name, argv, setup] of CURL) {
    test(`${name}: ${fixture(name).cmd}`, async () => {
      const l = await lab();
      setup?.(l);
      const normalize = name.startsWith('curl-unresolved') ? withoutMeter : dropSubSecondTicks;
      expectLike(await run(l, l.client, argv), name, normalize);
    });
  }

  test('curl-tty: no progress meter and no "[N bytes data]" when the body goes to the terminal', async () => {
    const l = await lab();
    const r = await run(l, l.client, ['curl', '-v', 'http://192.168.0.22/nope'], {
      terminal: true,
    });
    // Recorded through a pty (script -qec): its ONLCR turned each \n into \r\n.
    const real = fixture('curl-tty').stdout.replace(/\r\n/g, '\n');
    expect(placeholders(r.merged)).toBe(placeholders(real));
  });

  test('curl-tty-o: with -o the meter shows on the terminal', async () => {
    const l = await lab();
    const r = await run(l, l.client, ['curl', '-o', '/tmp/apps-page', 'http://192.168.0.22/'], {
      terminal: true,
    });
    const real = fixture('curl-tty-o').stdout.replace(/\r\n/g, '\n');
    expect(placeholders(r.merged)).toBe(placeholders(real));
  });

  test('curl-pipe-progress: the meter when stdout is a pipe', async () => {
    const l = await lab();
    const r = await run(l, l.client, ['curl', 'http://192.168.0.22/']);
    expect(placeholders(r.stderr)).toBe(placeholders(fixture('curl-pipe-progress').stderr));
    expect(`${r.stdout.length}\n`).toBe(fixture('curl-pipe-progress').stdout);
  });

  test('nc-z-v-http: nc -zv names port 80 "http"', async () => {
    const l = await lab();
    expectLike(await run(l, l.client, ['nc', '-zv', '192.168.0.22', '80']), 'nc-z-v-http');
  });

  test('curl-s-o: -o writes the body to the file, relative to the working directory', async () => {
    const l = await lab();
    const r = await run(l, l.client, ['curl', '-s', '-o', 'page.html', 'http://192.168.0.22/']);
    expect(r).toMatchObject({ status: 0, stdout: '', stderr: '' });
    const data = l.sys.fs(l.client).readText('/root/page.html');
    expect(data).toBe(readFileSync(join(FIXTURES, 'index.nginx-debian.html.orig'), 'latin1'));
    expect(fixture('curl-s-o').stdout).toBe(`${(data as string).length}\n`);
  });

  test('curl -f: an HTTP error is exit 22', async () => {
    const l = await lab();
    const r = await run(l, l.client, ['curl', '-sSf', 'http://192.168.0.22/nope']);
    expect(r).toMatchObject({
      status: 22,
      stdout: '',
      stderr: 'curl: (22) The requested URL returned error: 404\n',
    });
  });

  test('timeouts past the end of virtual time never fire; -m 0 is no timeout, as in libcurl', async () => {
    const l = await lab();
    for (const argv of [
      ['curl', '-s', '--connect-timeout', '99999999999999', 'http://192.168.0.22/'],
      ['curl', '-s', '-m', '9223372036854775', 'http://192.168.0.22/'],
      ['curl', '-s', '-m', '0', 'http://192.168.0.22/'],
    ]) {
      const r = await run(l, l.client, argv);
      expect({ status: r.status, stderr: r.stderr }, argv.join(' ')).toEqual({
        status: 0,
        stderr: '',
      });
      expect(r.stdout).toBe(DEBIAN_INDEX_PAGE);
    }
  });

  test('curl by host name (/etc/hosts): Host header and "Connected to server (IP)"', async () => {
    const l = await lab();
    const r = await run(l, l.client, ['curl', '-sv', 'http://server/']);
    // The real run used --resolve (no DNS in its namespaces), which adds two lines first.
    const real = fixture('curl-v-name').stderr.split('\n').slice(2).join('\n');
    const stripMeter = (t: string): string =>
      t
        .replace(/^ {2}% Total.*\n.*\n/, '')
        .replace(/\r(?=[ \d]{3} [ \d.kMG]{5} {2})[^\r\n*]*\n?/g, '');
    expect(placeholders(r.stderr)).toBe(placeholders(stripMeter(real)));
  });

  test('the progress meter ticks every second while connecting', async () => {
    const l = await lab();
    dropPort80(l);
    const r = await run(l, l.client, ['curl', '-m', '5', 'http://192.168.0.22/']);
    const lines = r.stderr.split('\r').slice(1);
    expect(lines.map((x) => x.slice(55, 63))).toEqual([
      '--:--:--',
      ' 0:00:01',
      ' 0:00:02',
      ' 0:00:03',
      ' 0:00:04',
      ' 0:00:05',
    ]);
    expect(lines.at(-1)).toMatch(/\ncurl: \(28\) Connection timed out after 5001 milliseconds\n$/);
  });
});

test('curl times: a refusal after 0 ms; timeouts: connect phase 1 ms late, transfer on time', async () => {
  const l = await lab();
  const r = await run(l, l.client, ['curl', '-sS', 'http://192.168.0.22:81/']);
  expect(r.stderr).toBe(
    "curl: (7) Failed to connect to 192.168.0.22 port 81 after 0 ms: Couldn't connect to server\n",
  );
  dropPort80(l);
  const a = await run(l, l.client, ['curl', '-sS', '-m', '2', 'http://192.168.0.22/']);
  expect(a.stderr).toBe('curl: (28) Connection timed out after 2001 milliseconds\n');
  const b = await run(l, l.client, ['curl', '-sS', '-m', '1', 'http://192.168.0.22:8083/']);
  expect(b.stderr).toBe(
    'curl: (28) Operation timed out after 1000 milliseconds with 0 bytes received\n',
  );
  const c = await run(l, l.client, ['curl', '-sS', '--connect-timeout', '1.5', 'http://server/']);
  expect(c.stderr).toBe(
    'curl: (28) Failed to connect to server port 80 after 1501 ms: Timeout was reached\n',
  );
  expect(c.exitedAt - b.exitedAt).toBe(ms(1501));
});

describe('nginx 1.22.1 like the real one', () => {
  const HTTP: readonly (readonly [string, string, boolean])[] = [
    ['http-get', 'GET / HTTP/1.1\r\nHost: 192.168.0.22\r\n\r\n', true],
    ['http-get-close', 'GET / HTTP/1.1\r\nHost: 192.168.0.22\r\nConnection: close\r\n\r\n', false],
    ['http-get-10', 'GET / HTTP/1.0\r\n\r\n', false],
    ['http-get-10-keepalive', 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', true],
    ['http-head', 'HEAD / HTTP/1.1\r\nHost: x\r\n\r\n', true],
    ['http-404', 'GET /nope HTTP/1.1\r\nHost: x\r\n\r\n', true],
    ['http-404-head', 'HEAD /nope HTTP/1.1\r\nHost: x\r\n\r\n', true],
    ['http-two', 'GET /nope HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\n\r\n', true],
    ['http-junk', 'hello\r\n', false],
    ['http-junk-lf', 'hello\n', false],
    ['http-09', 'GET /\r\n', false],
    ['http-no-host', 'GET / HTTP/1.1\r\n\r\n', false],
    ['http-post', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc', true],
    ['http-bad-version', 'GET / HTTP/2.0\r\nHost: x\r\n\r\n', false],
    ['http-bad-method', 'FOO / HTTP/1.1\r\nHost: x\r\n\r\n', true],
    ['http-dir', 'GET /index.nginx-debian.html HTTP/1.1\r\nHost: x\r\n\r\n', true],
  ];
  for (const [name, request, quitFlag] of HTTP) {
    test(`${name}: ${fixture(name).cmd}`, async () => {
      const l = await lab();
      const stdin = scriptedInput(l, l.client, [[0, request]], 0.5);
      const argv = quitFlag
        ? ['nc', '-q', '0', '192.168.0.22', '80']
        : ['nc', '192.168.0.22', '80'];
      expectLike(await run(l, l.client, argv, { stdin }), name);
    });
  }

  test('telnet-http-junk: a line typed into telnet gets 400 Bad Request and the connection closes', async () => {
    const l = await lab();
    const stdin = scriptedInput(l, l.client, [[0.3, 'hello\n']], 0.8);
    const r = await run(l, l.client, ['telnet', '192.168.0.22', '80'], { stdin });
    expectLike(r, 'telnet-http-junk');
    // The server closed first: telnet printed the page and exited at once, not at 0.8 s.
    expect(r.exitedAt).toBeLessThan(s(0.31));
  });

  test('Date is the lab wall clock; Last-Modified and ETag the page mtime (the lab start)', async () => {
    const l = await lab();
    await l.sys.runUntil(s(3600));
    const r = await run(l, l.client, ['curl', '-sI', 'http://192.168.0.22/']);
    const epoch = l.sys.epochSeconds;
    expect(r.stdout).toContain(`Date: ${httpDate(epoch + 3600)}\r\n`);
    expect(r.stdout).toContain(`Last-Modified: ${httpDate(epoch)}\r\n`);
    expect(r.stdout).toContain(`ETag: "${epoch.toString(16)}-267"\r\n`);
  });

  test('the default page is Debian index.nginx-debian.html byte for byte', () => {
    expect(DEBIAN_INDEX_PAGE).toBe(
      readFileSync(join(FIXTURES, 'index.nginx-debian.html.orig'), 'latin1'),
    );
  });

  test('a file written under /var/www/html is served with its type; a directory without index is 403', async () => {
    const l = await lab();
    const fs = l.sys.fs(l.server);
    fs.writeFile('/var/www/html/hello.txt', 'hi\n');
    fs.mkdirs('/var/www/html/empty');
    const a = await run(l, l.client, ['curl', '-si', 'http://192.168.0.22/hello.txt']);
    expect(a.stdout).toMatch(
      /^HTTP\/1\.1 200 OK\r\n.*Content-Type: text\/plain\r\nContent-Length: 3\r\n/s,
    );
    expect(a.stdout.endsWith('\r\n\r\nhi\n')).toBe(true);
    const b = await run(l, l.client, ['curl', '-si', 'http://192.168.0.22/empty/']);
    expect(b.stdout).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    const c = await run(l, l.client, ['curl', '-si', 'http://server/empty']);
    expect(c.stdout).toMatch(
      /^HTTP\/1\.1 301 Moved Permanently\r\n.*\r\nLocation: http:\/\/server\/empty\/\r\n/s,
    );
    const log = fs.readText('/var/log/nginx/access.log');
    expect(log).toMatch(
      /^192\.168\.0\.21 - - \[01\/Jan\/2026:00:00:00 \+0000\] "GET \/hello\.txt HTTP\/1\.1" 200 3 "-" "curl\/7\.88\.1"\n/,
    );
  });

  test('nginx-second: a second nginx tries bind() five times, 500 ms apart, and fails', async () => {
    const l = await lab();
    const r = await run(l, l.server, ['nginx']);
    const real = fixture('nginx-second');
    // DEVIATION: tcplab hosts have no IPv6, so there are no [::]:80 lines.
    expect(r.stderr).toBe(real.stderr.replace(/^.*\[::\]:80.*\n/gm, ''));
    expect(r.status).toBe(real.status);
    expect(r.exitedAt).toBe(s(2.5));
  });

  for (const [name, argv] of [
    ['nginx-t', ['nginx', '-t']],
    ['nginx-v', ['nginx', '-v']],
    ['nginx-h', ['nginx', '-h']],
    ['nginx-bad-option', ['nginx', '-Z']],
    ['nginx-bad-signal', ['nginx', '-s', 'bogus']],
    ['nginx-stop-again', ['nginx', '-s', 'stop']],
  ] as const) {
    test(`${name}: ${fixture(name).cmd}`, async () => {
      const l = appsLab();
      expectLike(await run(l, l.server, argv), name);
    });
  }

  test('nginx-start, nginx-s-quit: silent start, exit 0; -s quit logs its notice and exits 0', async () => {
    const l = appsLab();
    expectLike(await run(l, l.server, ['nginx']), 'nginx-start');
    expectLike(await run(l, l.server, ['nginx', '-s', 'quit']), 'nginx-s-quit');
    await l.sys.runUntil(l.net.now + ms(10));
    expect(l.sys.processes(l.server)).toEqual([]);
    expectLike(await run(l, l.server, ['nginx']), 'nginx-start2');
  });

  test('nginx -s stop: the master stops, its port closes, the pid file goes', async () => {
    const l = await lab();
    const fs = l.sys.fs(l.server);
    const pid = Number((fs.readText('/run/nginx.pid') as string).trim());
    expect(l.sys.processes(l.server).map((p) => [p.pid, p.comm])).toEqual([[pid, 'nginx']]);
    const r = await run(l, l.server, ['nginx', '-s', 'stop']);
    expectLike(r, 'nginx-s-stop');
    await l.sys.runUntil(l.net.now + ms(10));
    expect(l.sys.processes(l.server)).toEqual([]);
    expect(fs.readText('/run/nginx.pid')).toBeInstanceOf(FsError);
    const c = await run(l, l.client, ['curl', '-sS', 'http://192.168.0.22/']);
    expect(c.stderr).toBe(
      "curl: (7) Failed to connect to 192.168.0.22 port 80 after 0 ms: Couldn't connect to server\n",
    );
    // And it starts again.
    expect((await run(l, l.server, ['nginx'])).status).toBe(0);
  });

  test('parseRequest: bare LF, leading empty lines, and the early 400 on a lower-case method', () => {
    expect(parseRequest('GET / HTTP/1.1\nHost: x\n\n')).toMatchObject({ kind: 'request' });
    expect(parseRequest('\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n')).toMatchObject({
      kind: 'request',
      length: 29,
    });
    expect(parseRequest('get')).toMatchObject({ kind: 'error', status: 400 });
    expect(parseRequest('GET / HTTP/1.1\r\nHost: x\r\n')).toEqual({ kind: 'more' });
    expect(parseRequest('GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n')).toMatchObject({
      kind: 'error',
      status: 400,
    });
  });
});

describe('nginx timeouts', () => {
  test('client_header_timeout: a client that sends nothing is closed after 60 s, without a response', async () => {
    const l = await lab();
    const stdin = scriptedInput(l, l.client, [], 100);
    const r = await run(l, l.client, ['nc', '192.168.0.22', '80'], { stdin });
    expect(r.stdout).toBe('');
    // nc exits at its stdin's end (100 s) — the server's FIN came at 60 s.
    const fin = l.wire.findIndex((p) => p.frame[47] !== undefined && (p.frame[47]! & 1) === 1);
    expect(fin).toBeGreaterThan(0);
    expect(Math.round(l.wire[fin]!.time / NS_PER_S)).toBe(60);
  });

  test('keepalive_timeout: an idle keep-alive connection is closed 65 s after the response', async () => {
    const l = await lab();
    const stdin = scriptedInput(l, l.client, [[0, 'HEAD / HTTP/1.1\r\nHost: x\r\n\r\n']], 100);
    await run(l, l.client, ['nc', '192.168.0.22', '80'], { stdin });
    const fins = l.wire.filter((p) => (p.frame[47]! & 1) === 1 && p.direction === 'In');
    expect(fins.map((p) => Math.round(p.time / NS_PER_S))).toEqual([65]);
  });
});
