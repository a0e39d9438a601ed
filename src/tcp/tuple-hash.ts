/**
 * The hash of a connection's 4-tuple that the connection table (src/host) and
 * the timewait table index their power-of-two chain arrays with: every bit of
 * the four values reaches the low bits (a table masks them), and the result
 * is a small integer to V8 (no boxing). Linux's inet_ehashfn mixes in a
 * per-boot secret as well; nothing here depends on a chain's order, so none is
 * needed for the simulation's determinism.
 */
export function tupleHash(
  localAddr: number,
  localPort: number,
  remoteAddr: number,
  remotePort: number,
): number {
  let h = Math.imul((localPort << 16) ^ remotePort, 0x9e3779b1);
  h = Math.imul(h ^ (remoteAddr >>> 0) ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (localAddr >>> 0) ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) & 0x3fffffff;
}
