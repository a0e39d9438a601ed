/** The two packetdrill corpora in ../shared/conformance, as test fixtures. */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONFORMANCE = join(
  fileURLToPath(new URL('.', import.meta.url)),
  '../../../shared/conformance',
);
export const UPSTREAM = join(CONFORMANCE, 'packetdrill');
export const TCPLAB = join(CONFORMANCE, 'packetdrill-tcplab');

/** Every .pkt file under `dir`, as paths relative to `dir`, sorted. */
export function scripts(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.pkt')) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

export function read(dir: string, path: string): string {
  return readFileSync(join(dir, path), 'utf8');
}
