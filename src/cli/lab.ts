/**
 * `tcplab run LAB...` and `tcplab shell [LAB]`: thin wrappers that parse the
 * options and hand over to the lab runner (src/lab) with the real shell
 * (src/shell) and the hosts' commands (src/tools).
 */

import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import type { parseLab } from '../lab/parse.js';
import { writeStderr, writeStdout } from './node-io.js';

function seedOption(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('expected a whole number, like 1 or 42.');
  }
  return Number(value);
}

function speedOption(value: string): number {
  const x = Number(value);
  if (!/^\d+(\.\d+)?$|^\.\d+$/.test(value) || !(x > 0)) {
    throw new InvalidArgumentError('expected a positive number, like 1 (real time) or 10.');
  }
  return x;
}

interface PaceFlags {
  readonly realtime?: boolean;
  readonly speed?: number;
}

function speedOf(o: PaceFlags): number | undefined {
  return o.speed ?? (o.realtime ? 1 : undefined);
}

const out = writeStdout;
const err = writeStderr;

/**
 * The shell and the hosts' commands, loaded when a subcommand needs them (not
 * when the CLI starts: `tcplab tcpdump` does not pay for them).
 */
async function labWorld() {
  const [{ openTerminal }, { COMMANDS }] = await Promise.all([
    import('../shell/index.js'),
    import('../tools/commands.js'),
  ]);
  return { openTerminal, commands: COMMANDS };
}

/**
 * Runs an action; a bug that escapes it is reported in one line, not as a stack
 * trace (exit 70, EX_SOFTWARE).
 */
function guarded<A extends unknown[]>(
  action: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await action(...args);
    } catch (e) {
      err(`tcplab: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 70;
    }
  };
}

export function registerLab(program: Command): void {
  program
    .command('run')
    .description('replay labs on virtual time and check every output line')
    .argument('<lab...>', 'lab files (.lab)')
    .option('--update', 'rewrite the expected output in place')
    .option('--seed <n>', 'the seed of every random choice (overrides %seed)', seedOption)
    .option('--pcap <file>', 'write every frame of every interface as pcapng')
    .option('--out <dir>', 'write the files commands created, as DIR/HOST/…')
    .option('--realtime', 'play at wall-clock pace, showing the transcript')
    .option('--speed <x>', 'play at X times wall-clock pace, showing the transcript', speedOption)
    .option('-v, --verbose', 'show each transcript as played')
    .action(
      guarded(
        async (
          labs: string[],
          o: PaceFlags & {
            update?: boolean;
            seed?: number;
            pcap?: string;
            out?: string;
            verbose?: boolean;
          },
        ) => {
          const speed = speedOf(o);
          const [{ runLabs }, world] = await Promise.all([
            import('../lab/run-command.js'),
            labWorld(),
          ]);
          process.exitCode = await runLabs(
            labs,
            {
              ...(o.update ? { update: true } : {}),
              ...(o.seed !== undefined ? { seed: o.seed } : {}),
              ...(o.pcap !== undefined ? { pcap: o.pcap } : {}),
              ...(o.out !== undefined ? { out: o.out } : {}),
              ...(speed !== undefined ? { speed } : {}),
              ...(o.verbose ? { verbose: true } : {}),
            },
            { ...world, stdout: out, stderr: err },
          );
        },
      ),
    );

  program
    .command('shell')
    .description("an interactive shell on a lab's hosts (default: client and server)")
    .argument('[lab]', 'a lab to play first')
    .option('--seed <n>', 'the seed of every random choice (overrides %seed)', seedOption)
    .option('--realtime', 'let virtual time run at wall-clock pace')
    .option('--speed <x>', 'let virtual time run at X times wall-clock pace', speedOption)
    .action(
      guarded(async (path: string | undefined, o: PaceFlags & { seed?: number }) => {
        let lab: ReturnType<typeof parseLab> | undefined;
        if (path !== undefined) {
          const { parseLab } = await import('../lab/parse.js');
          let text: string;
          try {
            text = readFileSync(path, 'utf8');
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            err(
              `tcplab shell: ${path}: ${code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}\n`,
            );
            process.exitCode = 2;
            return;
          }
          lab = parseLab(path, text, { headerOnly: true });
          if (!lab.ok) {
            for (const e of lab.errors) err(`${path}:${e.line}: ${e.message}\n`);
            process.exitCode = 2;
            return;
          }
        }
        const speed = speedOf(o);
        const [{ runShell }, world] = await Promise.all([
          import('../lab/interactive.js'),
          labWorld(),
        ]);
        process.exitCode = await runShell({
          input: process.stdin,
          output: process.stdout,
          ...world,
          ...(lab?.ok ? { lab: lab.lab } : {}),
          ...(o.seed !== undefined ? { seed: o.seed } : {}),
          ...(speed !== undefined ? { speed } : {}),
        });
      }),
    );
}
