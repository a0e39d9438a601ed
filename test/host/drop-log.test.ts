/**
 * A host's DropLog (counters.ts): counts per reason are never lost, and the last
 * DROP_LOG_SIZE records are kept, oldest first, in a ring.
 */

import { describe, expect, test } from 'vitest';
import { DROP_LOG_SIZE, DropLog, type DropRecord } from '../../src/host/counters.js';

describe('DropLog', () => {
  test('keeps the last DROP_LOG_SIZE records, oldest first, and every count', () => {
    const log = new DropLog();
    const frame = new Uint8Array(40).map((_, i) => i);
    const extra = 10;
    for (let i = 0; i < DROP_LOG_SIZE + extra; i++) {
      if (i % 2 === 0) log.add(i, 'IP_CSUM', 'ip_rcv_core', 'eth0', frame);
      else log.add(i, 'IP_INADDRERRORS', 'ip_error', undefined, frame, 14, 34);
    }
    expect(log.total).toBe(DROP_LOG_SIZE + extra);
    expect(log.count('IP_CSUM')).toBe((DROP_LOG_SIZE + extra) / 2);
    expect(log.count('IP_INADDRERRORS')).toBe((DROP_LOG_SIZE + extra) / 2);
    const records = log.records;
    expect(records.length).toBe(DROP_LOG_SIZE);
    expect(records[0]!.time).toBe(extra);
    expect(records.at(-1)!.time).toBe(DROP_LOG_SIZE + extra - 1);
    expect(records.map((r) => r.time)).toEqual(
      Array.from({ length: DROP_LOG_SIZE }, (_, i) => i + extra),
    );
    // A whole buffer is handed back as it was given; a range as a view of it.
    const even = records[0]!;
    expect(even).toMatchObject({ reason: 'IP_CSUM', where: 'ip_rcv_core', ifname: 'eth0' });
    expect(even.bytes).toBe(frame);
    const odd = records[1]!;
    expect(odd).toMatchObject({ reason: 'IP_INADDRERRORS', where: 'ip_error', ifname: undefined });
    expect([...odd.bytes]).toEqual([...frame.subarray(14, 34)]);
    expect(odd.bytes.buffer).toBe(frame.buffer);
  });

  test('below DROP_LOG_SIZE, records are in order of recording; record() and the observer see the same', () => {
    const log = new DropLog();
    const seen: DropRecord[] = [];
    log.observer = (d) => seen.push(d);
    const bytes = new Uint8Array([1, 2, 3, 4]);
    log.record({ time: 5, reason: 'OTHERHOST', where: 'ip_rcv_core', ifname: 'eth1', bytes });
    log.add(6, 'IP_INHDR', 'ip_rcv_core', 'eth1', bytes, 1, 3);
    expect(log.records.map((r) => [r.time, r.reason, [...r.bytes]])).toEqual([
      [5, 'OTHERHOST', [1, 2, 3, 4]],
      [6, 'IP_INHDR', [2, 3]],
    ]);
    expect(seen.map((r) => [r.time, r.reason, [...r.bytes]])).toEqual([
      [5, 'OTHERHOST', [1, 2, 3, 4]],
      [6, 'IP_INHDR', [2, 3]],
    ]);
    expect(log.counts()).toEqual([
      ['IP_INHDR', 1],
      ['OTHERHOST', 1],
    ]);
  });
});
