/**
 * Properties of the socket layer (fast-check, seeded): whatever the sizes of
 * the writes and reads, whether the calls block or not, the buffer sizes and
 * the reader's pace, and however the link loses, duplicates and reorders frames, what one end writes the other reads
 * whole and in order, then end of file. (A blocked call woken by its own
 * activity once settled with what came after: socket.ts #block.)
 */

import fc from 'fast-check';
import { expect, test } from 'vitest';
import { Pending } from '../../src/host/socket.js';
import { ms, s } from '../../src/sim/time.js';
import { lan, SERVER_IP, value } from './helpers.js';

const scenario = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  size: fc.integer({ min: 0, max: 120_000 }),
  writes: fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 8 }),
  reads: fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 8 }),
  nonBlockingReader: fc.boolean(),
  // Small buffers close the window (zero-window probes, partial segments at its edge).
  rcvBuf: fc.option(fc.integer({ min: 1024, max: 65536 }), { nil: undefined }),
  sndBuf: fc.option(fc.integer({ min: 2048, max: 65536 }), { nil: undefined }),
  readEveryMs: fc.integer({ min: 0, max: 50 }),
  loss: fc.double({ min: 0, max: 0.1, noNaN: true }),
  duplicate: fc.double({ min: 0, max: 0.1, noNaN: true }),
  reorder: fc.double({ min: 0, max: 0.1, noNaN: true }),
});

test('bytes written arrive whole and in order, then end of file', () => {
  fc.assert(
    fc.property(scenario, (sc) => {
      const e = lan({
        seed: sc.seed,
        link: {
          delay: ms(1),
          loss: sc.loss,
          duplicate: sc.duplicate,
          reorder: sc.reorder,
          reorderDelay: ms(2),
        },
      });
      const so = e.server.sockets;
      const l = so.socket();
      if (sc.rcvBuf !== undefined) value(so.setsockopt(l, 'SO_RCVBUF', sc.rcvBuf));
      value(so.bind(l, 0, 80));
      value(so.listen(l, 16));
      const c = e.client.sockets.socket();
      if (sc.sndBuf !== undefined) value(e.client.sockets.setsockopt(c, 'SO_SNDBUF', sc.sndBuf));
      e.client.sockets.connect(c, SERVER_IP, 80);
      // The handshake, through the losses too (a lost SYN goes again after 1 s).
      const acc = so.accept(l);
      e.net.runFor(s(20));
      const accepted = acc instanceof Pending ? acc.result : acc;
      const a = value(accepted as { fd: number }).fd;
      if (sc.nonBlockingReader) so.setNonBlocking(a, true);
      const data = new Uint8Array(sc.size);
      for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 9)) & 0xff;
      // The writer: blocking writes of the drawn sizes, one after the other, then SHUT_WR.
      let at = 0;
      let w = 0;
      const writeMore = (): void => {
        while (at < data.length) {
          const n = sc.writes[w++ % sc.writes.length]!;
          const r = e.client.sockets.write(c, data.subarray(at, at + n));
          if (r instanceof Pending) {
            r.onSettled((x) => {
              at += x as number;
              writeMore();
            });
            return;
          }
          at += r as number;
        }
        e.client.sockets.shutdown(c, 'SHUT_WR');
      };
      writeMore();
      // The reader: reads of the drawn sizes; a non-blocking one polls every 5 ms.
      const got: Uint8Array[] = [];
      let eof = false;
      let k = 0;
      /** Takes a read's result; true to read again at once. */
      const take = (x: unknown): boolean => {
        if (!(x instanceof Uint8Array)) {
          // EAGAIN: try again later.
          e.net.events.after(ms(5), readMore);
          return false;
        }
        if (x.length === 0) {
          eof = true;
          return false;
        }
        got.push(x);
        // A slow reader lets the receive queue fill between its reads.
        if (sc.readEveryMs > 0) {
          e.net.events.after(ms(sc.readEveryMs), readMore);
          return false;
        }
        return true;
      };
      const readMore = (): void => {
        for (;;) {
          // (A slow reader takes at least 256 bytes a read, or the run would outlast the test.)
          const want = sc.reads[k++ % sc.reads.length]!;
          const r = so.read(a, sc.readEveryMs > 0 ? Math.max(want, 256) : want);
          if (r instanceof Pending) {
            r.onSettled((x) => {
              if (take(x)) readMore();
            });
            return;
          }
          if (!take(r)) return;
        }
      };
      readMore();
      e.net.runFor(s(900));
      expect(eof).toBe(true);
      const all = Buffer.concat(got.map((x) => Buffer.from(x)));
      expect(all.length).toBe(data.length);
      expect(all.equals(Buffer.from(data))).toBe(true);
    }),
    { seed: 7, numRuns: 25 },
  );
});
