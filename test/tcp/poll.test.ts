/**
 * What a connection hands out through pollTransmit and pollEvent: everything
 * queued, once, in the order it was queued, whether one item waits (held as
 * itself) or several (an array), and when more is queued while draining.
 */

import { describe, expect, test } from 'vitest';
import { ms } from '../../src/sim/time.js';
import {
  TCP_EVENT_CLOSED,
  TCP_EVENT_EOF,
  TCP_EVENT_READABLE,
  TCP_EVENT_WRITABLE,
} from '../../src/tcp/connection.js';
import { ACK } from '../../src/wire/tcp.js';
import { established } from './fixtures.js';
import { FROM_SERVER } from './harness.js';

const seg = (window: number) => ({ ...FROM_SERVER, flags: ACK, window });

describe('pollTransmit', () => {
  test('one segment, then several, then more queued while draining: each once, in order', () => {
    const c = established().c;
    expect(c.pollTransmit()).toBeUndefined();
    c.queueTransmit(seg(1));
    expect(c.pollTransmit()?.window).toBe(1);
    expect(c.pollTransmit()).toBeUndefined();
    c.queueTransmit(seg(2));
    c.queueTransmit(seg(3));
    expect(c.pollTransmit()?.window).toBe(2);
    c.queueTransmit(seg(4));
    expect(c.pollTransmit()?.window).toBe(3);
    expect(c.pollTransmit()?.window).toBe(4);
    expect(c.pollTransmit()).toBeUndefined();
    c.queueTransmit(seg(5));
    expect(c.pollTransmit()?.window).toBe(5);
    expect(c.pollTransmit()).toBeUndefined();
  });
});

describe('pollEvent', () => {
  test("a 'readable' or 'writable' right after the same unpolled one is not queued again", () => {
    const c = established().c;
    expect(c.pollEvent()).toBeUndefined();
    c.emit(TCP_EVENT_READABLE);
    c.emit(TCP_EVENT_READABLE);
    expect(c.pollEvent()).toBe(TCP_EVENT_READABLE);
    expect(c.pollEvent()).toBeUndefined();
    c.emit(TCP_EVENT_WRITABLE);
    c.emit(TCP_EVENT_READABLE);
    c.emit(TCP_EVENT_READABLE);
    c.emit(TCP_EVENT_EOF);
    c.emit(TCP_EVENT_EOF);
    expect(c.pollEvent()).toBe(TCP_EVENT_WRITABLE);
    // Queued while draining: after what still waits.
    c.emit(TCP_EVENT_EOF);
    c.emit(TCP_EVENT_WRITABLE);
    expect([c.pollEvent(), c.pollEvent(), c.pollEvent(), c.pollEvent(), c.pollEvent()]).toEqual([
      TCP_EVENT_READABLE,
      TCP_EVENT_EOF,
      TCP_EVENT_EOF,
      TCP_EVENT_EOF,
      TCP_EVENT_WRITABLE,
    ]);
    expect(c.pollEvent()).toBeUndefined();
    // Once polled, the same event is news again.
    c.emit(TCP_EVENT_READABLE);
    expect(c.pollEvent()).toBe(TCP_EVENT_READABLE);
    c.emit(TCP_EVENT_READABLE);
    expect(c.pollEvent()).toBe(TCP_EVENT_READABLE);
    expect(c.pollEvent()).toBeUndefined();
  });

  test("after close() only 'closed' is reported", () => {
    const c = established().c;
    c.close(ms(20));
    c.emit(TCP_EVENT_READABLE);
    c.emit(TCP_EVENT_CLOSED);
    expect(c.pollEvent()).toBe(TCP_EVENT_CLOSED);
    expect(c.pollEvent()).toBeUndefined();
  });
});
