/**
 * The commands of this part: the small Unix commands labs pipe through: echo,
 * cat, grep, wc, head, tail, sort, uniq, cut, tr, tee, sleep, date, seq, ls,
 * rm, touch, mkdir, env, timeout, which, awk (coreutils 9.1, mawk 1.3.4, grep 3.8, debianutils), with
 * GNU's messages and exit statuses. The shell's builtins (echo, printf, pwd,
 * true, false, kill …) are in src/shell; these are the /usr/bin programs.
 */

import type { Command } from '../../os/process.js';
import { awkCommand } from './awk.js';
import { withArgv } from './common.js';
import {
  date,
  echo,
  env,
  falseCommand,
  ls,
  mkdir,
  printf,
  pwd,
  rm,
  seq,
  sleep,
  timeout,
  touch,
  trueCommand,
  which,
} from './sys.js';
import { cat, cut, grep, head, sort, tail, tee, tr, uniq, wc } from './text.js';

export const COREUTILS_COMMANDS: Readonly<Record<string, Command>> = {
  // Debian 12's awk is mawk.
  awk: awkCommand,
  mawk: awkCommand,
  cat,
  cut,
  date,
  echo,
  // Debian's egrep is a script running `grep -E`.
  egrep: (proc) => grep(withArgv(proc, ['grep', '-E', ...proc.argv.slice(1)])),
  env,
  false: falseCommand,
  grep,
  head,
  ls,
  mkdir,
  printf,
  pwd,
  rm,
  seq,
  sleep,
  sort,
  tail,
  tee,
  timeout,
  touch,
  tr,
  true: trueCommand,
  uniq,
  wc,
  which,
};
