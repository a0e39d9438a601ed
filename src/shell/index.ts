/**
 * The shell layer: bash on a terminal of a virtual host. `openTerminal` gives
 * a Terminal (terminal.ts) running an interactive login bash 5.2 subset —
 * quoting and expansion, pipelines, redirections, subshells, job control —
 * whose commands are the system's command table (src/tools/commands.ts).
 * It drives processes of src/os and never reads a clock: everything happens
 * on the simulation's virtual time. Above it only the lab runner and the CLI.
 */

export { openTerminal, type TerminalOptions } from './bash.js';
export { parse } from './parse.js';
export type { Terminal } from './terminal.js';
