import { describe, expect, test } from 'vitest';
import { getoptLong, type OptSpec } from '../../src/tools/getopt.js';

const SPEC: OptSpec = {
  short: 'c:nr:vS#',
  long: [
    { name: 'nano', hasArg: false, key: 'nano' },
    { name: 'no-optimize', hasArg: false, key: 'O' },
    { name: 'number', hasArg: false, key: '#' },
    { name: 'time-stamp-precision', hasArg: true, key: 'tsp' },
  ],
};

function parse(...argv: string[]) {
  return getoptLong(argv, SPEC);
}

describe('getoptLong, as glibc parses tcpdump command lines', () => {
  test('bundled flags and an attached argument', () => {
    const r = parse('-nnSc5', 'port', '80');
    expect(r).toEqual({
      ok: true,
      args: {
        options: [{ key: 'n' }, { key: 'n' }, { key: 'S' }, { key: 'c', value: '5' }],
        operands: ['port', '80'],
      },
    });
  });

  test('a separate argument, and options after operands (permutation)', () => {
    const r = parse('host', '-r', 'f.pcap', 'x', '-v');
    expect(r.ok && r.args.options).toEqual([{ key: 'r', value: 'f.pcap' }, { key: 'v' }]);
    expect(r.ok && r.args.operands).toEqual(['host', 'x']);
  });

  test('-- ends the options; a lone - is an operand', () => {
    const r = parse('-n', '--', '-v', '-');
    expect(r.ok && r.args.operands).toEqual(['-v', '-']);
  });

  test('long options: exact, =value, separate value, unique prefix', () => {
    const r = parse(
      '--nano',
      '--time-stamp-precision=nano',
      '--time-stamp-precision',
      'micro',
      '--nu',
    );
    expect(r.ok && r.args.options).toEqual([
      { key: 'nano' },
      { key: 'tsp', value: 'nano' },
      { key: 'tsp', value: 'micro' },
      { key: '#' },
    ]);
  });

  test.each([
    [['-g'], "invalid option -- 'g'"],
    [['-c'], "option requires an argument -- 'c'"],
    [['--foo'], "unrecognized option '--foo'"],
    [['--n'], "option '--n' is ambiguous; possibilities: '--nano' '--no-optimize' '--number'"],
    [['--nano=1'], "option '--nano' doesn't allow an argument"],
    [['--time-stamp-precision'], "option '--time-stamp-precision' requires an argument"],
  ])('%j is refused with glibc text', (argv, message) => {
    expect(getoptLong(argv, SPEC)).toEqual({ ok: false, error: { message } });
  });
});
