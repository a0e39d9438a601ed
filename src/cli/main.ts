/**
 * The `tcplab` command. Subcommands are thin: each hands its arguments to a
 * tool or a runner and exits with the status it returns. Each loads its tool
 * when it runs, so that a command starts with only the modules it uses
 * (measured: `tcplab tcpdump --version` took 180 ms with every module loaded
 * at start, against 50 ms for node alone).
 */

import { Command } from 'commander';
import { registerLab } from './lab.js';
import { NodeIO } from './node-io.js';
import { registerPacketdrill } from './packetdrill.js';
import { VERSION } from './version.js';

export function main(argv: readonly string[]): void {
  const program = new Command('tcplab')
    .description(
      'A TCP/IP stack and network lab that behaves like Linux: virtual hosts, real tools, deterministic labs.',
    )
    .version(VERSION, '-V, --version')
    .enablePositionalOptions()
    .showHelpAfterError();

  program
    .command('tcpdump')
    .description(
      'print a capture file exactly as tcpdump 4.99 does (tcpdump -r FILE [options] [expression])',
    )
    .helpOption(false)
    .passThroughOptions()
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]', 'tcpdump options and filter expression')
    .action(async (args: string[]) => {
      const { runTcpdump } = await import('../tools/tcpdump.js');
      process.exitCode = runTcpdump(args, new NodeIO());
    });

  registerPacketdrill(program);

  registerLab(program);

  program.parse(argv as string[], { from: 'user' });
}
