/**
 * `time`, shell functions, `case`, here-documents and child shells (`bash -c`,
 * `bash SCRIPT`) on a virtual host. What the real bash 5.2.15 showed for the
 * same lines is in fixtures/functions.out and fixtures/heredoc.out (compared
 * in transcripts.test.ts); these pin down what needs virtual time or a file
 * the fixtures cannot use (a tab typed at readline completes instead).
 */

import { describe, expect, it } from 'vitest';
import { formatTimes, TIMEFORMAT_DEFAULT } from '../../src/shell/shell.js';
import { NS_PER_S } from '../../src/sim/time.js';
import { session } from './helpers.js';

describe('time', () => {
  it('reports the virtual wall time of the pipeline with the default TIMEFORMAT', async () => {
    const s = await session();
    expect(await s.type('time sleep 1.5')).toBe(
      '\nreal\t0m1.500s\nuser\t0m0.000s\nsys\t0m0.000s\n',
    );
    expect(await s.type('time sleep 1 | cat; echo $?')).toBe(
      '\nreal\t0m1.000s\nuser\t0m0.000s\nsys\t0m0.000s\n0\n',
    );
  });

  it('-p prints the POSIX format; alone, it times nothing', async () => {
    const s = await session();
    expect(await s.type('time -p sleep 61')).toBe('real 61.00\nuser 0.00\nsys 0.00\n');
    expect(await s.type('time')).toBe('\nreal\t0m0.000s\nuser\t0m0.000s\nsys\t0m0.000s\n');
  });

  it("keeps the pipeline's status, inverts with !, and writes to the list's stderr", async () => {
    const s = await session();
    expect(await s.type('time false; echo $?')).toMatch(/sys\t0m0\.000s\n1\n$/);
    expect(await s.type('time ! false; echo $?')).toMatch(/\n0\n$/);
    // The command's own 2>/dev/null does not hide the times (as in bash); the group's does.
    expect(await s.type('time sleep 2 2>/dev/null')).toContain('real\t0m2.000s');
    expect(await s.type('{ time sleep 2; } 2>/dev/null; echo done')).toBe('done\n');
  });

  it('Ctrl-C still prints the times; a background job prints them when it ends', async () => {
    // As the real bash showed on a pty (real 0m0.506s after `^C` half a second in).
    const s = await session();
    s.term.typeLine('time sleep 10');
    await s.run(0.5);
    expect(await s.interrupt()).toBe('\n\nreal\t0m0.500s\nuser\t0m0.000s\nsys\t0m0.000s\n');
    expect(await s.type('time sleep 1 &')).toMatch(/^\[1\] \d+\n$/);
    expect(await s.run(1.5)).toBe('\nreal\t0m1.000s\nuser\t0m0.000s\nsys\t0m0.000s\n');
    expect(await s.type('echo x')).toBe('x\n[1]+  Done                    time sleep 1\n');
  });

  it('formats minutes and truncates fractions as bash mkfmt does', () => {
    expect(formatTimes(61.5 * NS_PER_S, TIMEFORMAT_DEFAULT)).toEqual({
      text: '\nreal\t1m1.500s\nuser\t0m0.000s\nsys\t0m0.000s\n',
    });
    expect(formatTimes(1_999_999, TIMEFORMAT_DEFAULT)).toEqual({
      text: '\nreal\t0m0.001s\nuser\t0m0.000s\nsys\t0m0.000s\n',
    });
  });

  it('follows TIMEFORMAT as bash 5.2.15 does', async () => {
    // What the real bash printed for `time sleep 0.01` with these formats (its times).
    expect(formatTimes(0.012 * NS_PER_S, '%R')).toEqual({ text: '0.012\n' });
    expect(formatTimes(0.014 * NS_PER_S, '%3lR|%lU|%0S|%1R')).toEqual({
      text: '0m0.014s|0m0.000s|0|0.0\n',
    });
    expect(formatTimes(0, 'a%')).toEqual({ text: 'a%\n' });
    expect(formatTimes(0, 'x %% %P %2P y')).toEqual({
      error: "TIMEFORMAT: `P': invalid format character",
    });
    expect(formatTimes(0, '%Q')).toEqual({ error: "TIMEFORMAT: `Q': invalid format character" });
    const s = await session();
    expect(await s.type("TIMEFORMAT='%lR %P'; time sleep 61")).toBe('1m1.000s 0.00\n');
    expect(await s.type("TIMEFORMAT=''; time sleep 1; time -p true")).toBe(
      'real 0.00\nuser 0.00\nsys 0.00\n',
    );
    expect(await s.type("TIMEFORMAT='%Q'; time true; echo $?")).toBe(
      "-bash: TIMEFORMAT: `Q': invalid format character\n0\n",
    );
  });
});

describe('functions', () => {
  it('take positional parameters, "$@" keeps the words, return sets $?', async () => {
    const s = await session();
    await s.type('f() { echo "$# [$1] [$2]"; for a in "$@"; do echo "<$a>"; done; return 7; }');
    expect(await s.type('f "a b" c; echo $?')).toBe('2 [a b] [c]\n<a b>\n<c>\n7\n');
    expect(await s.type('f; echo "$# [$1]"')).toBe('0 [] []\n0 []\n');
  });

  it('local variables end with the call; globals set in a function stay', async () => {
    const s = await session();
    await s.type('function g { local x=in; y=set; echo $x; }');
    expect(await s.type('x=out; g; echo $x $y')).toBe('in\nout set\n');
  });

  it('return leaves loops in the function; works in pipelines and subshells', async () => {
    const s = await session();
    await s.type(
      'first() { for i in 1 2 3; do if [ $i = 2 ]; then return $i; fi; echo $i; done; }',
    );
    expect(await s.type('first; echo $?')).toBe('1\n2\n');
    expect(await s.type('first | cat; (first); echo $?')).toBe('1\n1\n2\n');
  });

  it('return in a subshell or $(…) of a function ends only that subshell', async () => {
    // bash 5.2.15 -c printed the same.
    const s = await session();
    await s.type(
      'f() { local a=1; x=$(return 3; echo no); echo "$? [$x]"; (echo $a; return 4); echo $?; }',
    );
    expect(await s.type('f')).toBe('3 []\n1\n4\n');
  });

  it('$FUNCNAME names the running function', async () => {
    const s = await session();
    await s.type(
      'inner() { echo "$FUNCNAME"; }; outer() { echo "$FUNCNAME"; inner; echo "$FUNCNAME"; }',
    );
    expect(await s.type('outer; echo "[$FUNCNAME]"')).toBe('outer\ninner\nouter\n[]\n');
  });

  it('shift drops parameters; unset removes a function', async () => {
    const s = await session();
    await s.type('f() { shift 2; echo "$# $*"; shift 3; echo $?; }');
    expect(await s.type('f a b c d; unset f; f')).toBe('2 c d\n1\n-bash: f: command not found\n');
  });

  it('recurse, with $(( )) around a substitution', async () => {
    const s = await session();
    await s.type(
      'fact() { if [ $1 -le 1 ]; then echo 1; else echo $(( $1 * $(fact $(( $1 - 1 ))) )); fi; }',
    );
    expect(await s.type('fact 6')).toBe('720\n');
  });

  it('come before programs, and a child bash does not inherit them', async () => {
    const s = await session();
    await s.type('cat() { echo mine; }');
    expect(await s.type('echo x | cat; bash -c "echo x | cat"')).toBe('mine\nx\n');
  });

  it('return and local outside a function are errors', async () => {
    const s = await session();
    expect(await s.type('return 1; echo $?')).toBe(
      // Status 2 (return.def's EX_USAGE), as bash 5.2.15 on a pty gives it.
      "-bash: return: can only `return' from a function or sourced script\n2\n",
    );
    expect(await s.type('local y=1; echo $?')).toBe(
      '-bash: local: can only be used in a function\n1\n',
    );
  });
});

describe('case', () => {
  it('matches glob patterns, alternatives and bracket expressions', async () => {
    const s = await session();
    expect(
      await s.type(
        "for w in foo bar 'x y' 7 ''; do case $w in f??) echo f;; *\\ *) echo sp;; [0-9]) echo d;; '') echo e;; *) echo o;; esac; done",
      ),
    ).toBe('f\no\nsp\nd\ne\n');
    expect(await s.type('case z in [!a-y]) echo not;; esac')).toBe('not\n');
  });

  it(';& falls through, ;;& tests on; no match is status 0', async () => {
    const s = await session();
    expect(await s.type('case b in a) echo a;& b) echo b;& c) echo c;; d) echo d;; esac')).toBe(
      'b\nc\n',
    );
    expect(await s.type('case ab in a*) echo 1;;& *b) echo 2;; *) echo 3;; esac')).toBe('1\n2\n');
    expect(await s.type('false; case x in y) echo no;; esac; echo $?')).toBe('0\n');
  });
});

describe('here-documents', () => {
  it('expand unless the delimiter is quoted; <<- strips tabs', async () => {
    const s = await session();
    s.system
      .fs(s.host)
      .writeFile(
        '/root/h.sh',
        'X=v\ncat <<E\n$X $(echo s) \\$X\nE\ncat <<"Q"\n$X\nQ\ncat <<-T\n\tt1\n\t\tt2\n\tT\n',
      );
    expect(await s.type('bash h.sh')).toBe('v s $X\n$X\nt1\nt2\n');
  });

  it('asks for more lines until the delimiter', async () => {
    const s = await session();
    expect(await s.type('cat <<END')).toBe('');
    expect(s.term.prompt).toBe('> ');
    await s.type('one $HOME');
    expect(await s.type('END')).toBe('one /root\n');
  });
});

describe('child shells', () => {
  it('bash -c: $0 and arguments, exit status; sh -c', async () => {
    const s = await session();
    expect(await s.type('bash -c \'echo "$0 $1 $#"; exit 4\' zero one; echo $?')).toBe(
      'zero one 1\n4\n',
    );
    expect(await s.type("sh -c 'echo $1' x y")).toBe('y\n');
    expect(await s.type('bash -c')).toBe('bash: -c: option requires an argument\n');
  });

  it('bash SCRIPT reads the host file; standard input; exported variables only', async () => {
    const s = await session();
    s.system.fs(s.host).writeFile('/root/s.sh', 'echo "$0 $1 $# [$V] [$E]"\nexit 3\n');
    expect(await s.type('V=1; export E=2; bash s.sh a b; echo $?')).toBe('s.sh a 2 [] [2]\n3\n');
    expect(await s.type('bash nope.sh; echo $?')).toBe(
      'bash: nope.sh: No such file or directory\n127\n',
    );
    expect(await s.type("echo 'echo in $#' | bash")).toBe('in 0\n');
  });

  it('has its own $$; reads the terminal; runs in a pipeline', async () => {
    const s = await session();
    const shell = Number((await s.type('echo $$')).trim());
    const child = Number((await s.type("bash -c 'echo $$'")).trim());
    expect(child).toBeGreaterThan(shell);
    expect(await s.type("bash -c 'read x; echo got $x'")).toBe('');
    expect(await s.type('typed')).toBe('got typed\n');
    expect(await s.type("echo hi | bash -c 'cat; exit 300'; echo $?")).toBe('hi\n44\n');
  });

  it('bash with no arguments runs each command of the terminal as it is typed', async () => {
    const s = await session();
    expect(await s.type('bash')).toBe('');
    expect(s.term.reading).toBe(true);
    expect(await s.type('echo one')).toBe('one\n');
    expect(await s.type('f() {')).toBe('');
    expect(await s.type('echo in f; }; f; exit 5')).toBe('in f\n');
    expect(await s.type('echo $?')).toBe('5\n');
  });

  it('is a process: Ctrl-C stops it', async () => {
    const s = await session();
    s.term.typeLine("bash -c 'sleep 100; echo never'");
    await s.run(1);
    expect(await s.interrupt()).toBe('\n');
  });
});

describe('set and expansion errors at the prompt', () => {
  it('set sets the positional parameters, lists the variables, refuses the options it lacks', async () => {
    const s = await session();
    expect(await s.type('set -- a "b c"; echo $# "$2"; set x; echo "$@"')).toBe('2 b c\nx\n');
    expect(await s.type("greeting='hi there'; set | grep '^greeting='")).toBe(
      "greeting='hi there'\n",
    );
    expect(await s.type('set -v; echo $?')).toBe(
      "-bash: set: -v: not supported by tcplab's bash\n2\n",
    );
    expect(await s.type('set -q; echo $?')).toBe(
      '-bash: set: -q: invalid option\n' +
        'set: usage: set [-abefhkmnptuvxBCEHPT] [-o option-name] [--] [-] [arg ...]\n2\n',
    );
    expect(await s.type('set -o nosuch; echo $?')).toBe(
      '-bash: set: nosuch: invalid option name\n2\n',
    );
  });

  it('an expansion error abandons the rest of the line, and the prompt comes back', async () => {
    const s = await session();
    expect(await s.type('echo a; echo ${nope:?missing}; echo b')).toBe('a\n-bash: nope: missing\n');
    expect(await s.type('echo $((2/0)); echo c')).toBe(
      '-bash: 2/0: division by 0 (error token is "0")\n',
    );
    expect(s.term.atPrompt).toBe(true);
    expect(await s.type('echo $?')).toBe('1\n');
  });
});

describe('lines read with their newline, as parse.y reads them (bash 5.2.15)', () => {
  it('`for`, `case`, `function` then the end of the line are errors at once', async () => {
    const s = await session();
    s.take();
    for (const word of ['for', 'case', 'function']) {
      expect(await s.type(word)).toBe("-bash: syntax error near unexpected token `newline'\n");
      expect(s.term.atPrompt).toBe(true);
      expect(await s.type('echo $?')).toBe('2\n');
    }
    // A script reads the same way: the error is at that line, not a later one.
    await s.type("printf 'echo one\\ncase\\necho two\\n' > /tmp/s.sh");
    expect(await s.type('bash /tmp/s.sh; echo rc=$?')).toBe(
      "one\n/tmp/s.sh: line 2: syntax error near unexpected token `newline'\n/tmp/s.sh: line 2: `case'\nrc=2\n",
    );
  });

  it('what may go on past the newline still asks for more (PS2)', async () => {
    const s = await session();
    s.take();
    expect(await s.type('for x')).toBe('');
    expect(await s.type('in 1 2; do echo $x; done')).toBe('1\n2\n');
    expect(await s.type('echo a \\')).toBe('');
    expect(await s.type(' b')).toBe('a b\n');
    expect(await s.type('echo one |')).toBe('');
    expect(await s.type('wc -c')).toBe('4\n');
  });

  it('`!` alone negates nothing: status 1 (BANG list_terminator)', async () => {
    const s = await session();
    s.take();
    expect(await s.type('!')).toBe('');
    expect(await s.type('echo $?')).toBe('1\n');
    expect(await s.type('! ; echo after $?')).toBe('after 1\n');
    expect(await s.type('! &')).toBe("-bash: syntax error near unexpected token `&'\n");
  });
});

describe('(( )) and arithmetic as bash 5.2.15 evaluates it', () => {
  it('(( EXPR )) is status 0 for a value that is not 0, 1 for 0; errors say `((:` and go on', async () => {
    const s = await session();
    s.take();
    expect(await s.type('(( 7 )); echo $?; (( 0 )); echo $?; x=5; (( x++ )); echo $x')).toBe(
      '0\n1\n6\n',
    );
    expect(await s.type('i=0; while (( i < 3 )); do (( i++ )); done; echo i=$i')).toBe('i=3\n');
    expect(await s.type('(( $(echo 3) > 2 )) && f() { (( $1 > 1 )); }; f 2 && echo big')).toBe(
      'big\n',
    );
    expect(await s.type('(( 1/0 )); echo st=$?')).toBe(
      '-bash: ((: 1/0 : division by 0 (error token is "0 ")\nst=1\n',
    );
    expect(await s.type('(( x = )); echo st=$?')).toBe(
      '-bash: ((: x = : syntax error: operand expected (error token is "= ")\nst=1\n',
    );
    // Redirections, lines of their own, a listing as written.
    expect(await s.type('(( 7 )) > /tmp/a; echo st=$?')).toBe('st=0\n');
    expect(await s.type('(( 1')).toBe('');
    expect(await s.type('+ 2 )) && echo multi')).toBe('multi\n');
    expect(await s.type('g() { ((x++)); ((  y = 2  )) > /dev/null; }; type g')).toBe(
      'g is a function\ng () \n{ \n    ((x++));\n    ((  y = 2  )) > /dev/null\n}\n',
    );
    // A first `)` that is not doubled: two subshells; not where a command starts: an error.
    expect(await s.type('((echo a) ); echo st=$?')).toBe('a\nst=0\n');
    expect(await s.type('echo ((1))')).toBe("-bash: syntax error near unexpected token `('\n");
  });

  it('&&, || and ?: skip their other operand: no assignment, no division error', async () => {
    const s = await session();
    s.take();
    expect(await s.type('echo $((0 && 1/0)) $((1 || 1/0)) $((1 ? 2 : 1/0)) $((0 ? 1/0 : 3))')).toBe(
      '0 1 2 3\n',
    );
    expect(
      await s.type('x=1; echo $((0 && (x=5))) $x $((1 || (x=6))) $x $((0 ? (x=7) : 1)) $x'),
    ).toBe('0 1 1 1 1 1\n');
  });

  it('a character no token starts with is an operand or an operator error, where it stands', async () => {
    const s = await session();
    s.take();
    expect(await s.type('echo $(( 1 + @ ))')).toBe(
      '-bash: 1 + @ : syntax error: operand expected (error token is "@ ")\n',
    );
    expect(await s.type('echo $(( 1 @ 2 ))')).toBe(
      '-bash: 1 @ 2 : syntax error: invalid arithmetic operator (error token is "@ 2 ")\n',
    );
    expect(await s.type('echo $(( 3 ? ))')).toBe(
      '-bash: 3 ? : expression expected (error token is "? ")\n',
    );
    expect(await s.type('echo $(( 3 ? 4 ))')).toBe(
      '-bash: 3 ? 4 : `:\' expected for conditional expression (error token is "4 ")\n',
    );
  });

  it('a variable that refers to itself ends at the recursion limit, not in a crash', async () => {
    const s = await session();
    s.take();
    expect(await s.type('x=x; echo $((x))')).toBe(
      '-bash: x: expression recursion level exceeded (error token is "x")\n',
    );
    expect(await s.type("x='x+1'; echo $((x))")).toBe(
      '-bash: x+1: expression recursion level exceeded (error token is "x+1")\n',
    );
    // The token after a name is read before its value: the bad character is the error.
    expect(await s.type('x=x{y,z}; (( x + 1 )); echo st=$?')).toBe(
      '-bash: ((: x{y,z}: syntax error: invalid arithmetic operator (error token is "{y,z}")\nst=1\n',
    );
    expect(await s.type('a=b; b=c; c=7; echo $((a*2))')).toBe('14\n');
  });

  it('a function that calls itself forever dies of SIGSEGV, as bash does past its stack', async () => {
    const s = await session();
    s.take();
    expect(await s.type("bash -c 'f() { f; }; f'; echo rc=$?")).toBe(
      'Segmentation fault\nrc=139\n',
    );
    expect(await s.type('echo alive')).toBe('alive\n');
  });

  it('a division by 0 is reported from just after its operator (expr.c exp2)', async () => {
    const s = await session();
    s.take();
    expect(await s.type('echo $((1 % n+1))')).toBe(
      '-bash: 1 % n+1: division by 0 (error token is "n+1")\n',
    );
    expect(await s.type('echo $((4 / 0 * 3))')).toBe(
      '-bash: 4 / 0 * 3: division by 0 (error token is "0 * 3")\n',
    );
    expect(await s.type('echo $((1/(0)))')).toBe(
      '-bash: 1/(0): division by 0 (error token is "(0)")\n',
    );
  });
});

describe('type NAME lists a function as print_cmd.c prints it (bash 5.2.15)', () => {
  it('one command of a list per line, inside groups, loops, if, case and subshells', async () => {
    const s = await session();
    s.take();
    await s.type(
      'f() { while true; do a; b; done; if x; then c; d; else e; g; fi; { h; i; }; ( j; k ); case q in a) l; m;; esac; for i in 1; do n; o; done; p && q; r | s; t & u; }',
    );
    expect(await s.type('type f')).toBe(
      [
        'f is a function',
        'f () ',
        '{ ',
        '    while true; do',
        '        a;',
        '        b;',
        '    done;',
        '    if x; then',
        '        c;',
        '        d;',
        '    else',
        '        e;',
        '        g;',
        '    fi;',
        '    { ',
        '        h;',
        '        i',
        '    };',
        '    ( j;',
        '    k );',
        '    case q in ',
        '        a)',
        '            l;',
        '            m',
        '        ;;',
        '    esac;',
        '    for i in 1;',
        '    do',
        '        n;',
        '        o;',
        '    done;',
        '    p && q;',
        '    r | s;',
        '    t & u',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('a function defined inside one is listed with `function`', async () => {
    const s = await session();
    s.take();
    expect(await s.type('f() { g() { echo; }; h() ( echo ); }; type f')).toBe(
      'f is a function\nf () \n{ \n    function g () \n    { \n        echo\n    };\n' +
        '    function h () \n    { \n        ( echo )\n    }\n}\n',
    );
  });

  it('a script names the line of a (( )) that fails', async () => {
    const s = await session();
    s.take();
    await s.type("printf 'echo a\\n\\n(( 1/0 ))\\n' > /tmp/ar.sh");
    expect(await s.type('bash /tmp/ar.sh')).toBe(
      'a\n/tmp/ar.sh: line 3: ((: 1/0 : division by 0 (error token is "0 ")\n',
    );
  });
});

describe('an expansion error in a script (bash 5.2.15)', () => {
  it('abandons the command it is in and goes on with the next; ${x:?} ends the script', async () => {
    const s = await session();
    s.take();
    await s.type(
      "printf 'echo $((1/0)); echo same\\nf() { echo ${x:1:-5}; echo inf; }\\nx=abc; f\\necho after $?\\n' > /tmp/e.sh",
    );
    expect(await s.type('bash /tmp/e.sh; echo rc=$?')).toBe(
      '/tmp/e.sh: line 1: 1/0: division by 0 (error token is "0")\n' +
        '/tmp/e.sh: line 2: -5: substring expression < 0\n' +
        'after 1\nrc=0\n',
    );
    // A one-line -c string is one command: nothing is left after the error.
    expect(await s.type("bash -c 'echo $((1/0)); echo never'; echo rc=$?")).toBe(
      'bash: line 1: 1/0: division by 0 (error token is "0")\nrc=1\n',
    );
    await s.type("printf 'echo ${u:?no}\\necho never\\n' > /tmp/u.sh");
    expect(await s.type("bash /tmp/u.sh; echo rc=$?; bash -c 'echo ${u:?no}'; echo rc=$?")).toBe(
      '/tmp/u.sh: line 1: u: no\nrc=1\nbash: line 1: u: no\nrc=127\n',
    );
  });
});

describe('patterns and parameter operators (bash 5.2.15, C locale)', () => {
  it('bracket expressions take POSIX classes, a leading ] and ranges, in case, ${…} and globs', async () => {
    const s = await session();
    s.take();
    expect(
      await s.type('x=aXbXc; echo ${x,,[[:upper:]]} ${x//[[:upper:]]/_} ${x//[![:lower:]]/-}'),
    ).toBe('axbxc a_b_c a-b-c\n');
    expect(
      await s.type(
        'for v in 12 1a "a b"; do case $v in *[![:digit:]]*) echo "$v: not";; *) echo "$v: num";; esac; done',
      ),
    ).toBe('12: num\n1a: not\na b: not\n');
    expect(await s.type('y=a]b; echo ${y//[]]/_} ${y//[a-]/_} ${y//[[:nosuch:]]/_}')).toBe(
      'a_b _]b a]b\n',
    );
    expect(await s.type('touch f1 f2 g; echo f[[:digit:]] [fg]*')).toBe('f1 f2 f1 f2 g\n');
  });

  it('@A and @a, ${x:} is a bad substitution, an anchored empty pattern matches', async () => {
    const s = await session();
    s.take();
    expect(await s.type('x="a b"; export y=1; echo "${x@A}|${y@A}|${y@a}|${x@a}|${u@A}|"')).toBe(
      "x='a b'|declare -x y='1'|x|||\n",
    );
    expect(await s.type('echo ${x:}')).toBe('-bash: ${x:}: bad substitution\n');
    expect(await s.type('x=ab; echo ${x/#/-} ${x/%/-} ${x//} "${x:+\\*}"')).toBe(
      '-ab ab- ab \\*\n',
    );
    expect(await s.type('echo ${x:1//}')).toBe(
      '-bash: x: 1//: syntax error: operand expected (error token is "/")\n',
    );
  });
});

describe('printf directives (bash 5.2.15 and coreutils 9.1)', () => {
  it("takes the ' flag and %n; refuses what is no directive, keeping what came before", async () => {
    const s = await session();
    s.take();
    expect(await s.type('printf "a%\'5db|" 1234; printf \'a%nb|\' v; echo " v=$v"')).toBe(
      'a 1234b|ab| v=1\n',
    );
    expect(await s.type('printf \'a%0%b\\n\'; echo " st=$?"')).toBe(
      "a-bash: printf: `%': invalid format character\n st=1\n",
    );
    expect(await s.type("printf 'ab%n' 5x; printf '%y'; printf 'x%'; echo \" st=$?\"")).toBe(
      "ab-bash: printf: `5x': not a valid identifier\n" +
        "-bash: printf: `y': invalid format character\n" +
        "x-bash: printf: `%': missing format character\n st=1\n",
    );
    expect(await s.type('/usr/bin/printf \'a%zb|%n\'; echo " st=$?"')).toBe(
      'a/usr/bin/printf: %zb: invalid conversion specification\n st=1\n',
    );
  });
});

describe('set -e, -u, -x and -o pipefail (bash 5.2.15)', () => {
  it('-e ends the shell at a failure that is no test; a $(…) runs without it', async () => {
    const s = await session();
    s.take();
    expect(await s.type("bash -c 'set -e; false; echo never'; echo rc=$?")).toBe('rc=1\n');
    expect(
      await s.type(
        "bash -c 'set -e; false || true; if false; then :; fi; ! true; f() { false; echo inf; }; f; echo never'; echo rc=$?",
      ),
    ).toBe('rc=1\n');
    expect(await s.type("bash -c 'set -e; echo $(false; echo in)'")).toBe('in\n');
    expect(await s.type("bash -c 'set -e; x=$(false); echo never'; echo rc=$?")).toBe('rc=1\n');
  });

  it('-o pipefail: the last failure of a pipeline is its status', async () => {
    const s = await session();
    s.take();
    expect(
      await s.type(
        "bash -c 'set -o pipefail; false | true; echo st=$?; true | false | true; echo st=$?'",
      ),
    ).toBe('st=1\nst=1\n');
    expect(await s.type("bash -c 'set -eo pipefail; false | true; echo never'; echo rc=$?")).toBe(
      'rc=1\n',
    );
  });

  it('-u: an unset parameter is an error that ends a script (status 1)', async () => {
    const s = await session();
    s.take();
    await s.type("printf 'set -u\\necho ${x:-ok}\\necho $x\\necho never\\n' > /tmp/u.sh");
    expect(await s.type('bash /tmp/u.sh; echo rc=$?')).toBe(
      'ok\n/tmp/u.sh: line 3: x: unbound variable\nrc=1\n',
    );
  });

  it('-x prints each command after expansion, quoted as bash quotes it; $- shows them', async () => {
    const s = await session();
    s.take();
    expect(await s.type(`bash -c 'set -x; y=; z="1 2"; echo "" a=b "~x" "a!b" $z; echo $-'`)).toBe(
      "+ y=\n+ z='1 2'\n+ echo '' a=b '~x' 'a!b' 1 2\n a=b ~x a!b 1 2\n+ echo hxBc\nhxBc\n",
    );
    expect(await s.type("bash -c 'set -eu; echo $-; set +eu; echo $-'")).toBe('ehuBc\nhBc\n');
  });
});

describe('the status a stopped command leaves (bash 5.2.15)', () => {
  it('a return in an if or while test is the function’s status; an abandoned line’s is 1', async () => {
    const s = await session();
    s.take();
    expect(
      await s.type('f() { (exit 2); if return; then echo no; fi; echo no; }; f; echo st=$?'),
    ).toBe('st=2\n');
    expect(await s.type('g() { false; while return; do :; done; }; g; echo st=$?')).toBe('st=1\n');
    await s.type(
      'printf \'if case $((1 %% 0)) in *) ;; esac; then :; else :; fi\\necho "end $?"\\n\' > /tmp/ab.sh',
    );
    expect(await s.type('bash /tmp/ab.sh')).toBe(
      '/tmp/ab.sh: line 1: 1 % 0: division by 0 (error token is "0")\nend 1\n',
    );
  });
});

describe('$LINENO (bash 5.2.15)', () => {
  it('counts the lines read at the prompt, and a script’s lines', async () => {
    const s = await session();
    s.take();
    expect(await s.type('echo $LINENO')).toBe('1\n');
    expect(await s.type('echo a')).toBe('a\n');
    expect(await s.type('echo $LINENO; echo $LINENO')).toBe('3\n3\n');
    expect(await s.type('for i in 1')).toBe('');
    expect(await s.type('do echo $LINENO; done')).toBe('5\n');
    await s.type(
      `printf 'echo $LINENO\\n\\necho $LINENO\\nf() {\\n  echo "in $LINENO"\\n}\\nf\\n' > /tmp/ln.sh`,
    );
    expect(await s.type('bash /tmp/ln.sh')).toBe('1\n3\nin 5\n');
  });
});

describe("a shell process's own state", () => {
  it('the hash table: a subshell has a copy, a child bash starts without one', async () => {
    const s = await session();
    s.take();
    expect(await s.type('type seq; seq 1 > /dev/null; type seq')).toBe(
      'seq is /usr/bin/seq\nseq is hashed (/usr/bin/seq)\n',
    );
    expect(await s.type('(type seq); bash -c "type seq"')).toBe(
      'seq is hashed (/usr/bin/seq)\nseq is /usr/bin/seq\n',
    );
  });

  it('for and case words expand on their own line', async () => {
    const s = await session();
    s.take();
    await s.type(
      "printf 'echo a\\nfor i in $(cat < nofile); do :; done\\ncase $(cat < nofile2) in *) ;; esac\\n' > /tmp/l2.sh",
    );
    expect(await s.type('bash /tmp/l2.sh')).toBe(
      'a\n/tmp/l2.sh: line 2: nofile: No such file or directory\n/tmp/l2.sh: line 3: nofile2: No such file or directory\n',
    );
  });

  it("a command substitution's messages give the script line it is on", async () => {
    const s = await session();
    s.take();
    await s.type("printf 'echo a\\necho b; echo $(cat < nofile)\\n' > /tmp/l.sh");
    expect(await s.type('bash /tmp/l.sh')).toBe(
      'a\nb\n/tmp/l.sh: line 2: nofile: No such file or directory\n\n',
    );
  });
});

describe('loops, functions and the processes they run in (bash 5.2.15)', () => {
  it('for NAME; do … iterates over "$@"; return in a loop ends the function at once', async () => {
    const s = await session();
    s.take();
    expect(await s.type('set -- a "b c"; for x; do echo "[$x]"; done')).toBe('[a]\n[b c]\n');
    expect(await s.type('f() { for y in one two; do return 3; done; }; f; echo "$y $?"')).toBe(
      'one 3\n',
    );
  });

  it('a pipeline stage and $(…) are in the loop they run in; ( … ) and `case` words are not', async () => {
    const s = await session();
    s.take();
    expect(await s.type('for i in 1 2; do continue | false; echo "$i $?"; done')).toBe(
      '1 1\n2 1\n',
    );
    expect(await s.type('for i in 1 2; do echo "[$(break; echo in)]" $i; done')).toBe(
      '[] 1\n[] 2\n',
    );
    // A for's words expand once the loop counts.
    expect(await s.type('for i in $(break; echo x) y; do echo $i; done')).toBe('y\n');
    expect(await s.type('case $(break) in *) echo c;; esac')).toBe(
      "-bash: break: only meaningful in a `for', `while', or `until' loop\nc\n",
    );
  });

  it("a function is in none of its caller's loops (execute_function)", async () => {
    const s = await session();
    s.take();
    expect(
      await s.type('f() { echo in; break; echo nr; }; for i in 1 2; do f; echo $i; done'),
    ).toBe(
      "in\n-bash: break: only meaningful in a `for', `while', or `until' loop\nnr\n1\n" +
        "in\n-bash: break: only meaningful in a `for', `while', or `until' loop\nnr\n2\n",
    );
  });

  it('any compound command is a function body, listed inside braces', async () => {
    const s = await session();
    s.take();
    expect(await s.type('k() (( $1 > 2 )); k 3 && echo big; type k')).toBe(
      'big\nk is a function\nk () \n{ \n    (( $1 > 2 ))\n}\n',
    );
    expect(await s.type('f() ( echo a ); type f')).toBe(
      'f is a function\nf () \n{ \n    ( echo a )\n}\n',
    );
    expect(await s.type('case a in *) (( 7 )) && echo seven;; esac')).toBe('seven\n');
  });
});

describe('break and continue in a loop test (execute_while_or_until)', () => {
  it('a break in the test ends the loop, and the shell goes on', async () => {
    const s = await session();
    s.take();
    expect(await s.type('while { echo c; break; }; do echo body; done; echo after')).toBe(
      'c\nafter\n',
    );
    expect(await s.type('while echo d; ! break; do echo body; done; echo after')).toBe(
      'd\nafter\n',
    );
    expect(
      await s.type(
        'for i in 1 2; do while { echo $i; break 2; }; do :; done; echo no; done; echo after',
      ),
    ).toBe('1\nafter\n');
    expect(await s.type('echo still here')).toBe('still here\n');
  });

  it('a continue in the test runs the test again; break in a subshell is not the loop’s', async () => {
    const s = await session();
    s.take();
    expect(
      await s.type(
        'k=0; while { k=$((k+1)); [ $k -lt 3 ] && continue; [ $k -lt 5 ]; }; do echo body $k; done; echo k=$k',
      ),
    ).toBe('body 3\nbody 4\nk=5\n');
    expect(await s.type('for i in 1 2; do ( break; echo in ); echo out $i; done')).toBe(
      "-bash: break: only meaningful in a `for', `while', or `until' loop\nin\nout 1\n" +
        "-bash: break: only meaningful in a `for', `while', or `until' loop\nin\nout 2\n",
    );
  });
});

describe('for (( ))', () => {
  it('runs at the prompt, over continuation lines, and each pass costs virtual time like a while loop', async () => {
    const s = await session();
    expect(await s.type('for ((i=0; i<3; i++)); do echo $i; done; echo $i')).toBe('0\n1\n2\n3\n');
    s.term.typeLine('for ((n=0; n<2; n++))');
    await s.system.settle();
    expect(s.term.prompt).toBe('> ');
    expect(await s.type('do echo n$n; done')).toBe('n0\nn1\n');
    // As bash 5.2.15 prints them.
    expect(await s.type('f() { for ((a=1;a<=2;a++)); do echo $a; done; }; type f')).toBe(
      'f is a function\nf () \n{ \n    for ((a=1; a<=2; a++))\n    do\n        echo $a;\n    done\n}\n',
    );
    expect(await s.type('g() { for (( ; ; )); do break; done; }; type g')).toBe(
      'g is a function\ng () \n{ \n    for ((1; 1; 1))\n    do\n        break;\n    done\n}\n',
    );
  });
});
