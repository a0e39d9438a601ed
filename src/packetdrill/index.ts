/**
 * packetdrill for tcplab: Google's script language for testing a TCP stack
 * (google/packetdrill), run against tcplab's own stack in virtual time.
 *
 * What it does: parses scripts (parse.ts → ast.ts), interprets their setup
 * commands as built-ins that set the host's sysctls (commands.ts), and runs
 * them on a host whose wire ends in the interpreter (tun.ts), injecting the
 * inbound packets, checking the outbound ones (packets.ts), making the
 * system calls on the host's fd API (syscalls.ts) and evaluating the tcp_info
 * assertions (code.ts), with packetdrill's timing rules (run.ts).
 *
 * What it must not do: run anything on the machine (backquoted commands are
 * interpreted, never executed), read a real clock, or do I/O: the CLI reads
 * the files and writes the output.
 */

export * from './ast.js';
export * from './code.js';
export * from './commands.js';
export * from './packets.js';
export * from './parse.js';
export * from './run.js';
export * from './syscalls.js';
export * from './tun.js';
