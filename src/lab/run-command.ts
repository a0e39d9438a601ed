/**
 * `tcplab run LAB...`: plays each lab, prints `PASS` or a diff and `FAIL` per
 * lab and `N passed, N failed` last; exit status 0 when every lab passed, 1
 * when one failed, 2 when one could not be read or has an error in it
 * (`file:line: what is wrong`). Options: `--update` rewrites the expected
 * output in place, `--seed N` overrides `%seed`, `--pcap FILE` writes every
 * frame of every interface as pcapng, `--out DIR` writes the files commands
 * created on each host, `--speed X` / `--realtime` plays at wall-clock pace and
 * shows the transcript as it plays, `--verbose` shows it afterwards.
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { captureNetwork } from '../capture/network-capture.js';
import type { Command } from '../os/process.js';
import { FAST, type Pace, wallClockPace } from './pace.js';
import { type LabError, parseLab } from './parse.js';
import { formatVirtual, LabSession, type OpenTerminal } from './runner.js';

export interface RunOptions {
  readonly update?: boolean;
  readonly seed?: number;
  readonly pcap?: string;
  readonly out?: string;
  /** Virtual seconds per wall-clock second; undefined: as fast as possible. */
  readonly speed?: number;
  readonly verbose?: boolean;
}

/** What the runner needs from the layers it does not own. */
export interface RunEnvironment {
  readonly openTerminal: OpenTerminal;
  readonly commands: ReadonlyMap<string, Command>;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** For tests: the pace of `--speed`. */
  readonly pace?: (speed: number) => Pace;
}

function strerror(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const texts: Record<string, string> = {
    ENOENT: 'No such file or directory',
    EACCES: 'Permission denied',
    EISDIR: 'Is a directory',
    ENOTDIR: 'Not a directory',
  };
  return (code !== undefined ? texts[code] : undefined) ?? (e as Error).message;
}

/** `out.pcapng` → `out-NAME.pcapng` when several labs share one --pcap. */
function perLab(path: string, lab: string, many: boolean): string {
  if (!many) return path;
  const ext = extname(path);
  const name = basename(lab, extname(lab));
  return `${path.slice(0, path.length - ext.length)}-${name}${ext}`;
}

export async function runLabs(
  paths: readonly string[],
  options: RunOptions,
  env: RunEnvironment,
): Promise<number> {
  let passed = 0;
  let failed = 0;
  let status = 0;
  const many = paths.length > 1;
  const located = (path: string, errors: readonly LabError[]): void => {
    for (const e of errors) env.stderr(`${path}:${e.line}: ${e.message}\n`);
  };

  for (const path of paths) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      env.stderr(`tcplab run: ${path}: ${strerror(e)}\n`);
      env.stdout(`FAIL ${path} (cannot read it)\n`);
      failed++;
      status = 2;
      continue;
    }
    const parsed = parseLab(path, text);
    if (!parsed.ok) {
      located(path, parsed.errors);
      env.stdout(`FAIL ${path} (an error in the lab)\n`);
      failed++;
      status = 2;
      continue;
    }
    const live = options.speed !== undefined;
    const pace =
      options.speed === undefined ? FAST : (env.pace ?? ((x) => wallClockPace(x)))(options.speed);
    const created = LabSession.create(parsed.lab, {
      openTerminal: env.openTerminal,
      commands: env.commands,
      pace,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(live ? { onLine: (l: string) => env.stdout(`${l}\n`) } : {}),
    });
    if (!created.ok) {
      located(path, created.errors);
      env.stdout(`FAIL ${path} (an error in the lab)\n`);
      failed++;
      status = 2;
      continue;
    }
    const session = created.session;
    const capture =
      options.pcap !== undefined
        ? captureNetwork(session.network, { epochSeconds: session.system.epochSeconds })
        : undefined;
    const result = await session.play();
    if (options.verbose && !live) env.stdout(result.text);
    const summary = `(${result.commands} command${result.commands === 1 ? '' : 's'}, ${formatVirtual(result.virtualTime)} virtual)`;

    let writeError = false;
    const write = (file: string, data: string | Uint8Array): void => {
      try {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, data);
      } catch (e) {
        env.stderr(`tcplab run: ${file}: ${strerror(e)}\n`);
        writeError = true;
      }
    };
    if (capture !== undefined && options.pcap !== undefined) {
      write(perLab(options.pcap, path, many), capture.finish());
    }
    if (options.out !== undefined) {
      const base = many ? join(options.out, basename(path, extname(path))) : options.out;
      try {
        mkdirSync(base, { recursive: true });
      } catch (e) {
        env.stderr(`tcplab run: ${base}: ${strerror(e)}\n`);
        writeError = true;
      }
      for (const host of session.network.hosts) {
        for (const f of session.system.fs(host).files())
          write(join(base, host.name, f.path), f.data);
      }
    }

    if (result.error === undefined && options.update && !result.passed) {
      write(path, result.text);
      env.stdout(`UPDATED ${path} ${summary}\n`);
      passed++;
    } else if (result.passed) {
      env.stdout(`PASS ${path} ${summary}\n`);
      passed++;
    } else {
      env.stdout(result.diff);
      if (result.error !== undefined) located(path, [result.error]);
      env.stdout(`FAIL ${path} ${summary}\n`);
      failed++;
      status = Math.max(status, 1);
    }
    if (writeError) status = 2;
  }
  env.stdout(`${passed} passed, ${failed} failed\n`);
  return status;
}
