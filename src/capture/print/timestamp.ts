/**
 * The timestamp at the start of each tcpdump line (util-print.c ts_print and
 * its helpers in tcpdump 4.99.3), for -t counts 0 to 5.
 *
 * libpcap hands tcpdump a `struct timeval` whose fields came from the file's
 * 32-bit *signed* fields (sf-pcap.c: bpf_int32), widened to 64-bit longs. So a
 * stored second of 0x80000000 or more is negative, and tcpdump prints
 * `[Error converting time]` for it (ts_date_hmsfrac_format and ts_unix_print
 * refuse any second with bit 31 set); a stored fraction of 1000000 or more is
 * printed as it is (`%06u`/`%09u` of the unsigned value), and the deltas of
 * -ttt/-ttttt borrow at most once (netdissect.h netdissect_timevalsub), so a
 * fraction can come out negative and print as its 32-bit unsigned value. These
 * are all reproduced here: tcplab prints what the binary prints.
 */

import type { TsPrecision } from '../record.js';

/** ND_BYTES_PER_SECOND: the unit of the fraction. */
function unitsPerSecond(precision: TsPrecision): number {
  return precision === 'nano' ? 1_000_000_000 : 1_000_000;
}

const SECONDS_PER_DAY = 86_400;
const ERROR = '[Error converting time]';

const PAD2: readonly string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
/** `%03u` of 0..999: a fraction is printed three digits at a time (every line has one). */
const PAD3: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
/** PAD3 followed by the space that ends the timestamp. */
const PAD3_SPACE: readonly string[] = PAD3.map((s) => `${s} `);

/** `HH:MM:SS` of a second count within a day. */
function hms(secOfDay: number): string {
  const h = Math.floor(secOfDay / 3600);
  const m = Math.floor((secOfDay % 3600) / 60);
  return `${PAD2[h]}:${PAD2[m]}:${PAD2[secOfDay % 60]}`;
}

/** `YYYY-MM-DD` of a day number since 1970-01-01 (proleptic Gregorian, civil_from_days). */
function ymd(days: number): string {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${String(y).padStart(4, '0')}-${PAD2[m]}-${PAD2[d]}`;
}

/**
 * Formats line timestamps for one run. Keeps tcpdump's per-run state (the
 * reference time of -ttt and -ttttt) and caches the date part per second, since
 * consecutive packets nearly always share it.
 */
export class TimestampFormatter {
  private readonly unit: number;
  private readonly fracDigits: number;
  /** util-print.c ts_print's static tv_ref (unset while both parts are 0). */
  private refSec = 0;
  private refFrac = 0;
  private cachedSec = Number.NaN;
  private cachedText = '';

  constructor(
    /** Count of -t. */
    private readonly mode: number,
    precision: TsPrecision,
    private readonly tzOffsetSeconds: (epochSec: number) => number,
  ) {
    this.unit = unitsPerSecond(precision);
    this.fracDigits = precision === 'nano' ? 9 : 6;
  }

  /** The line's timestamp followed by a space, or '' with -t. */
  format(storedSec: number, storedFrac: number): string {
    // sf-pcap.c reads both fields as bpf_int32.
    const sec = storedSec | 0;
    const frac = storedFrac | 0;
    switch (this.mode) {
      case 0: // HH:MM:SS.frac, local time
        return this.clock(sec, frac, false);
      case 1: // -t: none
        return '';
      case 2: // -tt: seconds since the epoch
        return sec < 0 ? `${ERROR} ` : `${sec}${this.fraction(sec, frac)} `;
      case 3: // -ttt: since the previous packet
      case 5: // -ttttt: since the first packet
        return this.delta(sec, frac);
      case 4: // -tttt: date and time, local time
        return this.clock(sec, frac, true);
      default: // tcpdump.c refuses more than five -t before reading anything
        return '';
    }
  }

  private fraction(sec: number, frac: number): string {
    if (sec < 0) return '';
    return `.${String(frac >>> 0).padStart(this.fracDigits, '0')}`;
  }

  /**
   * Modes 0 and 4: the local time, the fraction and the space. The common case
   * (microseconds in range) is built from few, cached pieces: it starts every line.
   */
  private clock(sec: number, frac: number, withDate: boolean): string {
    if (sec < 0) return `${ERROR} `;
    const time = this.dateTime(sec, withDate);
    const f = frac >>> 0;
    if (this.fracDigits === 6 && f < 1_000_000) {
      const high = Math.floor(f / 1000);
      return `${time}.${PAD3[high]}${PAD3_SPACE[f - high * 1000]}`;
    }
    return `${time}${this.fraction(sec, frac)} `;
  }

  /** ts_date_hmsfrac_format in local time (the caller appends the fraction). */
  private dateTime(sec: number, withDate: boolean): string {
    if (sec < 0) return ERROR;
    if (sec === this.cachedSec) return this.cachedText;
    const local = sec + this.tzOffsetSeconds(sec);
    const days = Math.floor(local / SECONDS_PER_DAY);
    const time = hms(local - days * SECONDS_PER_DAY);
    const text = withDate ? `${ymd(days)} ${time}` : time;
    this.cachedSec = sec;
    this.cachedText = text;
    return text;
  }

  /** ts_print cases 3 and 5: a signed difference printed as a UTC time of day. */
  private delta(sec: number, frac: number): string {
    if (this.refSec === 0 && this.refFrac === 0) {
      this.refSec = sec;
      this.refFrac = frac;
    }
    const negative = sec === this.refSec ? frac < this.refFrac : sec < this.refSec;
    // netdissect_timevalsub: one borrow at most; int64 seconds, long fraction.
    let dSec = negative ? this.refSec - sec : sec - this.refSec;
    let dFrac = negative ? this.refFrac - frac : frac - this.refFrac;
    if (dFrac < 0) {
      dSec--;
      dFrac += this.unit;
    }
    if (this.mode === 3) {
      this.refSec = sec;
      this.refFrac = frac;
    }
    const sign = negative ? '-' : ' ';
    // ts_date_hmsfrac_format tests bit 31 of the (unsigned) 32-bit second.
    if ((dSec >>> 0) & 0x8000_0000 || dSec < 0) return `${sign}${ERROR} `;
    const t = dSec % SECONDS_PER_DAY;
    return `${sign}${hms(t)}.${String(dFrac >>> 0).padStart(this.fracDigits, '0')} `;
  }
}
