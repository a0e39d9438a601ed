/**
 * The operating system around the network stack: processes with signals and
 * exit statuses, their standard streams and pipes, the files of each host, and
 * the runtime that runs commands on the simulator's virtual time,
 * deterministically. The tools (src/tools) are commands of this layer; the
 * shell and the lab runner drive it.
 */

export * from './fs.js';
export * from './process.js';
export * from './streams.js';
export * from './system.js';
