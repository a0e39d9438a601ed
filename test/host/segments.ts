/** The TCP segments of a recorded interface, parsed, for tests that check exact segments and times. */

import type { TapPacket } from '../../src/host/tap.js';
import type { Time } from '../../src/sim/time.js';
import { parseEthernet } from '../../src/wire/ethernet.js';
import { IPPROTO_TCP, parseIpv4 } from '../../src/wire/ipv4.js';
import { parseTcp, type TcpSegment } from '../../src/wire/tcp.js';

export interface WireSegment {
  readonly time: Time;
  readonly direction: 'In' | 'Out';
  readonly seg: TcpSegment;
}

/** Every TCP segment among `frames`, with its time and direction. */
export function tcpSegments(frames: readonly TapPacket[]): WireSegment[] {
  const out: WireSegment[] = [];
  for (const p of frames) {
    const f = parseEthernet(p.frame);
    if (!f.ok) continue;
    const d = parseIpv4(f.value.payload);
    if (!d.ok || d.value.protocol !== IPPROTO_TCP) continue;
    const t = parseTcp(d.value.payload, {
      src: d.value.src,
      dst: d.value.dst,
      protocol: IPPROTO_TCP,
      length: d.value.payload.length,
    });
    if (t.ok) out.push({ time: p.time, direction: p.direction, seg: t.value });
  }
  return out;
}

/** The segments a host sent. */
export function tcpSent(frames: readonly TapPacket[]): WireSegment[] {
  return tcpSegments(frames).filter((x) => x.direction === 'Out');
}

/** The timestamps option of a segment. */
export function timestampsOf(seg: TcpSegment): { tsVal: number; tsEcr: number } {
  const o = seg.options.find((x) => x.kind === 'timestamps');
  if (o === undefined || o.kind !== 'timestamps') throw new Error('no timestamps option');
  return { tsVal: o.tsVal, tsEcr: o.tsEcr };
}
