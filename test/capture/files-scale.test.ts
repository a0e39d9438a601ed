/**
 * Scale: a million-packet capture is written incrementally and read back with
 * the pull reader, without building an array of records.
 */
import { expect, test } from 'vitest';
import { CaptureReader, PcapngWriter, PcapWriter } from '../../src/capture/pcap.js';

const N = 1_000_000;
/** A 54-byte frame: Ethernet + IPv4 + TCP headers, its last bytes numbering the packet. */
function frame(i: number): Uint8Array {
  const f = new Uint8Array(54);
  f[12] = 0x08;
  f[14] = 0x45;
  new DataView(f.buffer).setUint32(50, i);
  return f;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

for (const format of ['pcap', 'pcapng'] as const) {
  test(`${format}: 1 000 000 packets written in chunks and pulled back one by one`, () => {
    const t0 = performance.now();
    const w =
      format === 'pcap'
        ? new PcapWriter({ linkType: 1, precision: 'nano' })
        : new PcapngWriter([{ linkType: 1, snaplen: 262144, name: 'h:eth0' }], {
            precision: 'nano',
          });
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < N; i++) {
      w.append({
        sec: 1_700_000_000 + Math.floor(i / 1000),
        frac: (i % 1000) * 1000,
        data: frame(i),
      });
      if (i % 65536 === 65535) chunks.push(w.flush());
    }
    chunks.push(w.finish());
    const file = concat(chunks);
    const t1 = performance.now();

    const reader = new CaptureReader(file, { precision: 'nano' });
    let count = 0;
    let ok = true;
    for (let r = reader.next(); r; r = reader.next()) {
      const i = new DataView(r.data.buffer, r.data.byteOffset).getUint32(50);
      ok &&=
        i === count &&
        r.sec === 1_700_000_000 + Math.floor(i / 1000) &&
        r.frac === (i % 1000) * 1000;
      count++;
    }
    const t2 = performance.now();
    expect(reader.error).toBeUndefined();
    expect(count).toBe(N);
    expect(ok).toBe(true);
    console.log(
      `${format}: ${(file.length / 1e6).toFixed(1)} MB; write ${(t1 - t0).toFixed(0)} ms, read ${(t2 - t1).toFixed(0)} ms`,
    );
  });
}
