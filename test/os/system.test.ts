import { describe, expect, it } from 'vitest';
import { Killed, type Proc } from '../../src/os/process.js';
import { LineReader, NULL_OUTPUT, Pipe, textInput } from '../../src/os/streams.js';
import { System } from '../../src/os/system.js';
import { RunawayError } from '../../src/sim/events.js';
import { Network } from '../../src/sim/network.js';
import { ms, NS_PER_S, s } from '../../src/sim/time.js';

function lan(): { net: Network; sys: System } {
  const net = new Network({ seed: 1 });
  const lanLink = net.segment('lan');
  net.addHost('a', { segment: lanLink, address: '10.0.0.1/24' });
  net.addHost('b', { segment: lanLink, address: '10.0.0.2/24' });
  return { net, sys: new System(net) };
}

describe('processes on virtual time', () => {
  it('sleep takes virtual time, not wall time', async () => {
    const { net, sys } = lan();
    const r = await sys.exec(net.host('a'), ['nap'], {
      command: async (p) => {
        await p.sleep(s(100));
        p.stdout.write(`${p.now / NS_PER_S}\n`);
        return 3;
      },
    });
    expect(r).toEqual({ status: 3, stdout: '100\n', stderr: '' });
  });

  it('a server and a client exchange a line through the stack, each in its own process', async () => {
    const { net, sys } = lan();
    const a = net.host('a');
    const b = net.host('b');
    const server = sys.spawn(
      b,
      async (p: Proc) => {
        const fd = p.sockets.socket();
        p.sockets.bind(fd, 0, 7);
        p.sockets.listen(fd, 5);
        const c = await p.wait(p.sockets.accept(fd));
        if (!('fd' in c)) return 1;
        const data = await p.wait(p.sockets.read(c.fd, 100));
        if (!(data instanceof Uint8Array)) return 2;
        await p.wait(p.sockets.write(c.fd, data));
        return 0;
      },
      {
        argv: ['echod'],
        stdin: textInput(''),
        stdout: { write: () => {}, close: () => {}, isTerminal: false },
        stderr: { write: () => {}, close: () => {}, isTerminal: false },
      },
    );
    const r = await sys.exec(a, ['client'], {
      command: async (p) => {
        const fd = p.sockets.socket();
        const c = await p.wait(p.sockets.connect(fd, 0x0a000002, 7));
        if (typeof c !== 'number') return 1;
        await p.wait(p.sockets.write(fd, new TextEncoder().encode('hello\n')));
        const back = await p.wait(p.sockets.read(fd, 100));
        if (!(back instanceof Uint8Array)) return 2;
        p.stdout.write(new TextDecoder().decode(back));
        return 0;
      },
    });
    expect(r.stdout).toBe('hello\n');
    expect(r.status).toBe(0);
    await sys.runUntil(net.now + s(1));
    expect(server.exitStatus).toBe(0);
  });

  it('a terminating signal ends every wait with Killed and the status is 128 + n', async () => {
    const { net, sys } = lan();
    const a = net.host('a');
    let cleaned = false;
    const p = sys.spawn(
      a,
      async (proc) => {
        try {
          await proc.sleep(s(1000));
          return 0;
        } finally {
          cleaned = true;
        }
      },
      {
        argv: ['sleeper'],
        stdin: textInput(''),
        stdout: { write: () => {}, close: () => {}, isTerminal: false },
        stderr: { write: () => {}, close: () => {}, isTerminal: false },
      },
    );
    await sys.runUntil(s(5));
    expect(sys.kill(a, p.pid, 'SIGTERM')).toBe(true);
    await sys.settle();
    expect(await p.exited).toBe(143);
    expect(cleaned).toBe(true);
    expect(sys.processes(a)).toEqual([]);
    expect(sys.kill(a, p.pid, 'SIGTERM')).toBe(false);
  });

  it('a trapped signal runs the handler instead of terminating', async () => {
    const { net, sys } = lan();
    const a = net.host('a');
    const out: string[] = [];
    const p = sys.spawn(
      a,
      async (proc) => {
        let stop: () => void = () => {};
        const stopped = new Promise<void>((r) => {
          stop = r;
        });
        proc.trap('SIGINT', () => stop());
        await Promise.race([stopped, proc.sleep(s(1000))]);
        out.push(`stopped at ${proc.now / NS_PER_S}`);
        return 0;
      },
      {
        argv: ['t'],
        stdin: textInput(''),
        stdout: { write: () => {}, close: () => {}, isTerminal: false },
        stderr: { write: () => {}, close: () => {}, isTerminal: false },
      },
    );
    await sys.runUntil(s(7));
    sys.kill(a, p.pid, 'SIGINT');
    await sys.settle();
    expect(await p.exited).toBe(0);
    expect(out).toEqual(['stopped at 7']);
    expect(() => new Killed('SIGINT')).not.toThrow();
  });

  it('a pipe carries a writer process to a reader process; end of file when the writer exits', async () => {
    const { net, sys } = lan();
    const a = net.host('a');
    const pipe = new Pipe(() => sys.wake());
    const lines: string[] = [];
    const sink = { write: () => {}, close: () => {}, isTerminal: false };
    sys.spawn(
      a,
      async (p) => {
        for (let i = 0; i < 3; i++) {
          p.stdout.write(`line ${i}\n`);
          await p.sleep(ms(10));
        }
        return 0;
      },
      { argv: ['w'], stdin: textInput(''), stdout: pipe.output, stderr: sink },
    );
    const reader = sys.spawn(
      a,
      async (p) => {
        const r = new LineReader(p.stdin);
        for (let line = await r.readLine(); line !== null; line = await r.readLine()) {
          lines.push(`${p.now / 1e6} ${line}`);
        }
        return 0;
      },
      { argv: ['r'], stdin: pipe.input, stdout: sink, stderr: sink },
    );
    await sys.runUntil(s(1));
    expect(reader.exitStatus).toBe(0);
    expect(lines).toEqual(['0 line 0', '10 line 1', '20 line 2']);
  });

  it('exiting closes the sockets the process still holds (the peer sees the FIN)', async () => {
    const { net, sys } = lan();
    const a = net.host('a');
    const b = net.host('b');
    const lfd = b.sockets.socket();
    b.sockets.bind(lfd, 0, 9);
    b.sockets.listen(lfd, 5);
    const r = await sys.exec(a, ['c'], {
      command: async (p) => {
        const fd = p.sockets.socket();
        await p.wait(p.sockets.connect(fd, 0x0a000002, 9));
        return 0;
      },
    });
    expect(r.status).toBe(0);
    await sys.runUntil(net.now + s(1));
    const states = b.tcp.connections.map((c) => c.conn.state);
    expect(states).toEqual(['CLOSE_WAIT']);
  });
  it('a child starts after the code that spawned it, as after fork(): the parent prints first', async () => {
    const { net, sys } = lan();
    const a = net.host('a');
    const seen: string[] = [];
    const child = sys.spawn(
      a,
      async () => {
        seen.push('child');
        return 0;
      },
      { argv: ['c'], stdin: textInput(''), stdout: NULL_OUTPUT, stderr: NULL_OUTPUT },
    );
    seen.push(`parent: [1] ${child.pid}`);
    await sys.settle();
    expect(seen).toEqual(['parent: [1] 1000', 'child']);
  });

  it('processes that wake each other forever at one instant stop with a RunawayError', async () => {
    const { net } = lan();
    const sys = new System(net, { maxEventsPerRun: 1000 });
    const a = net.host('a');
    sys.spawn(
      a,
      async (p) => {
        for (;;) await p.sleep(0);
      },
      { argv: ['spin'], stdin: textInput(''), stdout: NULL_OUTPUT, stderr: NULL_OUTPUT },
    );
    await expect(sys.runUntil(s(1))).rejects.toBeInstanceOf(RunawayError);
    expect(net.now).toBe(0);
  });
  it('every host of the network has TCP: a SYN to a host without processes gets the kernel RST', async () => {
    const { net, sys } = lan();
    const r = await sys.exec(net.host('a'), ['c'], {
      command: async (p) => {
        const fd = p.sockets.socket();
        const c = await p.wait(p.sockets.connect(fd, 0x0a000002, 80));
        p.stdout.write(typeof c === 'number' ? 'connected\n' : `${c.code}\n`);
        return 0;
      },
    });
    expect(r.stdout).toBe('ECONNREFUSED\n');
  });
});
