/**
 * The tools layer: the commands people already know, with the syntax, output,
 * error messages and exit codes of the real ones (Debian 12's). A tool is a
 * function of its arguments and a `ToolIO` (files, standard output and error,
 * the local time zone), so the CLI runs it on the real machine and a lab runs it
 * on a virtual host. Above this layer only the CLI and the lab runner.
 */

export * from './getopt.js';
export * from './tcpdump.js';
