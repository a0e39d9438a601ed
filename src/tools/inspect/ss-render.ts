/**
 * ss's column renderer (iproute2 6.1 misc/ss.c: `out`, `field_next`,
 * `field_flush`, `render_calc_width`, `render`), reproduced step for step
 * because its layout has quirks a simpler table would not: every field is a
 * token of a column; a column is as wide as its longest *flushed* token
 * (plus its left delimiter, except for the first column), and the last token
 * of the output is never flushed, so it does not count (a single row with a
 * long timer leaves the header unpadded, as in linux-traces/silent-drop);
 * Local and Peer Address are right-aligned, the rest left-aligned and padded.
 * When stdout is not a terminal (render_screen_width returns -1) the columns
 * are not stretched to the screen ("compact output"), which is what the
 * reference files show; on a terminal the remaining width is spread over the
 * columns of each line (the second pass of render_calc_width).
 */

export const COL_NETID = 0;
export const COL_STATE = 1;
export const COL_RECVQ = 2;
export const COL_SENDQ = 3;
export const COL_ADDR = 4;
export const COL_SERV = 5;
export const COL_RADDR = 6;
export const COL_RSERV = 7;
export const COL_EXT = 8;
export const COL_PROC = 9;

type Align = 'left' | 'right';

interface Column {
  readonly align: Align;
  readonly header: string;
  readonly ldelim: string;
  disabled: boolean;
  width: number;
  maxLen: number;
}

/** misc/ss.c `columns[]`. Note COL_EXT carries the "Process" header and COL_PROC none. */
function newColumns(): Column[] {
  const c = (align: Align, header: string, ldelim: string): Column => ({
    align,
    header,
    ldelim,
    disabled: false,
    width: 0,
    maxLen: 0,
  });
  return [
    c('left', 'Netid', ''),
    c('left', 'State', ' '),
    c('left', 'Recv-Q', ' '),
    c('left', 'Send-Q', ' '),
    c('right', 'Local Address:', ' '),
    c('left', 'Port', ''),
    c('right', 'Peer Address:', ' '),
    c('left', 'Port', ''),
    c('left', 'Process', ''),
    c('left', '', ''),
  ];
}

export class SsRenderer {
  readonly columns = newColumns();
  readonly #tokens: string[] = [];
  #current = COL_NETID;
  #text = '';
  #started = false;

  disable(col: number): void {
    this.columns[col]!.disabled = true;
  }

  /** `out()`: appends to the current field (nothing for a disabled column). */
  out(text: string): void {
    if (this.columns[this.#current]!.disabled) return;
    this.#started = true;
    this.#text += text;
  }

  /** `field_next()`: the current field is done; on to the next column. */
  next(): void {
    const f = this.columns[this.#current]!;
    if (!f.disabled) {
      if (this.#text.length > f.maxLen) f.maxLen = this.#text.length;
      this.#tokens.push(this.#text);
      this.#text = '';
    }
    this.#current = this.#current === COL_PROC ? COL_NETID : this.#current + 1;
  }

  /** `field_set()`: flushes fields until `col` is the current one. */
  set(col: number): void {
    while (this.#current !== col) this.next();
  }

  /** `print_header()`. */
  header(): void {
    while (this.#current !== COL_PROC) {
      if (!this.columns[this.#current]!.disabled) this.out(this.columns[this.#current]!.header);
      this.next();
    }
  }

  /** `render()`: the text, with `screenWidth` columns, or compact when undefined (not a tty). */
  render(screenWidth: number | undefined): string {
    if (!this.#started) return '';
    const tokens = [...this.#tokens, this.#text];
    this.#calcWidth(screenWidth);
    const cols = this.columns;
    let out = '';
    let f = 0;
    while (f < cols.length && cols[f]!.width === 0) f++;
    let lineStarted = false;
    for (const token of tokens) {
      const col = cols[f]!;
      let printed = 0;
      if (lineStarted) {
        out += col.ldelim;
        printed = col.ldelim.length;
      }
      lineStarted = true;
      if (col.width > 0 && col.align === 'right') {
        const s = col.width - token.length - printed;
        if (s > 0) {
          out += ' '.repeat(s);
          printed += s;
        }
      }
      out += token;
      printed += token.length;
      if (col.width > 0 && col.align === 'left') {
        const s = col.width - printed;
        if (s > 0) out += ' '.repeat(s);
      }
      do {
        if (f === COL_PROC) {
          out += '\n';
          f = 0;
          lineStarted = false;
        } else {
          f++;
        }
      } while (cols[f]!.disabled);
    }
    if (lineStarted) out += '\n';
    return out;
  }

  /** render_calc_width. */
  #calcWidth(screenWidth: number | undefined): void {
    const cols = this.columns;
    const screen = screenWidth ?? Number.MAX_SAFE_INTEGER;
    let first = true;
    for (const c of cols) {
      if (c.disabled) continue;
      c.width = !first && c.maxLen > 0 ? c.maxLen + c.ldelim.length : c.maxLen;
      c.width = Math.min(c.width, screen);
      if (c.width > 0) first = false;
    }
    if (screenWidth === undefined) return;
    // Second pass: line breaks and spreading the spare width over each line.
    let len = 0;
    let linecols = 0;
    let eol = -1;
    for (let i = 0; i < cols.length; i++) {
      const c = cols[i]!;
      if (c.width === 0) continue;
      linecols++;
      len += c.width;
      let last = true;
      for (let t = i + 1; t < cols.length; t++) {
        if (cols[t]!.width > 0) {
          last = false;
          break;
        }
      }
      if (!last && len < screen) continue;
      if (len !== screen) {
        if (len > screen) {
          len -= c.width;
          i--;
          linecols--;
        }
        const pad = screen - len;
        const spacing = linecols > 0 ? Math.floor(pad / linecols) : 0;
        let rem = linecols > 0 ? pad % linecols : 0;
        for (let t = i; t > eol; t--) {
          const tc = cols[t]!;
          if (tc.width === 0) continue;
          tc.width += spacing;
          if (rem > 0) {
            tc.width++;
            rem--;
          }
        }
      }
      eol = i;
      len = 0;
      linecols = 0;
    }
  }
}

/** misc/ss.c print_ms_timer: `59sec`, `1.616ms` (sic: seconds and milliseconds), `692ms`, `2min`. */
export function printMsTimer(timeout: number): string {
  let secs = Math.floor(timeout / 1000);
  const minutes = Math.floor(secs / 60);
  secs %= 60;
  let msecs = timeout % 1000;
  let buf = '';
  if (minutes > 0) {
    msecs = 0;
    buf = `${minutes}min`;
    if (minutes > 9) secs = 0;
  }
  if (secs > 0) {
    if (secs > 9) msecs = 0;
    buf += `${secs}${msecs > 0 ? '.' : 'sec'}`;
  }
  if (msecs > 0) buf += `${String(msecs).padStart(3, '0')}ms`;
  return buf;
}
