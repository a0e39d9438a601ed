/**
 * The record of a connection's state changes (Connection.recordState, packed
 * as numbers) and Linux's state numbering it uses.
 */

import { describe, expect, test } from 'vitest';
import { ms } from '../../src/sim/time.js';
import {
  TCP_STATE_NUMBERS,
  TCP_STATES,
  type TcpState,
  tcpStateNumber,
} from '../../src/tcp/state.js';
import { synSent } from './fixtures.js';

describe('state numbers', () => {
  test('tcpStateNumber gives TCP_STATE_NUMBERS for each of the eleven states', () => {
    expect(TCP_STATES).toHaveLength(11);
    for (const s of TCP_STATES) expect(tcpStateNumber(s)).toBe(TCP_STATE_NUMBERS[s]);
  });
});

describe('the record of state changes', () => {
  test('every change is kept, in order, past each growth of the record (2, 6, 12 changes)', () => {
    const c = synSent().c;
    // The fixture's connect() recorded CLOSE → SYN_SENT at 0; 14 more changes follow.
    const path: TcpState[] = [
      'ESTABLISHED',
      'FIN_WAIT1',
      'FIN_WAIT2',
      'TIME_WAIT',
      'CLOSE',
      'SYN_RECV',
      'ESTABLISHED',
      'CLOSE_WAIT',
      'LAST_ACK',
      'CLOSING',
      'LISTEN',
      'CLOSE',
      'SYN_SENT',
      'ESTABLISHED',
    ];
    const want = [{ time: 0, from: 'CLOSE', to: 'SYN_SENT' }];
    let from: TcpState = 'SYN_SENT';
    path.forEach((to, i) => {
      const time = ms(10 * (i + 1)) + 0.5;
      c.recordState(to, time);
      want.push({ time, from, to });
      from = to;
      expect(c.transitions).toEqual(want);
    });
    expect(c.state).toBe('ESTABLISHED');
    // The first entry into ESTABLISHED.
    expect(c.establishedAt()).toBe(ms(10) + 0.5);
  });
});
