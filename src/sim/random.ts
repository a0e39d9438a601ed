/**
 * Seeded randomness: every random choice in a simulation (ISNs, timestamp
 * offsets, ephemeral ports, cookie secrets, loss) comes from here, so the same
 * seed gives the same run, always (DESIGN.md principle 2).
 *
 * The generator is xoshiro128** 1.1 (D. Blackman and S. Vigna, "Scrambled Linear
 * Pseudorandom Number Generators", ACM Transactions on Mathematical Software
 * 47(4), 2021; reference code at prng.di.unimi.it): 128 bits of state, period
 * 2^128 - 1, and only 32-bit operations, which JavaScript does fast (`Math.imul`,
 * shifts). It is not cryptographic, and need not be: a lab wants repeatable
 * numbers, not secret ones.
 *
 * Named streams. A consumer takes its own stream, split from the root by name:
 * `random.stream('host/client/isn')`, `random.stream('link/lan')`. A stream's
 * numbers depend only on the root seed and the names leading to it, never on
 * what other streams have drawn, so adding a consumer in one place (ISNs on host
 * A) cannot change the numbers another draws (loss on link 2). A stream's key is
 * `mix64(parentKey XOR fnv1a64(name))`, and its state is seeded from the key
 * with SplitMix64, as the xoshiro authors recommend (SplitMix64: G. L. Steele,
 * D. Lea, C. H. Flood, "Fast Splittable Pseudorandom Number Generators", OOPSLA
 * 2014; FNV-1a: G. Fowler, L. C. Noll, K.-P. Vo). Seeding uses BigInt, which is
 * slow but runs once per stream; drawing never does.
 */

/** A seed: an integer, or a string (hashed; a string of decimal digits means that number). */
export type Seed = number | string;

const MASK64 = (1n << 64n) - 1n;
/** 2^64 / golden ratio, SplitMix64's increment. */
const GOLDEN_GAMMA = 0x9e3779b97f4a7c15n;
const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const TWO_POW_32 = 4_294_967_296;
const TWO_POW_53 = 9_007_199_254_740_992;

const utf8 = new TextEncoder();

/** FNV-1a, 64 bits, of `bytes`. */
export function fnv1a64(bytes: Uint8Array): bigint {
  let h = FNV64_OFFSET;
  for (const b of bytes) h = ((h ^ BigInt(b)) * FNV64_PRIME) & MASK64;
  return h;
}

/** SplitMix64's output function: a bijection of 64-bit values that mixes every bit into every bit. */
export function mix64(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/** SplitMix64: a 64-bit counter, mixed. Seeds xoshiro's state from a 64-bit key. */
export class SplitMix64 {
  #x: bigint;

  constructor(seed: bigint) {
    this.#x = seed & MASK64;
  }

  next(): bigint {
    this.#x = (this.#x + GOLDEN_GAMMA) & MASK64;
    return mix64(this.#x);
  }
}

/** The 64-bit key of a seed. */
export function seedKey(seed: Seed): bigint {
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(
        `random seed ${seed} must be an integer within ±(2^53 - 1), or a string`,
      );
    }
    return BigInt.asUintN(64, BigInt(seed));
  }
  if (typeof seed === 'string') {
    // "42" from a command line or a lab file is the same seed as 42 from code.
    if (/^-?(0|[1-9][0-9]*)$/.test(seed)) {
      const n = Number(seed);
      if (Number.isSafeInteger(n)) return BigInt.asUintN(64, BigInt(n));
    }
    return fnv1a64(utf8.encode(seed));
  }
  throw new RangeError(`random seed must be a number or a string, got ${typeof seed}`);
}

/** The key of the stream called `name` below the generator whose key is `parent`. */
export function streamKey(parent: bigint, name: string): bigint {
  return mix64(parent ^ fnv1a64(utf8.encode(name)));
}

/** A seeded generator; see the module comment. */
export class Random {
  #path = '';
  #key: bigint;
  #s0 = 0;
  #s1 = 0;
  #s2 = 0;
  #s3 = 0;
  readonly #streams = new Map<string, Random>();

  constructor(seed: Seed) {
    this.#key = seedKey(seed);
    this.#seedState();
  }

  /** Where it comes from: `''` for a root, `link/lan/a` for a stream of a stream. */
  get path(): string {
    return this.#path;
  }

  /**
   * A generator in the exact xoshiro128** state `[s0, s1, s2, s3]` (uint32s, not
   * all zero): for checking against the reference implementation. Its streams are
   * keyed by the state.
   */
  static fromState(state: readonly [number, number, number, number]): Random {
    for (const w of state) {
      if (!Number.isInteger(w) || w < 0 || w >= TWO_POW_32) {
        throw new RangeError(`xoshiro128** state word ${w} is not a uint32`);
      }
    }
    if (state.every((w) => w === 0)) {
      throw new RangeError(
        'xoshiro128** state must not be all zero (the generator would stay at 0)',
      );
    }
    const r = new Random(0);
    const [a, b, c, d] = state;
    r.#s0 = a | 0;
    r.#s1 = b | 0;
    r.#s2 = c | 0;
    r.#s3 = d | 0;
    const low = (BigInt(b) << 32n) | BigInt(a);
    const high = (BigInt(d) << 32n) | BigInt(c);
    r.#key = mix64(low ^ mix64(high));
    return r;
  }

  /**
   * The stream called `name` (any non-empty string; by convention a path like
   * `host/client/isn`). The same name always gives the same generator object, so
   * a consumer can ask for it again rather than keep it; two consumers that share
   * a name share its numbers.
   */
  stream(name: string): Random {
    if (typeof name !== 'string' || name === '') {
      throw new RangeError('random stream name must be a non-empty string');
    }
    let child = this.#streams.get(name);
    if (child === undefined) {
      child = new Random(0);
      child.#path = this.#path === '' ? name : `${this.#path}/${name}`;
      child.#key = streamKey(this.#key, name);
      child.#seedState();
      this.#streams.set(name, child);
    }
    return child;
  }

  #seedState(): void {
    // Two SplitMix64 outputs make the 128-bit state, low word first. SplitMix64
    // is a bijection of a counter, so two consecutive outputs are never both
    // zero, and the all-zero state (xoshiro's one fixed point) cannot occur.
    const sm = new SplitMix64(this.#key);
    const a = sm.next();
    const b = sm.next();
    this.#s0 = Number(a & 0xffffffffn) | 0;
    this.#s1 = Number(a >> 32n) | 0;
    this.#s2 = Number(b & 0xffffffffn) | 0;
    this.#s3 = Number(b >> 32n) | 0;
  }

  /** The next 32 random bits, as an integer in [0, 2^32). */
  uint32(): number {
    // xoshiro128** 1.1: result = rotl(s1 * 5, 7) * 9, then the linear engine steps.
    const s1 = this.#s1;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    let s2 = this.#s2 ^ this.#s0;
    let s3 = this.#s3 ^ s1;
    this.#s1 = s1 ^ s2;
    this.#s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    this.#s2 = s2;
    this.#s3 = s3;
    return result;
  }

  /** A float in [0, 1) with 53 random bits (two draws). */
  float(): number {
    const hi = this.uint32() >>> 11;
    const lo = this.uint32();
    return (hi * TWO_POW_32 + lo) / TWO_POW_53;
  }

  /** An integer in [lo, hi], both ends included, every value equally likely. */
  int(lo: number, hi: number): number {
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi)) {
      throw new RangeError(`int(${lo}, ${hi}): bounds must be safe integers`);
    }
    if (lo > hi) throw new RangeError(`int(${lo}, ${hi}): lo must not exceed hi`);
    const span = hi - lo;
    if (span >= TWO_POW_53) throw new RangeError(`int(${lo}, ${hi}): more than 2^53 values`);
    const n = span + 1;
    // Rejection sampling: draws in the last, incomplete copy of [0, n) are
    // redrawn, so `x % n` is exactly uniform.
    if (n <= TWO_POW_32) {
      const limit = TWO_POW_32 - (TWO_POW_32 % n);
      for (;;) {
        const x = this.uint32();
        if (x < limit) return lo + (x % n);
      }
    }
    const limit = TWO_POW_53 - (TWO_POW_53 % n);
    for (;;) {
      const x = (this.uint32() >>> 11) * TWO_POW_32 + this.uint32();
      if (x < limit) return lo + (x % n);
    }
  }

  /**
   * True with probability `p` in [0, 1]. Always one draw, whatever `p` is, so what
   * the stream draws afterwards does not depend on `p`. The probability is exact
   * to 2^-32.
   */
  chance(p: number): boolean {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`chance(${p}): a probability is in [0, 1]`);
    return this.uint32() < p * TWO_POW_32;
  }

  /** One element of a non-empty array, each equally likely. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick: the array is empty');
    return items[this.int(0, items.length - 1)]!;
  }

  /** Shuffles `items` in place (Fisher-Yates; every order equally likely) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }

  /** `n` random bytes (secrets, payloads). */
  bytes(n: number): Uint8Array {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(`bytes(${n}): a length is a non-negative integer`);
    }
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      let x = this.uint32();
      for (let k = i; k < n && k < i + 4; k++) {
        out[k] = x & 0xff;
        x >>>= 8;
      }
    }
    return out;
  }
}
