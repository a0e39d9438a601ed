/**
 * The kernel log of a host: what `dmesg` prints. netfilter's LOG target and
 * TCP ("Possible SYN flooding on port …") write here, as printk does
 * (kernel/printk/printk.c). Each record keeps its time since boot (the host
 * boots at virtual time 0) and its level; the ring keeps the newest records,
 * as the kernel's log buffer (1 << CONFIG_LOG_BUF_SHIFT bytes) does.
 */

import type { Time } from '../sim/time.js';

/** printk levels (include/linux/kern_levels.h). */
export type KmsgLevel = 'emerg' | 'alert' | 'crit' | 'err' | 'warn' | 'notice' | 'info' | 'debug';

export const KMSG_LEVEL_NUMBERS: Readonly<Record<KmsgLevel, number>> = {
  emerg: 0,
  alert: 1,
  crit: 2,
  err: 3,
  warn: 4,
  notice: 5,
  info: 6,
  debug: 7,
};

/** The levels by number, 0 (emerg) … 7 (debug). */
export const KMSG_LEVELS: readonly KmsgLevel[] = [
  'emerg',
  'alert',
  'crit',
  'err',
  'warn',
  'notice',
  'info',
  'debug',
];

export interface KmsgRecord {
  /** Virtual time of the printk (time since boot). */
  readonly time: Time;
  readonly level: KmsgLevel;
  /** One line, without its newline. */
  readonly text: string;
}

/** CONFIG_LOG_BUF_SHIFT 18 on Debian's kernels: a 256 KiB ring. */
const LOG_BUF_LEN = 1 << 18;

export class KernelLog {
  readonly #records: KmsgRecord[] = [];
  #bytes = 0;

  /** printk(): appends a record, dropping the oldest when the ring is full. */
  write(time: Time, level: KmsgLevel, text: string): void {
    for (const line of text.split('\n')) {
      this.#records.push({ time, level, text: line });
      this.#bytes += line.length + 16;
    }
    while (this.#bytes > LOG_BUF_LEN && this.#records.length > 1) {
      const old = this.#records.shift() as KmsgRecord;
      this.#bytes -= old.text.length + 16;
    }
  }

  get records(): readonly KmsgRecord[] {
    return this.#records;
  }

  /** `dmesg -c` / `dmesg -C`. */
  clear(): void {
    this.#records.length = 0;
    this.#bytes = 0;
  }
}
