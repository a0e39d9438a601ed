/**
 * The README shows a seed lab as it is: the block under "This is
 * `labs/closed-port.lab`:" must be that file (its run command is checked by
 * test/cli/readme.test.ts).
 */

import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;

test('the lab shown in the README is labs/closed-port.lab, byte for byte', () => {
  const readme = readFileSync(`${ROOT}README.md`, 'utf8');
  const m = /This is `labs\/closed-port\.lab`:\n\n```\n([\s\S]*?)```/.exec(readme);
  expect(m).not.toBeNull();
  expect(m?.[1]).toBe(readFileSync(`${ROOT}labs/closed-port.lab`, 'utf8'));
});

test('the lab shown at the top of docs/labs.md is labs/closed-port.lab, byte for byte', () => {
  const docs = readFileSync(`${ROOT}docs/labs.md`, 'utf8');
  const m = /^```\n(# Closed port:[\s\S]*?)```/m.exec(docs);
  expect(m?.[1]).toBe(readFileSync(`${ROOT}labs/closed-port.lab`, 'utf8'));
});
