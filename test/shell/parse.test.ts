import { describe, expect, it } from 'vitest';
import {
  commandText,
  type List,
  listText,
  parse,
  type SimpleCommand,
} from '../../src/shell/parse.js';

function list(src: string): List {
  const r = parse(src);
  if (!r.ok) throw new Error(`parse failed: ${r.message}`);
  return r.list;
}

function simple(src: string): SimpleCommand {
  const c = list(src).items[0]?.andOr.first.commands[0];
  if (c?.kind !== 'simple') throw new Error('not a simple command');
  return c;
}

describe('words and quoting', () => {
  it('keeps the quoting of each part for expansion', () => {
    const c = simple(`echo 'a b' "c $X" \\$y`);
    expect(c.words.map((w) => w.text)).toEqual(['echo', "'a b'", '"c $X"', '\\$y']);
    expect(c.words[1]?.parts).toEqual([{ kind: 'lit', text: 'a b', quoted: true }]);
    expect(c.words[2]?.parts).toEqual([
      { kind: 'lit', text: 'c ', quoted: true },
      { kind: 'var', name: 'X', quoted: true },
    ]);
    expect(c.words[3]?.parts).toEqual([
      { kind: 'lit', text: '$', quoted: true },
      { kind: 'lit', text: 'y', quoted: false },
    ]);
  });

  it('parses $' + '{…}, $?, $$, $!, $(…), backquotes and a leading ~', () => {
    const c = simple(
      ['echo', '$' + '{A:-x}', '$?', '$$', '$!', '$(date)', '`id`', '~/f'].join(' '),
    );
    const kinds = c.words.slice(1).map((w) => w.parts.map((p) => p.kind).join('+'));
    expect(kinds).toEqual(['var', 'var', 'var', 'var', 'cmdsub', 'cmdsub', 'tilde+lit']);
    expect(c.words[1]?.parts[0]).toEqual({
      kind: 'var',
      name: 'A',
      quoted: false,
      op: { op: ':-', word: 'x' },
    });
  });

  it('takes NAME=value before the command as assignments, not after', () => {
    const c = simple('A=1 B="x y" cmd C=2');
    expect(c.assigns.map((a) => a.name)).toEqual(['A', 'B']);
    expect(c.words.map((w) => w.text)).toEqual(['cmd', 'C=2']);
  });

  it('a # starts a comment only at the start of a word', () => {
    expect(simple('echo a#b # c').words.map((w) => w.text)).toEqual(['echo', 'a#b']);
  });
});

describe('lists, pipelines, redirections', () => {
  it('splits ; && || | and & with bash precedence', () => {
    const l = list('a | b && c || d & e; f');
    expect(l.items.map((i) => i.background)).toEqual([true, false, false]);
    const first = l.items[0]?.andOr;
    expect(first?.first.commands.length).toBe(2);
    expect(first?.rest.map((r) => r.op)).toEqual(['&&', '||']);
  });

  it('reads redirections with file descriptors anywhere in the command', () => {
    const c = simple('cmd >out 2>&1 <in arg 2>>log &>all');
    expect(c.words.map((w) => w.text)).toEqual(['cmd', 'arg']);
    expect(c.redirs.map((r) => `${r.fd}${r.op}${r.target.text}`)).toEqual([
      '1>out',
      '2>&1',
      '0<in',
      '2>>log',
      '1&>all',
    ]);
  });

  it('parses subshells and groups with their redirections', () => {
    const l = list('(sleep 1; echo hi) | telnet x 80; { a; b; } > f');
    const sub = l.items[0]?.andOr.first.commands[0];
    expect(sub?.kind).toBe('subshell');
    const group = l.items[1]?.andOr.first.commands[0];
    expect(group?.kind).toBe('group');
    expect(group?.redirs[0]?.target.text).toBe('f');
  });

  it('prints commands as bash lists them in jobs', () => {
    const l = list('tcpdump   -i any  -n > out.txt 2>&1 &');
    const cmd = l.items[0]?.andOr.first.commands[0];
    expect(cmd === undefined ? '' : commandText(cmd)).toBe('tcpdump -i any -n > out.txt 2>&1');
    expect(listText(list('(a;b) && c'))).toBe('( a; b ) && c');
  });
});

describe('syntax errors and unfinished input', () => {
  const errors: [string, string][] = [
    ['| x', '|'],
    ['echo hi ;; echo', ';;'],
    ['echo >', 'newline'],
    ['( )', ')'],
    ['; ls', ';'],
    ['&& ls', '&&'],
    ['echo a > > b', '>'],
  ];
  for (const [src, token] of errors) {
    it(`${src} → near unexpected token \`${token}'`, () => {
      expect(parse(src)).toEqual({
        ok: false,
        incomplete: false,
        message: `syntax error near unexpected token \`${token}'`,
      });
    });
  }

  for (const src of [
    "echo 'abc",
    'echo "x',
    'echo hi |',
    'a &&',
    'a ||',
    '(echo',
    '{ echo a;',
    'echo \\',
  ]) {
    it(`${JSON.stringify(src)} needs more input (PS2)`, () => {
      const r = parse(src);
      expect(r.ok).toBe(false);
      expect(r.ok === false && r.incomplete).toBe(true);
    });
  }

  it('an empty line or a comment is an empty list', () => {
    expect(list('').items).toEqual([]);
    expect(list('   # nothing').items).toEqual([]);
  });
});

describe('time, functions, case, here-documents', () => {
  it('time [-p] marks the pipeline; alone it has no commands', () => {
    expect(list('time a | b').items[0]?.andOr.first).toMatchObject({
      timed: 'default',
      bang: false,
    });
    expect(list('time -p ! a').items[0]?.andOr.first).toMatchObject({ timed: 'posix', bang: true });
    expect(list('time; x').items[0]?.andOr.first.commands).toEqual([]);
    expect(listText(list('time -p a | b && time'))).toBe('time -p a | b && time');
  });

  it('NAME () and function NAME define a function whose body is a compound command', () => {
    for (const src of ['f() { a; }', 'function f { a; }', 'function f() { a; }', 'f ()\n{ a; }']) {
      const c = list(src).items[0]?.andOr.first.commands[0];
      expect(c).toMatchObject({ kind: 'function', name: 'f', body: { kind: 'group' } });
    }
    expect(parse('f() echo x')).toMatchObject({
      ok: false,
      message: "syntax error near unexpected token `echo'",
    });
    expect(parse('f() {')).toMatchObject({ ok: false, incomplete: true });
  });

  it('case: patterns, alternatives, terminators, an optional (', () => {
    const c = list('case $x in (a|b*) x;; c) ;& *) y;;& esac').items[0]?.andOr.first.commands[0];
    if (c?.kind !== 'case') throw new Error('not a case');
    expect(c.word.text).toBe('$x');
    expect(c.items.map((i) => [i.patterns.map((p) => p.text), i.end, i.body.items.length])).toEqual(
      [
        [['a', 'b*'], ';;', 1],
        [['c'], ';&', 0],
        [['*'], ';;&', 1],
      ],
    );
    expect(parse('case x in\na) b\n;;\nesac').ok).toBe(true);
    expect(parse('case x in a) b;;')).toMatchObject({ ok: false, incomplete: true });
    expect(parse('case x in a b) ;; esac')).toMatchObject({
      ok: false,
      message: "syntax error near unexpected token `b'",
    });
    expect(parse('esac')).toMatchObject({
      ok: false,
      message: "syntax error near unexpected token `esac'",
    });
  });

  it('a here-document body comes from the lines after the command', () => {
    const r = list('cat <<E; echo x\na $Y\nE\necho after');
    const cat = r.items[0]?.andOr.first.commands[0] as SimpleCommand;
    expect(cat.redirs[0]).toMatchObject({ fd: 0, op: '<<', delimiter: 'E' });
    expect(cat.redirs[0]?.target.parts).toEqual([
      { kind: 'lit', text: 'a ', quoted: true },
      { kind: 'var', name: 'Y', quoted: true },
      { kind: 'lit', text: '\n', quoted: true },
    ]);
    expect(r.items.length).toBe(3);
    const q = list("cat <<'E'\n$Y\nE").items[0]?.andOr.first.commands[0] as SimpleCommand;
    expect(q.redirs[0]?.target.parts).toEqual([{ kind: 'lit', text: '$Y\n', quoted: true }]);
    const t = list('cat <<-E\n\tx\n\tE').items[0]?.andOr.first.commands[0] as SimpleCommand;
    expect(t.redirs[0]?.target.parts).toEqual([{ kind: 'lit', text: 'x\n', quoted: true }]);
    expect(parse('cat <<E\nno end')).toMatchObject({ ok: false, incomplete: true });
    expect(commandText(cat)).toBe('cat <<E');
  });
});
