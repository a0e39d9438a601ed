/**
 * Request socks through a host (listen.ts RequestSock, host/tcp.ts): what an
 * ICMP error quoting a request's SYN-ACK does to it (tcp_v4_err → tcp_req_err),
 * and that the SYN-ACK goes out from the namespace's control socket (IP id 0).
 * The ICMP cases were checked on Linux 6.18.44 with request-sock-icmp-linux.py
 * (two namespaces, raw SYNs and raw ICMP errors): net and host unreachable,
 * time exceeded and parameter problem drop the request (TcpExtListenDrops);
 * port unreachable and host prohibited do not; an ICMP quoting another
 * sequence number than the ISN is counted in TcpExtOutOfWindowIcmps.
 */

import { expect, test } from 'vitest';
import { Network } from '../../src/sim/network.js';
import { ms } from '../../src/sim/time.js';
import { get16, get32 } from '../../src/wire/bytes.js';
import { buildIcmpError } from '../../src/wire/icmp.js';
import { IPPROTO_TCP, IPV4_HEADER_LEN } from '../../src/wire/ipv4.js';
import { ACK, emitTcp, SYN, type TcpSegment, tcpLength } from '../../src/wire/tcp.js';

const SERVER = 0x0a000002;
const ROUTER = 0x0a000003;

/**
 * A server 10.0.0.2 listening on port 80 whose way to 172.16/12 is 10.0.0.3, a
 * host that does not forward: it sends the spoofed SYNs, sees the SYN-ACKs
 * (kept here as IP datagrams) and sends the ICMP errors.
 */
function lab() {
  const net = new Network({ seed: 7 });
  const lan = net.segment('lan', {});
  const server = net.addHost('server', {
    segment: lan,
    address: '10.0.0.2/24',
    gateway: '10.0.0.3',
  });
  const router = net.addHost('router', { segment: lan, address: '10.0.0.3/24' });
  const l = server.tcp.listen(0, 80, 16, false);
  const synAcks: Uint8Array[] = [];
  router.addTap((p) => {
    const ip = p.frame.subarray(14);
    if (p.direction === 'In' && ip[9] === IPPROTO_TCP && get32(ip, 12) === SERVER) {
      synAcks.push(ip.slice());
    }
  });
  const syn = (src: number, port: number): Uint8Array => {
    const seg: TcpSegment = {
      srcPort: port,
      dstPort: 80,
      seq: 1000 as TcpSegment['seq'],
      ack: 0 as TcpSegment['ack'],
      flags: SYN,
      window: 64240,
      urgentPointer: 0,
      options: [{ kind: 'mss', mss: 1460 }],
      payload: new Uint8Array(0),
    };
    const len = tcpLength(seg);
    const d = new Uint8Array(IPV4_HEADER_LEN + len);
    d[0] = 0x45;
    d[5] = 1;
    d[8] = 64;
    d[9] = IPPROTO_TCP;
    const v = new DataView(d.buffer);
    v.setUint16(2, d.length);
    v.setUint32(12, src);
    v.setUint32(16, SERVER);
    emitTcp(seg, d.subarray(IPV4_HEADER_LEN), { src, dst: SERVER, protocol: 6, length: len });
    expect(router.sendRawIp(d).ok).toBe(true);
    net.runUntil(net.now + ms(1));
    return synAcks.at(-1)!;
  };
  const icmp = (about: Uint8Array, type: number, code: number) => {
    const e = buildIcmpError(about, { type, code, src: ROUTER, id: 1 });
    if (!e.ok) throw new Error(e.error.reason);
    expect(router.sendRawIp(e.value).ok).toBe(true);
    net.runUntil(net.now + ms(1));
  };
  return { net, server, l, syn, icmp };
}

/** A copy of `ip` (a SYN-ACK) quoting another sequence number. */
function otherSeq(ip: Uint8Array): Uint8Array {
  const c = ip.slice();
  new DataView(c.buffer).setUint32(IPV4_HEADER_LEN + 4, (get32(ip, IPV4_HEADER_LEN + 4) + 1) >>> 0);
  return c;
}

test('the SYN-ACK of a request goes out with IP id 0 and DF, as tcp_v4_send_synack sends it', () => {
  const { syn } = lab();
  const synAck = syn(0xac100001, 41000);
  expect(synAck[IPV4_HEADER_LEN + 13]).toBe(SYN | ACK);
  expect(get16(synAck, 4)).toBe(0);
  expect(get16(synAck, 6) & 0x4000).toBe(0x4000);
});

test('an ICMP error quoting a SYN-ACK: net or host unreachable, time exceeded, parameter problem drop the request; port unreachable and host prohibited keep it', () => {
  const { server, l, syn, icmp } = lab();
  const cases: [string, number, number, boolean][] = [
    ['net unreachable', 3, 0, true],
    ['host unreachable', 3, 1, true],
    ['port unreachable', 3, 3, false],
    ['host prohibited', 3, 10, false],
    ['time exceeded', 11, 0, true],
    ['parameter problem', 12, 0, true],
  ];
  let port = 41000;
  let drops = 0;
  for (const [name, type, code, dropped] of cases) {
    port++;
    const synAck = syn(0xac100001, port);
    const has = () => [...l.listener.synQueue.values()].some((r) => r.remotePort === port);
    expect(has(), name).toBe(true);
    icmp(synAck, type, code);
    expect(has(), name).toBe(!dropped);
    if (dropped) drops++;
    expect(server.tcp.net.counters.TcpExtListenDrops, name).toBe(drops);
  }
  // Another sequence number than the ISN: counted, the request kept.
  port++;
  const synAck = syn(0xac100001, port);
  icmp(otherSeq(synAck), 3, 1);
  expect([...l.listener.synQueue.values()].some((r) => r.remotePort === port)).toBe(true);
  expect(server.tcp.net.counters.TcpExtOutOfWindowIcmps).toBe(1);
  expect(server.tcp.net.counters.TcpExtListenDrops).toBe(drops);
});
