/**
 * Labs: experiments written as terminal transcripts on several hosts, and the
 * runner that replays them on virtual time and checks every output line
 * (docs/labs.md). `parse.ts` reads the format (every problem with its line,
 * never a throw), `topology.ts` builds the network of its header, `runner.ts`
 * plays it through the shell's terminals (src/shell) and makes the actual
 * transcript, `diff.ts` compares, `run-command.ts` and `interactive.ts` are
 * `tcplab run` and `tcplab shell`.
 *
 * What it must not do: step the event queue itself (time moves only through the
 * System driver, src/os/system.ts, via a Pace), or await anything but what the
 * processes and the driver give it, so that a lab with a seed always prints the
 * same bytes. Real time exists here only in `pace.ts` (watching a lab at
 * wall-clock pace) and `interactive.ts` (the keyboard); files are read and
 * written only by `run-command.ts`.
 */

export * from './diff.js';
export * from './interactive.js';
export * from './pace.js';
export * from './parse.js';
export * from './run-command.js';
export * from './runner.js';
export * from './topology.js';
export * from './values.js';
