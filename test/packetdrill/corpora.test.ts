/**
 * Both packetdrill corpora, run against tcplab's stack: the exact list of
 * scripts that pass. A script that starts failing fails this test; one that
 * starts passing must be added here (and taken out of docs/packetdrill.md,
 * which explains every script still failing).
 */

import { afterAll, describe, expect, test } from 'vitest';
import { runScriptText } from '../../src/packetdrill/run.js';
import { read, scripts, TCPLAB, UPSTREAM } from './corpus.js';

/** Scripts of ../shared/conformance/packetdrill/ that fail, each explained in docs/packetdrill.md. */
const UPSTREAM_FAILING = new Set(['tcp/fast_retransmit/fr-4pkt-fack-last-mss.pkt']);

/** Scripts of ../shared/conformance/packetdrill-tcplab/ that fail, each explained in docs/packetdrill.md. */
const TCPLAB_FAILING = new Set(['half-close/peer-half-close-keep-sending.pkt']);

for (const [name, dir, failing] of [
  ['packetdrill (upstream)', UPSTREAM, UPSTREAM_FAILING],
  ['packetdrill-tcplab', TCPLAB, TCPLAB_FAILING],
] as const) {
  describe(name, () => {
    const files = scripts(dir);
    let passed = 0;
    // The pass count, printed in every test run (CI's log shows it; the README states it).
    afterAll(() => {
      console.log(`${name}: ${passed} of ${files.length} scripts pass`);
    });
    test('every failing script listed exists', () => {
      for (const f of failing) expect(files).toContain(f);
    });
    for (const f of files) {
      const expected = !failing.has(f);
      test(`${f} ${expected ? 'passes' : 'fails (docs/packetdrill.md says why)'}`, () => {
        const r = runScriptText(read(dir, f), f);
        if (r.ok) passed++;
        if (expected) expect(r.error).toBeUndefined();
        expect(r.ok).toBe(expected);
      });
    }
  });
}
