/**
 * One fixture per state, each built from the previous one by the segments that
 * lead there, so a test starts from a connection that really went through its
 * history. Clock: no timer wheel (timers fire exactly n jiffies later), so times
 * are round numbers; stock Linux 6.12 sysctls (wscale 7).
 */

import { expect } from 'vitest';
import { ms } from '../../src/sim/time.js';
import type { TcpSysctl } from '../../src/tcp/sysctl.js';
import { seqAdd } from '../../src/wire/seq.js';
import { ACK, FIN, SYN } from '../../src/wire/tcp.js';
import {
  CLIENT,
  EMPTY,
  FROM_CLIENT,
  FROM_SERVER,
  IRS,
  ISS,
  ourTs,
  PEER_TS,
  SERVER,
  synAckFromServer,
  synOpts,
  Tester,
  tsOpt,
} from './harness.js';

/** When the SYN-ACK arrives in the fixtures: an RTT of 10 ms. */
export const T_ESTABLISHED = ms(10);

/** The SYN Linux sends from 192.168.0.21:40001 (stock: wscale 7). */
export const OUR_SYN = {
  srcPort: CLIENT.port,
  dstPort: SERVER.port,
  seq: ISS,
  flags: SYN,
  window: 64240,
  options: synOpts(1460, ourTs(0), 0, 7),
  payload: EMPTY,
};

/** SYN_SENT: connect() at 0, the SYN sent. */
export function synSent(sysctl?: TcpSysctl): Tester {
  const t = new Tester({ sysctl });
  t.connect(0);
  t.expect(0, OUR_SYN);
  expect(t.c.state).toBe('SYN_SENT');
  return t;
}

/**
 * ESTABLISHED (active open): the SYN-ACK at 10 ms, our ACK at once. The peer's
 * window is 65160 bytes, its scale 7; ours is 502 (64256 bytes).
 */
export function established(sysctl?: TcpSysctl): Tester {
  const t = synSent(sysctl);
  const ack = t.send(T_ESTABLISHED, synAckFromServer(ourTs(0)));
  expect(ack).toMatchObject({ flags: ACK, seq: seqAdd(ISS, 1), ack: seqAdd(IRS, 1), window: 502 });
  expect(t.c.state).toBe('ESTABLISHED');
  t.takeEvents();
  return t;
}

/** A segment from the server in an established connection, with timestamps. */
export function fromServer(tsVal = PEER_TS, tsEcr = ourTs(0)) {
  return { ...FROM_SERVER, options: tsOpt(tsVal, tsEcr) };
}

/** The server's ACK of our first `upTo` bytes of data, offering `window` (scaled by 7). */
export function ackOf(upTo: number, window = 502, tsVal = PEER_TS + 100) {
  return {
    ...fromServer(tsVal, ourTs(0)),
    seq: seqAdd(IRS, 1),
    ack: seqAdd(ISS, 1 + upTo),
    window,
  };
}

/** FIN_WAIT1: close() at 1 s sends the FIN. */
export function finWait1(): Tester {
  const t = established();
  t.app(ms(1000), (c) => c.close(ms(1000)));
  t.expect(ms(1000), {
    flags: FIN | ACK,
    seq: seqAdd(ISS, 1),
    ack: seqAdd(IRS, 1),
    options: tsOpt(ourTs(ms(1000)), PEER_TS),
  });
  expect(t.c.state).toBe('FIN_WAIT1');
  return t;
}

/** FIN_WAIT2: the peer ACKs the FIN at 1.010 s (orphaned: close() was called). */
export function finWait2(): Tester {
  const t = finWait1();
  t.expectNothing(ms(1010));
  const r = t.send(ms(1010), { ...fromServer(PEER_TS + 1000), ack: seqAdd(ISS, 2) });
  expect(r).toBeUndefined();
  expect(t.c.state).toBe('FIN_WAIT2');
  return t;
}

/** TIME_WAIT: the peer's FIN at 2 s, ACKed at once. */
export function timeWait(): Tester {
  const t = finWait2();
  const r = t.send(ms(2000), {
    ...fromServer(PEER_TS + 2000, ourTs(ms(1000))),
    flags: FIN | ACK,
    ack: seqAdd(ISS, 2),
  });
  expect(r).toMatchObject({ flags: ACK, seq: seqAdd(ISS, 2), ack: seqAdd(IRS, 2) });
  expect(t.c.state).toBe('TIME_WAIT');
  return t;
}

/** CLOSE_WAIT: the peer's FIN at 1 s; its ACK is delayed one jiffy (no data was received). */
export function closeWait(): Tester {
  const t = established();
  const r = t.send(ms(1000), { ...fromServer(PEER_TS + 1000), flags: FIN | ACK });
  expect(r).toBeUndefined();
  expect(t.c.state).toBe('CLOSE_WAIT');
  t.expect(ms(1004), { flags: ACK, seq: seqAdd(ISS, 1), ack: seqAdd(IRS, 2) });
  expect(t.takeEvents()).toEqual(['eof']);
  return t;
}

/** LAST_ACK: close() at 2 s sends our FIN. */
export function lastAck(): Tester {
  const t = closeWait();
  t.app(ms(2000), (c) => c.close(ms(2000)));
  t.expect(ms(2000), { flags: FIN | ACK, seq: seqAdd(ISS, 1), ack: seqAdd(IRS, 2) });
  expect(t.c.state).toBe('LAST_ACK');
  return t;
}

/** CLOSING: from FIN_WAIT1, the peer's FIN crosses ours (it does not ACK ours). */
export function closing(): Tester {
  const t = finWait1();
  const r = t.send(ms(1005), { ...fromServer(PEER_TS + 1005), flags: FIN | ACK });
  expect(r).toMatchObject({ flags: ACK, seq: seqAdd(ISS, 2), ack: seqAdd(IRS, 2) });
  expect(t.c.state).toBe('CLOSING');
  return t;
}

/** The client's SYN to a listener, Linux-style (wscale 7). */
export const CLIENT_SYN = {
  ...FROM_CLIENT,
  seq: IRS,
  ack: seqAdd(ISS, 0),
  flags: SYN,
  window: 64240,
  options: synOpts(1460, PEER_TS, 0, 7),
};

/** SYN_RECV (passive): a listener on port 80 got CLIENT_SYN at 0 and sent its SYN-ACK. */
export function synRecvPassive(): Tester {
  const t = new Tester();
  const l = t.listen(16);
  const v = l.handleSegment(0, CLIENT_SYN, CLIENT, SERVER.addr);
  if (!('request' in v)) throw new Error('the listener did not take the SYN');
  t.collect(0);
  t.expect(0, { flags: SYN | ACK, ack: seqAdd(IRS, 1), window: 65160 });
  expect(t.req.state).toBe('SYN_RECV');
  return t;
}
