/**
 * `test` and `[` as bash 5.2.15 evaluates them (test.c): up to four arguments
 * by their number (posixtest: one is a non-empty string, two a unary test or
 * `!`, three a binary test, `-a`/`-o` of two strings, `!` and two, or a
 * parenthesised string; four `!` and three, or two in parentheses), more by
 * the grammar
 *
 *   expr ::= and ['-o' expr]        and  ::= term ['-a' and]
 *   term ::= '!' term | '(' expr ')' | ARG BINOP ARG | UNOP ARG | ARG
 *
 * in which a binary test is tried first when the next argument is a binary
 * operator, and a unary operator with nothing after it is a string. Whatever
 * is left over is "too many arguments". Messages and the status 2 of a syntax
 * error are test.c's.
 *
 * The file tests read the host's files (files.ts); the machine is a root
 * shell's, so a file that exists is readable and writable, and executable
 * when it is a directory or a program.
 */

/** What the file, terminal and variable tests ask of the shell. */
export interface TestEnv {
  /** The kind of file at `path`, or undefined when there is none. */
  kind(path: string): 'file' | 'directory' | 'device' | undefined;
  /** Its size in bytes (0 when there is none). */
  size(path: string): number;
  /** A program on the PATH (`/usr/bin/cat`): there, and executable. */
  isProgram(path: string): boolean;
  /** `-t FD`. */
  isTerminal(fd: number): boolean;
  /** `-v NAME`: the variable is set. */
  isSet(name: string): boolean;
}

/** The status (0 true, 1 false) or a syntax error's message (status 2). */
export type TestResult = { readonly status: 0 | 1 } | { readonly error: string };

const UNARY = new Set('abcdefghknoprstuvwxzGLOSNR');
const INT_MIN = -(2n ** 63n);
const INT_MAX = 2n ** 63n - 1n;

class TestSyntaxError {
  constructor(readonly message: string) {}
}

/** test.c test_binop. */
function isBinop(op: string | undefined): boolean {
  if (op === undefined) return false;
  if (op === '=' || op === '==' || op === '!=' || op === '<' || op === '>') return true;
  return ['-nt', '-ot', '-ef', '-eq', '-ne', '-lt', '-le', '-gt', '-ge'].includes(op);
}

/** test.c test_unop (also `[[ ]]`'s unary operators). */
export function isUnop(op: string): boolean {
  return op.length === 2 && op[0] === '-' && UNARY.has(op[1] as string);
}

/** `-eq`, `-ne`, `-lt`, `-le`, `-gt`, `-ge` of two integers (test and `[[ ]]`). */
export function integerTest(op: string, x: bigint, y: bigint): boolean {
  switch (op) {
    case '-eq':
      return x === y;
    case '-ne':
      return x !== y;
    case '-lt':
      return x < y;
    case '-le':
      return x <= y;
    case '-gt':
      return x > y;
    default:
      return x >= y;
  }
}

/** strcmp's order of two strings (their UTF-8 bytes), as `<` and `>` compare them. */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** general.c legal_number: an intmax_t in decimal, white space around it allowed. */
function legalNumber(s: string): bigint | undefined {
  if (!/^[ \t\n]*[-+]?[0-9]+[ \t\n]*$/.test(s)) return undefined;
  const v = BigInt(s.trim());
  return v < INT_MIN || v > INT_MAX ? undefined : v;
}

/**
 * Evaluates `args` (without the command name, nor `[`'s closing `]`).
 * `bracket`: run as `[`, whose `]` test.c still sees past the end (`[ ( a`
 * is "`)' expected, found ]").
 */
export function testCommand(args: readonly string[], env: TestEnv, bracket = false): TestResult {
  const argc = args.length;
  let pos = 0;
  const fail = (message: string): never => {
    throw new TestSyntaxError(message);
  };
  const arg = (i: number): string => args[i] ?? '';
  /** test.c advance(): past the end is "argument expected" when `check`. */
  const advance = (check: boolean): void => {
    pos++;
    if (check && pos >= argc) fail('argument expected');
  };
  const exists = (p: string): boolean => env.kind(p) !== undefined || env.isProgram(p);

  const unaryTest = (op: string, a: string): boolean => {
    switch (op[1]) {
      case 'a':
      case 'e':
      case 'r':
      case 'w':
      case 'O':
      case 'G':
      case 'N':
        return exists(a);
      case 'x':
        return env.kind(a) === 'directory' || env.isProgram(a);
      case 'f':
        return env.kind(a) === 'file' || (env.kind(a) === undefined && env.isProgram(a));
      case 'd':
        return env.kind(a) === 'directory';
      case 'c':
        return env.kind(a) === 'device';
      case 's':
        return env.size(a) > 0 || (env.kind(a) === undefined && env.isProgram(a));
      case 'k':
        // The sticky bit: /tmp's on a Debian root file system.
        return a.replace(/\/+$/, '') === '/tmp';
      case 't': {
        const n = legalNumber(a);
        return n !== undefined && n >= 0n && n <= 2147483647n && env.isTerminal(Number(n));
      }
      case 'n':
        return a !== '';
      case 'z':
        return a === '';
      case 'v':
        return env.isSet(a);
      // b p S L h u g: no block devices, fifos, sockets, links or set-id files here;
      // o R: no `set -o` options, no namerefs.
      default:
        return false;
    }
  };

  const arithcomp = (a: string, b: string, op: string): boolean => {
    const l = legalNumber(a);
    if (l === undefined) fail(`${a}: integer expression expected`);
    const r = legalNumber(b);
    if (r === undefined) fail(`${b}: integer expression expected`);
    return integerTest(op, l as bigint, r as bigint);
  };

  /** test.c binary_test (no modification times here: two files that exist are as old). */
  const binaryTest = (op: string, a: string, b: string): boolean => {
    switch (op) {
      case '=':
      case '==':
        return a === b;
      case '!=':
        return a !== b;
      // strcmp, not the locale's order ([[ ]] uses that, test does not).
      case '<':
        return byteOrder(a, b) < 0;
      case '>':
        return byteOrder(a, b) > 0;
      case '-nt':
        return exists(a) && !exists(b);
      case '-ot':
        return !exists(a) && exists(b);
      case '-ef':
        return exists(a) && exists(b) && a.replace(/\/+/g, '/') === b.replace(/\/+/g, '/');
      default:
        return arithcomp(a, b, op);
    }
  };

  const binaryOperator = (): boolean => {
    const op = arg(pos + 1);
    if (!isBinop(op)) fail(`${op}: binary operator expected`);
    const v = binaryTest(op, arg(pos), arg(pos + 2));
    pos += 3;
    return v;
  };

  const unaryOperator = (): boolean => {
    const op = arg(pos);
    // `-t` alone is `-t 1`; `-t` then something that is no number is false.
    if (op === '-t') {
      advance(false);
      if (pos >= argc) return unaryTest(op, '1');
      if (legalNumber(arg(pos)) === undefined) return false;
      advance(false);
      return unaryTest(op, arg(pos - 1));
    }
    advance(true);
    pos++;
    return unaryTest(op, arg(pos - 1));
  };

  const term = (): boolean => {
    if (pos >= argc) fail('argument expected');
    if (arg(pos) === '!') {
      let negate = false;
      while (pos < argc && arg(pos) === '!') {
        advance(true);
        negate = !negate;
      }
      return negate ? !term() : term();
    }
    if (arg(pos) === '(') {
      advance(true);
      const v = expr();
      const next = pos < argc ? arg(pos) : bracket ? ']' : undefined;
      if (next === undefined) fail("`)' expected");
      if (next !== ')') fail(`\`)' expected, found ${next}`);
      advance(false);
      return v;
    }
    if (pos + 3 <= argc && isBinop(args[pos + 1])) return binaryOperator();
    // A unary operator with an argument after it; otherwise (`-q`, or `-n` last) a string.
    if (pos + 2 <= argc && isUnop(arg(pos))) return unaryOperator();
    const a = arg(pos);
    advance(false);
    return a !== '';
  };
  const and = (): boolean => {
    const v = term();
    if (pos < argc && arg(pos) === '-a') {
      advance(false);
      const w = and();
      return v && w;
    }
    return v;
  };
  const or = (): boolean => {
    const v = and();
    if (pos < argc && arg(pos) === '-o') {
      advance(false);
      const w = or();
      return v || w;
    }
    return v;
  };
  const expr = (): boolean => {
    if (pos >= argc) fail('argument expected');
    return or();
  };

  const twoArguments = (): boolean => {
    const a = arg(pos);
    if (a === '!') return arg(pos + 1) === '';
    if (a.length === 2 && a[0] === '-' && isUnop(a)) return unaryOperator();
    return fail(`${a}: unary operator expected`);
  };
  const threeArguments = (): boolean => {
    let v: boolean;
    const op = arg(pos + 1);
    if (isBinop(op)) v = binaryOperator();
    else if (op === '-a') v = arg(pos) !== '' && arg(pos + 2) !== '';
    else if (op === '-o') v = arg(pos) !== '' || arg(pos + 2) !== '';
    else if (arg(pos) === '!') {
      advance(true);
      v = !twoArguments();
    } else if (arg(pos) === '(' && arg(pos + 2) === ')') v = arg(pos + 1) !== '';
    else fail(`${op}: binary operator expected`);
    pos = argc;
    return v!;
  };
  const posixtest = (): boolean => {
    switch (argc) {
      case 0:
        return false;
      case 1:
        pos = argc;
        return arg(0) !== '';
      case 2: {
        const v = twoArguments();
        pos = argc;
        return v;
      }
      case 3:
        return threeArguments();
      case 4:
        if (arg(0) === '!') {
          advance(true);
          return !threeArguments();
        }
        if (arg(0) === '(' && arg(3) === ')') {
          advance(true);
          const v = twoArguments();
          pos = argc;
          return v;
        }
        return expr();
      default:
        return expr();
    }
  };

  try {
    const v = posixtest();
    // What is left over: an option-like word is named, anything else counted.
    if (pos !== argc)
      fail(
        arg(pos).startsWith('-') ? `syntax error: \`${arg(pos)}' unexpected` : 'too many arguments',
      );
    return { status: v ? 0 : 1 };
  } catch (e) {
    if (e instanceof TestSyntaxError) return { error: e.message };
    throw e;
  }
}
