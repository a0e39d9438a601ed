import { describe, expect, test } from 'vitest';
import {
  formatDuration,
  formatTime,
  MAX_TIME,
  ms,
  NS_PER_S,
  ns,
  s,
  us,
} from '../../src/sim/time.js';

describe('virtual time is integer nanoseconds', () => {
  test('unit helpers convert exactly', () => {
    expect(ns(7)).toBe(7);
    expect(us(3)).toBe(3_000);
    expect(ms(40)).toBe(40_000_000);
    expect(s(127)).toBe(127_000_000_000);
  });

  test('fractions round to the nanosecond the caller meant, not a binary neighbour', () => {
    // 0.1 * 1e6 is 100000.00000000001 in doubles.
    expect(ms(0.1)).toBe(100_000);
    expect(s(0.3)).toBe(300_000_000);
    expect(us(1.5)).toBe(1_500);
    expect(Number.isInteger(ms(1 / 3))).toBe(true);
    expect(ms(1 / 3)).toBe(333_333);
  });

  test('negative durations are allowed for arithmetic, and zero is never -0', () => {
    expect(ms(-5)).toBe(-5_000_000);
    expect(Object.is(us(-0.0001), 0)).toBe(true);
  });

  test('2^53 - 1 ns (about 104 days) is the last exact instant', () => {
    expect(MAX_TIME).toBe(2 ** 53 - 1);
    expect(MAX_TIME / NS_PER_S / 86_400).toBeCloseTo(104.25, 1);
    expect(s(86_400 * 104)).toBe(86_400 * 104 * NS_PER_S);
  });

  test('bad input throws RangeError saying which value', () => {
    expect(() => ms(Number.NaN)).toThrow(new RangeError('ms(NaN): not a finite number'));
    expect(() => s(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => ns(1.5)).toThrow(/ns\(1\.5\): not an integer/);
    expect(() => s(1e8)).toThrow(/s\(100000000\): beyond the exact range/);
  });
});

describe('formatting', () => {
  test('formatTime prints seconds with all nine decimals', () => {
    expect(formatTime(0)).toBe('0.000000000s');
    expect(formatTime(1_500_000_000)).toBe('1.500000000s');
    expect(formatTime(s(127) + 1)).toBe('127.000000001s');
    expect(formatTime(MAX_TIME)).toBe('9007199.254740991s');
  });

  test('formatDuration picks the largest unit and no more decimals than needed', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(250)).toBe('250ns');
    expect(formatDuration(us(12))).toBe('12us');
    expect(formatDuration(ms(1.5))).toBe('1.5ms');
    expect(formatDuration(ms(40))).toBe('40ms');
    expect(formatDuration(s(127))).toBe('127s');
    expect(formatDuration(s(1) + 1)).toBe('1.000000001s');
    expect(formatDuration(us(1) + 5)).toBe('1.005us');
    expect(formatDuration(-ms(2))).toBe('-2ms');
  });
});
