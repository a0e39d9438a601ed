/**
 * A terminal on a virtual host with bash running in it: what the lab runner
 * and `tcplab shell` drive. This module fixes the contract between the shell
 * (src/shell) and its drivers (src/lab, src/cli); the shell implements it.
 *
 * The terminal never echoes what is typed: the driver shows typed lines itself
 * (the lab runner prints `root@client:~# cmd`, an interactive terminal echoes
 * keys). Output is everything a person would see on the screen otherwise: the
 * output of foreground and background jobs, bash's own messages (`[1] 1001`,
 * `[1]+  Done  …`, `-bash: foo: command not found`), in the order written.
 */

import type { Host } from '../host/host.js';

export interface Terminal {
  readonly host: Host;
  /** The prompt bash would print now, e.g. `root@client:~# `. */
  readonly prompt: string;
  /** True while bash waits for a command (no foreground job). */
  readonly atPrompt: boolean;
  /** True while the foreground job is blocked reading the terminal. */
  readonly reading: boolean;
  /** False once bash exited (`exit`, Ctrl-D at the prompt). */
  readonly alive: boolean;
  /**
   * A line typed and Enter: a command line for bash at the prompt, else input
   * to the foreground job (line-buffered, as a tty in canonical mode).
   */
  typeLine(text: string): void;
  /** Ctrl-C: SIGINT to the foreground job's process group; at the prompt, a fresh prompt. */
  interrupt(): void;
  /** Ctrl-D: end of file for the foreground job's read; at the prompt, bash exits. */
  endOfFile(): void;
  /** Receives the terminal's output as it is written. */
  onOutput(listener: (text: string) => void): void;
  /** The commands typed at the prompt, oldest first (`history`). */
  readonly history: readonly string[];
}
