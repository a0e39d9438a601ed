/**
 * The tcpdump 4.99.3 conformance corpus (../shared/conformance/tcpdump), run
 * through the `tcpdump` command as a user types it (`tcpdump -# -n -r FILE
 * FLAGS`, TZ=GMT0): every case must equal tcpdump's output byte for byte, except, in
 * the cases the corpus README lists as carrying application-decoder lines, the
 * lines those decoders print (docs/tcpdump-differences.md).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runTcpdump } from '../../src/tools/tcpdump.js';
import { allowedDecoderDifference } from '../capture/print-support.js';
import { MemoryIO } from './memory-io.js';

const CORPUS = join(import.meta.dirname, '../../../shared/conformance/tcpdump');

/** README "Caveats": cases whose expected output holds non-HTTP decoder lines. */
const APP_LINE_CASES = new Set(
  `print-x print-xx print-X print-XX print-A print-AA ssh whois whois-v dns_tcp dns_tcp-v
  dns_tcp-vv dns_tcp-vvv mptcp-v0 mptcp-aa-v1 icmp-cksum-oobr-3 resp_1 resp_2 LINKTYPE_RAW_ipv4
  LINKTYPE_IPV4 print-flags-S print-flags-nn print-flags-e print-flags-v print-flags-vv
  print-flags-t print-flags-tt print-flags-ttt print-flags-tttt print-flags-ttttt
  print-flags-S-v-e-x ssh-S ssh-v tcp_rst_data-4.99.3 LINKTYPE_RAW_ipv4-e LINKTYPE_IPV4-e
  ipv4_invalid_total_length-4.99.3 tcp_rst_data-trunc-4.99.3`.split(/\s+/),
);

interface Row {
  readonly name: string;
  readonly pcap: string;
  readonly expected: string;
  readonly flags: readonly string[];
}

const rows: Row[] = readFileSync(join(CORPUS, 'tests.tsv'), 'latin1')
  .split('\n')
  .slice(1)
  .filter((l) => l.trim() !== '')
  .map((l) => {
    const [name, pcap, expected, flags = ''] = l.split('\t');
    return {
      name: name!,
      pcap: pcap!,
      expected: expected!,
      flags: flags.split(' ').filter(Boolean),
    };
  });

describe('tcpdump conformance corpus', () => {
  test('has the 93 cases of its README', () => {
    expect(rows.length).toBe(93);
  });

  for (const row of rows) {
    test(`${row.name} (${row.flags.join(' ') || 'no flags'})`, () => {
      // The harness's defaults: -# -n -r FILE, TZ=GMT0 (MemoryIO gives UTC, ifindex 1 = lo).
      const io = new MemoryIO();
      const status = runTcpdump(['-#', '-n', '-r', join(CORPUS, row.pcap), ...row.flags], io);
      expect(status).toBe(0);
      const ours = io.out;
      const expected = readFileSync(join(CORPUS, row.expected), 'latin1');
      if (ours === expected) return;
      if (APP_LINE_CASES.has(row.name)) {
        expect(allowedDecoderDifference(ours, expected)).toBeUndefined();
      } else {
        expect(ours).toBe(expected);
      }
    });
  }
});
