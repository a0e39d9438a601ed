// What the benchmarks share: a forced garbage collection, the heap they
// measure memory with, and how a figure is set against its goal.

import v8 from 'node:v8';
import vm from 'node:vm';

let gcFn;
/** Three full collections (with or without --expose-gc). */
export function gc() {
  if (gcFn === undefined) {
    if (typeof globalThis.gc === 'function') gcFn = globalThis.gc;
    else {
      v8.setFlagsFromString('--expose-gc');
      gcFn = vm.runInNewContext('gc');
    }
  }
  for (let i = 0; i < 3; i++) gcFn();
}

/** The JS heap plus ArrayBuffer contents (typed arrays' bytes live outside the heap). */
export function heapNow() {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** The heap after a forced collection. */
export function heapUsed() {
  gc();
  return heapNow();
}

export function goal(ok) {
  return ok ? 'meets the goal' : 'BELOW the goal';
}
