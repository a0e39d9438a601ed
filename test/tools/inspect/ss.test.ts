/**
 * ss against linux-traces: the same socket states built on the simulated LAN,
 * printed byte for byte as the real `ss -tan`, `ss -ltn` and `ss -tano`
 * printed them at the traces' named moments (a blank in this project's own
 * column values is never patched: the snapshot moments are chosen from the
 * traces' events.txt); then the options, filters and errors of iproute2 6.1
 * against fixtures/real-tools.json.
 */

import { describe, expect, test } from 'vitest';
import type { Proc } from '../../../src/os/process.js';
import { CollectOutput, NULL_INPUT, NULL_OUTPUT } from '../../../src/os/streams.js';
import { ms, s } from '../../../src/sim/time.js';
import { ssCommand } from '../../../src/tools/inspect/ss.js';
import type { Env } from './helpers.js';
import { client, ip, listener, real, spawn, traceLan, traceSs } from './helpers.js';

async function compare(
  env: Env,
  file: string,
  commands: string[][],
  sides: readonly ('gt-server' | 'gt-client')[] = ['gt-server', 'gt-client'],
): Promise<void> {
  for (const ns of sides) {
    const host = ns === 'gt-server' ? env.server : env.client;
    for (const argv of commands) {
      const got = await env.run(host, ...argv);
      expect(got.stdout, `${ns}: ${argv.join(' ')}`).toBe(traceSs(file, ns, argv.join(' ')));
    }
  }
}

const TAN_LTN = [
  ['ss', '-tan'],
  ['ss', '-ltn'],
];
const ALL3 = [...TAN_LTN, ['ss', '-tano']];

/** A server that accepts one connection, reads to end of file, waits `hold`, closes. */
function recvEofServer(hold = s(1), closeListener = false) {
  return async (p: Proc) => {
    const l = p.sockets.socket();
    p.sockets.setsockopt(l, 'SO_REUSEADDR', true);
    p.sockets.bind(l, 0, 80);
    p.sockets.listen(l, 16);
    const c = await p.wait(p.sockets.accept(l));
    if (!('fd' in c)) return 1;
    if (closeListener) p.sockets.close(l);
    for (;;) {
      const d = await p.wait(p.sockets.read(c.fd, 4096));
      if (!(d instanceof Uint8Array) || d.length === 0) break;
    }
    await p.sleep(hold);
    p.sockets.close(c.fd);
    await p.sleep(s(1000));
    return 0;
  };
}

describe('ss matches the reference traces', () => {
  test('accept-queue-overflow A-queued: LISTEN 1 1 (accept queue / backlog), ESTAB 17 unread', async () => {
    // The trace delays client→server packets by 100 ms; 50 ms each way here.
    const env = traceLan({ link: { delay: ms(50) } });
    spawn(env, env.server, ['python3'], listener(80, 1));
    await env.sys.runUntil(s(0.5));
    spawn(env, env.client, ['python3'], client('192.168.0.22', 80, 40001, 'hello from 40001\n'));
    await env.sys.runUntil(s(1.4));
    // The server's side only: the trace's client still showed its 17 bytes
    // unacknowledged (Send-Q 17) 17 ms after the capture saw their ACK arrive.
    await compare(env, 'accept-queue-overflow/abort0/ss-02-A-queued.txt', ALL3, ['gt-server']);
  });

  test('normal-handshake after-client-close: client FIN-WAIT-2 (not orphaned), server CLOSE-WAIT', async () => {
    const env = traceLan();
    spawn(env, env.server, ['python3'], recvEofServer());
    await env.sys.runUntil(s(0.1));
    // nc -q 0: shuts down its write side at stdin EOF (1 s) and waits for the server's FIN.
    spawn(env, env.client, ['nc'], async (p) => {
      const fd = p.sockets.socket();
      p.sockets.bind(fd, 0, 40001);
      await p.wait(p.sockets.connect(fd, ip('192.168.0.22'), 80));
      await p.sleep(s(1));
      p.sockets.shutdown(fd, 'SHUT_WR');
      await p.wait(p.sockets.read(fd, 100));
      return 0;
    });
    await env.sys.runUntil(s(1.6));
    await compare(env, 'normal-handshake/nc/ss-03-after-client-close.txt', ALL3);
  });

  test('Recv-Q counts the peer FIN until a read reaches end of file (rcv_nxt - copied_seq)', async () => {
    const env = traceLan();
    let readEof = false;
    spawn(env, env.server, ['srv'], async (p) => {
      const l = p.sockets.socket();
      p.sockets.bind(l, 0, 80);
      p.sockets.listen(l, 16);
      const c = await p.wait(p.sockets.accept(l));
      if (!('fd' in c)) return 1;
      await p.sleep(s(1));
      await p.wait(p.sockets.read(c.fd, 2)); // the 2 bytes, not yet the FIN
      await p.waitUntil(() => readEof, ms(10));
      await p.wait(p.sockets.read(c.fd, 100)); // end of file
      await p.sleep(s(1000));
      return 0;
    });
    await env.sys.runUntil(s(0.1));
    spawn(env, env.client, ['cli'], async (p) => {
      const fd = p.sockets.socket();
      await p.wait(p.sockets.connect(fd, ip('192.168.0.22'), 80));
      await p.wait(p.sockets.write(fd, new TextEncoder().encode('hi')));
      p.sockets.close(fd);
      return 0;
    });
    await env.sys.runUntil(s(0.5));
    const state = async () =>
      (await env.run(env.server, 'ss', '-tn', 'state', 'close-wait')).stdout.split('\n')[1];
    expect(await state()).toMatch(/^3\s+0\s/); // 2 bytes and the FIN
    await env.sys.runUntil(s(1.5));
    expect(await state()).toMatch(/^1\s+0\s/); // the FIN, not yet read
    readEof = true;
    await env.sys.runUntil(s(2));
    expect(await state()).toMatch(/^0\s+0\s/);
  });

  test('time-wait start: TIME-WAIT with timer:(timewait,59sec,0)', async () => {
    const env = traceLan();
    spawn(env, env.server, ['python3'], recvEofServer(s(0), true));
    await env.sys.runUntil(s(0.1));
    spawn(env, env.client, ['python3'], async (p) => {
      const fd = p.sockets.socket();
      p.sockets.bind(fd, 0, 40001);
      await p.wait(p.sockets.connect(fd, ip('192.168.0.22'), 80));
      await p.sleep(s(0.5));
      p.sockets.close(fd);
      return 0;
    });
    await env.sys.runUntil(s(0.7));
    await compare(env, 'time-wait/tw-default/ss-01-time-wait-start.txt', ALL3);
    // Half-way: 30 s left (the trace's ss-02, 29.5 s later).
    await env.sys.runUntil(s(0.7 + 29.5));
    await compare(env, 'time-wait/tw-default/ss-02-time-wait-half.txt', ALL3);
  });

  test('fw2-orphan: an orphaned FIN_WAIT2 is a timewait sock, shown FIN-WAIT-2 timer:(timewait,59sec,0)', async () => {
    const env = traceLan();
    spawn(env, env.server, ['python3'], recvEofServer(s(65)));
    await env.sys.runUntil(s(0.1));
    spawn(env, env.client, ['python3'], async (p) => {
      const fd = p.sockets.socket();
      p.sockets.bind(fd, 0, 40001);
      await p.wait(p.sockets.connect(fd, ip('192.168.0.22'), 80));
      await p.sleep(s(0.5));
      p.sockets.close(fd);
      return 0;
    });
    await env.sys.runUntil(s(0.7));
    await compare(env, 'time-wait/fw2-orphan-default/ss-01-client-FIN_WAIT2-orphan.txt', ALL3);
  });

  test('silent-drop: SYN-SENT 0 1 (the SYN is unacknowledged), LISTEN 0 16', async () => {
    const env = traceLan();
    // iptables -I INPUT -p tcp --dport 80 -j DROP, as a hook.
    env.server.addHook('INPUT', (_now, pkt) =>
      pkt.ip.protocol === 6 && ((pkt.ip.payload[2]! << 8) | pkt.ip.payload[3]!) === 80
        ? 'DROP'
        : 'ACCEPT',
    );
    spawn(env, env.server, ['python3'], listener(80, 16));
    await env.sys.runUntil(s(0.1));
    spawn(env, env.client, ['nc'], client('192.168.0.22', 80, 40001, undefined));
    await env.sys.runUntil(s(0.6));
    await compare(env, 'silent-drop/default-nc/ss-02-syn-sent-t0.5.txt', TAN_LTN);
    // The retransmission timer, 500 ms into the first 1 s RTO (fired by the timer
    // wheel up to a granule late): the trace, taken 308 ms in, shows (on,692ms,0).
    const o = await env.run(env.client, 'ss', '-tano');
    const m = /timer:\(on,(\d+)ms,0\)\n$/.exec(o.stdout);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(500);
    expect(Number(m![1])).toBeLessThanOrEqual(532);
  });
});

describe('ss on a terminal, and more timers', () => {
  /** One process: a listener (fd 3), a client with SO_KEEPALIVE to it (fd 4), the accepted end (fd 5). */
  async function selfConnected() {
    const env = traceLan({ stock: true });
    spawn(env, env.client, ['python3'], async (p: Proc) => {
      const l = p.sockets.socket();
      p.sockets.bind(l, 0, 80);
      p.sockets.listen(l, 16);
      const c = p.sockets.socket();
      p.sockets.bind(c, ip('192.168.0.21'), 40001);
      await p.wait(p.sockets.connect(c, ip('192.168.0.21'), 80));
      await p.wait(p.sockets.accept(l));
      p.sockets.setsockopt(c, 'SO_KEEPALIVE', true);
      await p.sleep(s(1000));
      return 0;
    });
    await env.sys.runUntil(s(0.2));
    return env;
  }

  test('on an 80-column terminal the spare width is spread over the columns (render_calc_width)', async () => {
    const env = await selfConnected();
    for (const cmd of ['ss -tan', 'ss -tano', 'ss -tanp', 'ss -ltn', 'ss -tn state established']) {
      const r = real(`tty80-${cmd.replaceAll(' ', '_')}`);
      const out = new CollectOutput({ isTerminal: true });
      const p = env.sys.spawn(env.client, ssCommand, {
        argv: cmd.split(' '),
        stdin: NULL_INPUT,
        stdout: out,
        stderr: NULL_OUTPUT,
      });
      await env.sys.runUntil(env.sys.now + 1);
      expect(await p.exited).toBe(0);
      // The capture's pid had 5 digits; 1000 has 4, one more space in the 80-wide Process field.
      const want = r.stdout.replace(/pid=\d{5}(.*)\n/g, 'pid=1000$1 \n');
      expect(out.text, cmd).toBe(want);
    }
  });

  test('SYN-RECV: a request sock whose final ACK is lost retransmits its SYN-ACK: timer:(on,…,1)', async () => {
    const env = traceLan({ stock: true });
    // The server never sees the client's ACKs (FIN, data or pure ACK without SYN).
    env.server.addHook('INPUT', (_now, pkt) =>
      pkt.ip.protocol === 6 && (pkt.ip.payload[13]! & 0x02) === 0 ? 'DROP' : 'ACCEPT',
    );
    spawn(env, env.server, ['python3'], listener(80, 16));
    await env.sys.runUntil(s(0.1));
    spawn(env, env.client, ['nc'], client('192.168.0.22', 80, 40001, undefined));
    await env.sys.runUntil(s(1.6));
    const r = await env.run(env.server, 'ss', '-tano', 'state', 'syn-recv');
    expect(r.stdout).toMatch(
      /^Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n0 {6}0 {7}192\.168\.0\.22:80 {3}192\.168\.0\.21:40001 timer:\(on,1\.\d{3}ms,1\)\n$/,
    );
    // The default filter hides request socks (SS_CONN), -a shows them.
    expect((await env.run(env.server, 'ss', '-tn')).stdout).not.toContain('SYN-RECV');
    expect((await env.run(env.server, 'ss', '-tan')).stdout).toContain('SYN-RECV 0      0');
  });

  test('one state asked for, so no State column; an unread FIN counts in Recv-Q; netstat', async () => {
    const env = traceLan();
    // Never accepted: the child's FIN is never read (Linux: rcv_nxt - copied_seq = 1).
    spawn(env, env.server, ['python3'], listener(80, 16));
    await env.sys.runUntil(s(0.1));
    spawn(env, env.client, ['python3'], async (p) => {
      const fd = p.sockets.socket();
      p.sockets.bind(fd, 0, 40001);
      await p.wait(p.sockets.connect(fd, ip('192.168.0.22'), 80));
      p.sockets.close(fd);
      return 0;
    });
    await env.sys.runUntil(s(1));
    expect((await env.run(env.server, 'ss', '-tn', 'state', 'close-wait')).stdout).toBe(
      'Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n' +
        '1      0       192.168.0.22:80   192.168.0.21:40001       \n',
    );
    expect((await env.run(env.client, 'ss', '-tan', 'state', 'fin-wait-2')).stdout).toBe(
      'Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess\n' +
        '0      0       192.168.0.21:40001 192.168.0.22:80         \n',
    );
    const n = await env.run(env.client, 'netstat', '-tn');
    expect(n.stdout.split('\n')[2]).toBe(
      'tcp        0      0 192.168.0.21:40001      192.168.0.22:80         FIN_WAIT2  ',
    );
  });
});

describe('ss -i: the congestion control each socket was given', () => {
  test('a change of tcp_congestion_control reaches the sockets made after it only (listener kept)', async () => {
    // As the real kernel here did (bbr by default, then sysctl reno): LISTEN
    // bbr, the first connection's two ends bbr, the second's two ends reno
    // (tcp_assign_congestion_control at creation; a child takes the default
    // of when the request completes, tcp_ca_openreq_child).
    const env = traceLan({ stock: true });
    await env.run(env.server, 'sysctl', '-w', 'net.ipv4.tcp_congestion_control=bbr');
    await env.run(env.client, 'sysctl', '-w', 'net.ipv4.tcp_congestion_control=bbr');
    spawn(env, env.server, ['python3'], listener(80, 16, true));
    await env.sys.runUntil(s(0.1));
    spawn(env, env.client, ['nc'], client('192.168.0.22', 80, 40001, undefined));
    await env.sys.runUntil(s(0.2));
    for (const h of [env.server, env.client]) {
      await env.run(h, 'sysctl', '-w', 'net.ipv4.tcp_congestion_control=reno');
    }
    spawn(env, env.client, ['nc'], client('192.168.0.22', 80, 40002, undefined));
    await env.sys.runUntil(s(0.3));
    const names = async (host: typeof env.server) =>
      (await env.run(host, 'ss', '-tani')).stdout
        .split('\n')
        .filter((l) => l.startsWith('\t'))
        .map((l) => l.trim().split(' ')[0]);
    // Server: LISTEN, the child of 40001, the child of 40002.
    expect(await names(env.server)).toEqual(['bbr', 'bbr', 'reno']);
    expect(await names(env.client)).toEqual(['bbr', 'reno']);
  });
});

/**
 * A server on port 80 that accepts and never reads, and a client (port 40001)
 * that writes `bytes` to it and keeps its socket open.
 */
async function writeToIdleServer(env: Env, bytes: number): Promise<void> {
  spawn(env, env.server, ['python3'], listener(80, 16, true));
  await env.sys.runUntil(s(0.1));
  spawn(env, env.client, ['python3'], async (p: Proc) => {
    const fd = p.sockets.socket();
    p.sockets.bind(fd, 0, 40001);
    await p.wait(p.sockets.connect(fd, ip('192.168.0.22'), 80));
    await p.wait(p.sockets.write(fd, new Uint8Array(bytes)));
    await p.sleep(s(1000));
    return 0;
  });
}

describe('the persist timer', () => {
  test('a peer that never reads closes its window: timer:(persist,…,probes)', async () => {
    const env = traceLan({ link: { delay: ms(1) } });
    await writeToIdleServer(env, 8 << 20);
    await env.sys.runUntil(s(30));
    const r = await env.run(env.client, 'ss', '-tno');
    expect(r.stdout).toMatch(
      /ESTAB 0 +\d+ +192\.168\.0\.21:40001 192\.168\.0\.22:80 +timer:\(persist,\d+(\.\d{3})?(ms|sec),\d+\)\n$/,
    );
  });
});

describe('ss -i: dsack_dups and rcv_rtt (tcpi_dsack_dups, tcpi_rcv_rtt)', () => {
  test('a link that duplicates every frame: the receiver D-SACKs, the sender counts dsack_dups; the receiver shows its RTT estimate', async () => {
    const env = traceLan({ link: { delay: ms(1), duplicate: 1 } });
    await writeToIdleServer(env, 64 * 1024);
    await env.sys.runUntil(s(1));
    const sender = env.client.tcp.connections[0]!.conn;
    const receiver = env.server.tcp.connections.find((c) => c.conn.remote.port === 40001)!.conn;
    // Every duplicate data segment came back D-SACKed (one segment each):
    // never retransmitted, so dubious, but counted in tcpi_dsack_dups.
    const c = env.client.tcp.net.counters;
    expect(c.TcpRetransSegs).toBe(0);
    expect(sender.dsackDups).toBeGreaterThan(10);
    expect(sender.dsackDups).toBe(c.TcpExtTCPDSACKRecv + c.TcpExtTCPDSACKOfoRecv);
    expect(c.TcpExtTCPDSACKIgnoredDubious).toBe(sender.dsackDups);
    const info = (r: { stdout: string }) => r.stdout.split('\n')[2]!;
    const out = info(await env.run(env.client, 'ss', '-tni'));
    // misc/ss.c tcp_stats_print's order: … sacked, dsack_dups, reordering, reord_seen, rcv_rtt, rcv_space …
    expect(out).toContain(` dsack_dups:${sender.dsackDups} `);
    expect(out.indexOf(' dsack_dups:')).toBeLessThan(out.indexOf(' rcv_space:'));
    // The receiver: its estimate from timestamps (tcp_rcv_rtt_measure_ts), in ms.
    const rttUs = receiver.rcvSpace!.rttUs8 >> 3;
    expect(rttUs).toBeGreaterThan(1900);
    const back = info(await env.run(env.server, 'ss', '-tni'));
    expect(back).toContain(` rcv_rtt:${rttUs / 1000} rcv_space:`);
    expect(back).not.toContain('dsack_dups');
  });
});
