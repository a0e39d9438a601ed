/**
 * `tcplab packetdrill FILE_OR_DIR...`: runs packetdrill scripts against
 * tcplab's stack (src/packetdrill) and prints one line per script, then
 * `N passed, N failed`. Directories are searched for `*.pkt` files, in
 * order. Failures are explained on stderr, as packetdrill prints them;
 * `--verbose` prints every packet as it crosses the wire, `--pcap FILE`
 * writes the packets of the run (of all runs, one after the other, each
 * starting a second after the previous one ended) as a LINKTYPE_RAW pcap.
 */

import { type Dirent, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import type { CommandLineOption } from '../packetdrill/run.js';
import type { WirePacket } from '../packetdrill/tun.js';
import { writeStderr, writeStdout } from './node-io.js';

function errorText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'No such file or directory';
  if (code === 'EACCES') return 'Permission denied';
  return (e as Error).message;
}

/**
 * The .pkt files under each argument, in sorted order. Directories are
 * searched as find(1) searches them: symbolic links to directories are not
 * followed (no loops), a *.pkt link is a script like a file (a broken one
 * fails when read), and a directory that cannot be read is an error of its
 * own while the rest is searched.
 */
function scriptFiles(paths: readonly string[]): { files: string[]; errors: string[] } {
  const files: string[] = [];
  const errors: string[] = [];
  const walk = (dir: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      errors.push(`tcplab packetdrill: ${dir}: ${errorText(e)}`);
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of entries) {
      const p = join(dir, d.name);
      if (d.isDirectory()) walk(p);
      else if (d.name.endsWith('.pkt')) files.push(p);
    }
  };
  for (const p of paths) {
    try {
      if (statSync(p).isDirectory()) walk(p);
      else files.push(p);
    } catch (e) {
      errors.push(`tcplab packetdrill: ${p}: ${errorText(e)}`);
    }
  }
  return { files, errors };
}

export interface PacketdrillCliOptions {
  readonly verbose?: boolean;
  readonly pcap?: string;
  /** packetdrill's own `--name=value` options (--tolerance_usecs=…): over the scripts'. */
  readonly commandLine?: readonly CommandLineOption[];
}

/**
 * Runs the scripts; resolves to the exit status (0: every script passed). The
 * interpreter and the stack are loaded here, not when the CLI starts: other
 * subcommands do not pay for them.
 */
export async function runPacketdrillCli(
  paths: readonly string[],
  options: PacketdrillCliOptions,
): Promise<number> {
  const [{ writePcap }, { LINKTYPE_RAW }, { runScriptText }, { NS_PER_S }] = await Promise.all([
    import('../capture/pcap.js'),
    import('../capture/record.js'),
    import('../packetdrill/run.js'),
    import('../sim/time.js'),
  ]);
  const out = (s: string): void => {
    writeStdout(`${s}\n`);
  };
  const err = (s: string): void => {
    writeStderr(`${s}\n`);
  };
  const { files, errors } = scriptFiles(paths);
  for (const e of errors) err(e);
  let passed = 0;
  let failed = errors.length;
  const records: { sec: number; frac: number; data: Uint8Array }[] = [];
  let offset = 0;
  for (const file of files) {
    const name = relative(process.cwd(), file) || file;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      err(`tcplab packetdrill: ${name}: ${errorText(e)}`);
      out(`FAIL ${name}`);
      failed++;
      continue;
    }
    if (options.verbose) out(`--- ${name}`);
    const r = runScriptText(text, name, {
      ...(options.verbose ? { trace: out } : {}),
      commandLine: options.commandLine ?? [],
    });
    if (options.pcap !== undefined) {
      let last = 0;
      for (const p of r.packets as WirePacket[]) {
        const t = offset + p.time;
        records.push({
          sec: Math.floor(t / NS_PER_S),
          frac: Math.floor((t % NS_PER_S) / 1000),
          data: p.datagram,
        });
        last = p.time;
      }
      offset += last + NS_PER_S;
    }
    if (options.verbose && r.ignoredSysctls.length > 0) {
      out(`# sysctls tcplab does not model, ignored: ${r.ignoredSysctls.join(' ')}`);
    }
    if (r.ok) {
      passed++;
      out(`ok   ${name}`);
    } else {
      failed++;
      out(`FAIL ${name}`);
      err(r.error ?? 'failed');
    }
  }
  if (options.pcap !== undefined) {
    writeFileSync(
      options.pcap,
      writePcap(
        records.map((r) => ({ ...r, origLen: r.data.length })),
        { linkType: LINKTYPE_RAW },
      ),
    );
  }
  out(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

/** Adds the `packetdrill` subcommand. */
export function registerPacketdrill(program: Command): void {
  program
    .command('packetdrill')
    .description('run packetdrill scripts against the tcplab stack, in virtual time')
    .argument('<paths...>', 'script files, or directories searched for *.pkt')
    .option('-v, --verbose', 'print every packet as it crosses the wire')
    .option('--pcap <file>', 'write the packets of the run to a pcap file')
    .addHelpText(
      'after',
      "\npacketdrill's own options (--tolerance_usecs=N, --local_ip=A, ...) may be given\n" +
        'too, as --name=value: they override the same options in the scripts.',
    )
    .allowUnknownOption()
    .action(async (args: string[], opts: { verbose?: boolean; pcap?: string }) => {
      const paths: string[] = [];
      const commandLine: CommandLineOption[] = [];
      for (const a of args) {
        const m = /^--([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(a);
        if (m !== null) commandLine.push({ name: m[1]!, value: m[2] });
        else if (a.startsWith('-') && a !== '-') {
          // A short option neither of ours nor packetdrill's (which has none a script needs).
          writeStderr(`error: unknown option '${a}'\n`);
          process.exitCode = 1;
          return;
        } else paths.push(a);
      }
      process.exitCode = await runPacketdrillCli(paths, { ...opts, commandLine });
    });
}
