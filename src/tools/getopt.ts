/**
 * Command-line parsing as glibc's getopt_long does it, because the real tools
 * (tcpdump, nc, ss …) use it and users paste their command lines as they are:
 * bundled short options (`-nnS`), attached or separate arguments (`-c5`, `-c 5`),
 * long options with `=` or a separate argument, unambiguous prefixes of long
 * options (`--nan` for `--nano`), argument permutation (options may follow
 * operands, as in `tcpdump host x -n`) and `--` to end the options.
 * The error texts are glibc's, which the tools print after their own name.
 */

export interface LongOption {
  readonly name: string;
  readonly hasArg: boolean;
  /** The key reported in `Parsed.options`; a short letter or the long name. */
  readonly key: string;
}

export interface OptSpec {
  /** getopt's optstring: letters, a `:` after those that take an argument. */
  readonly short: string;
  readonly long: readonly LongOption[];
}

export interface ParsedArgs {
  /** Options in command-line order: `{ key: 'n' }`, `{ key: 'c', value: '5' }`. */
  readonly options: readonly { readonly key: string; readonly value?: string }[];
  /** Operands, in order, with the options taken out. */
  readonly operands: readonly string[];
}

/** A usage error, with glibc's text (without the program name). */
export interface GetoptError {
  readonly message: string;
}

export function getoptLong(
  argv: readonly string[],
  spec: OptSpec,
): { ok: true; args: ParsedArgs } | { ok: false; error: GetoptError } {
  const options: { key: string; value?: string }[] = [];
  const operands: string[] = [];
  const takesArg = shortArgTable(spec.short);
  let i = 0;
  while (i < argv.length) {
    const word = argv[i]!;
    i++;
    if (word === '--') {
      operands.push(...argv.slice(i));
      break;
    }
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = word.slice(2, eq < 0 ? undefined : eq);
      const found = findLong(spec.long, name);
      if ('error' in found) return { ok: false, error: { message: found.error(word) } };
      const opt = found.option;
      if (opt.hasArg) {
        if (eq >= 0) options.push({ key: opt.key, value: word.slice(eq + 1) });
        else if (i < argv.length) options.push({ key: opt.key, value: argv[i++]! });
        else return fail(`option '--${opt.name}' requires an argument`);
      } else {
        if (eq >= 0) return fail(`option '--${opt.name}' doesn't allow an argument`);
        options.push({ key: opt.key });
      }
      continue;
    }
    if (word.length < 2 || word[0] !== '-') {
      operands.push(word);
      continue;
    }
    for (let j = 1; j < word.length; j++) {
      const letter = word[j]!;
      const arg = takesArg.get(letter);
      if (arg === undefined) return fail(`invalid option -- '${letter}'`);
      if (!arg) {
        options.push({ key: letter });
        continue;
      }
      if (j + 1 < word.length) options.push({ key: letter, value: word.slice(j + 1) });
      else if (i < argv.length) options.push({ key: letter, value: argv[i++]! });
      else return fail(`option requires an argument -- '${letter}'`);
      break;
    }
  }
  return { ok: true, args: { options, operands } };
}

function fail(message: string): { ok: false; error: GetoptError } {
  return { ok: false, error: { message } };
}

/** letter → whether it takes an argument; absent letters are invalid. */
function shortArgTable(optstring: string): Map<string, boolean> {
  const table = new Map<string, boolean>();
  for (let i = 0; i < optstring.length; i++) {
    const c = optstring[i]!;
    if (c === ':') continue;
    table.set(c, optstring[i + 1] === ':');
  }
  return table;
}

/** An exact match wins; otherwise a unique prefix (glibc's rule). */
function findLong(
  long: readonly LongOption[],
  name: string,
): { option: LongOption } | { error: (word: string) => string } {
  const exact = long.find((o) => o.name === name);
  if (exact) return { option: exact };
  const candidates = long.filter((o) => o.name.startsWith(name));
  if (candidates.length === 1) return { option: candidates[0]! };
  if (candidates.length === 0) return { error: (word) => `unrecognized option '${word}'` };
  const names = candidates.map((o) => `'--${o.name}'`).join(' ');
  return { error: (word) => `option '${word}' is ambiguous; possibilities: ${names}` };
}
