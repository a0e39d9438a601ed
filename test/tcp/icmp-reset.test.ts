import { describe, expect, test } from 'vitest';
import { ms, s } from '../../src/sim/time.js';
import { ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED } from '../../src/tcp/icmp.js';
import { tcpResetFor } from '../../src/tcp/reset.js';
import { tcpSysctl } from '../../src/tcp/sysctl.js';
import { seq, seqAdd } from '../../src/wire/seq.js';
import { ACK, FIN, PSH, RST, SYN } from '../../src/wire/tcp.js';
import { established, synSent } from './fixtures.js';
import { FROM_CLIENT, IRS, ISS } from './harness.js';

const PORT_UNREACH = { type: ICMP_DEST_UNREACH, code: 3 };
const HOST_UNREACH = { type: ICMP_DEST_UNREACH, code: 1 };

describe('ICMP errors (tcp_v4_err)', () => {
  test('SYN_SENT: port unreachable quoting our SYN → CLOSE, ECONNREFUSED', () => {
    const t = synSent();
    expect(t.c.handleIcmpError(ms(1), { ...PORT_UNREACH, quotedSeq: ISS })).toBe(true);
    expect(t.c.state).toBe('CLOSE');
    expect(t.c.error?.code).toBe('ECONNREFUSED');
    expect(t.net.counters.TcpAttemptFails).toBe(1);
    t.collect(ms(1));
    expect(t.takeEvents()).toEqual(['error ECONNREFUSED', 'closed']);
  });

  test('SYN_SENT inside a blocking connect(): only a soft error; the next ICMP, after the SYN is resent, ends it', () => {
    // linux-traces/reject-icmp python-blocking: SYN, ICMP, SYN after 1 s, ICMP, ECONNREFUSED.
    const t = synSent();
    t.c.handleIcmpError(ms(1), { ...PORT_UNREACH, quotedSeq: ISS, ownedByUser: true });
    expect(t.c.state).toBe('SYN_SENT');
    t.expect(s(1), { flags: SYN, seq: ISS });
    t.c.handleIcmpError(ms(1001), { ...PORT_UNREACH, quotedSeq: ISS });
    expect(t.c.error?.code).toBe('ECONNREFUSED');
  });

  test('net, host unreachable and time exceeded map to ENETUNREACH, EHOSTUNREACH', () => {
    const a = synSent();
    a.c.handleIcmpError(ms(1), { type: ICMP_DEST_UNREACH, code: 0, quotedSeq: ISS });
    expect(a.c.error?.code).toBe('ENETUNREACH');
    const b = synSent();
    b.c.handleIcmpError(ms(1), { type: ICMP_TIME_EXCEEDED, code: 0, quotedSeq: ISS });
    expect(b.c.error).toMatchObject({
      code: 'EHOSTUNREACH',
      errno: -113,
      message: 'No route to host',
    });
  });

  test('fragmentation needed is not an error; an ICMP quoting an unsent sequence number is ignored', () => {
    const t = synSent();
    expect(t.c.handleIcmpError(ms(1), { type: ICMP_DEST_UNREACH, code: 4, quotedSeq: ISS })).toBe(
      false,
    );
    expect(t.c.handleIcmpError(ms(1), { ...PORT_UNREACH, quotedSeq: seqAdd(ISS, 500) })).toBe(
      false,
    );
    expect(t.net.counters.TcpExtOutOfWindowIcmps).toBe(1);
    expect(t.c.state).toBe('SYN_SENT');
  });

  test('ESTABLISHED: a host unreachable is soft, and names the failure when the connection times out', () => {
    const t = established(tcpSysctl({ tcp_retries2: 3 }));
    t.app(s(1), (c) => c.send(s(1), new Uint8Array(10)));
    t.expect(s(1), { flags: ACK | PSH });
    t.c.handleIcmpError(ms(1001), { ...HOST_UNREACH, quotedSeq: seqAdd(ISS, 1) });
    expect(t.c.state).toBe('ESTABLISHED');
    t.advance(s(10));
    expect(t.c.state).toBe('CLOSE');
    expect(t.c.error?.code).toBe('EHOSTUNREACH');
  });
});

describe('the reset for a segment no socket wants (tcp_v4_send_reset)', () => {
  test('a SYN: [R.] seq 0, ack ISN+1, window 0, no options (linux-traces/closed-port)', () => {
    expect(tcpResetFor({ ...FROM_CLIENT, seq: IRS, flags: SYN })).toEqual({
      srcPort: 80,
      dstPort: 40001,
      seq: 0,
      ack: seqAdd(IRS, 1),
      flags: RST | ACK,
      window: 0,
      urgentPointer: 0,
      options: [],
      payload: new Uint8Array(0),
    });
  });

  test('without ACK, the ack field counts SYN, FIN and payload', () => {
    const r = tcpResetFor({
      ...FROM_CLIENT,
      seq: IRS,
      flags: SYN | FIN,
      payload: new Uint8Array(10),
    });
    expect(r?.ack).toBe(seqAdd(IRS, 12));
  });

  test('with ACK: [R] with the sequence number taken from the ACK field (time-wait/fw2-orphan-default)', () => {
    const r = tcpResetFor({ ...FROM_CLIENT, flags: FIN | ACK, ack: seq(4242) });
    expect(r).toMatchObject({ flags: RST, seq: seq(4242), ack: 0, window: 0 });
  });

  test('a RST is never answered', () => {
    expect(tcpResetFor({ ...FROM_CLIENT, flags: RST })).toBeUndefined();
    expect(tcpResetFor({ ...FROM_CLIENT, flags: RST | ACK })).toBeUndefined();
  });
});
