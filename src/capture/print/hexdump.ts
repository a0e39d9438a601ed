/**
 * The raw dumps of -x, -X and -A, and the hex-and-ASCII dump decoders fall back
 * to for data they do not know (tcpdump 4.99.3 print-ascii.c: hex_print,
 * hex_and_ascii_print, ascii_print; netdissect.h ND_DEFAULTPRINT).
 */

import { HEX2, isGraph } from './context.js';

/** print-ascii.c HEXDUMP_BYTES_PER_LINE. */
const BYTES_PER_LINE = 16;
/** print-ascii.c HEXDUMP_HEXSTUFF_PER_LINE: 8 groups of ` xxxx`. */
const HEXSTUFF_PER_LINE = 40;

const SPACES = ' '.repeat(HEXSTUFF_PER_LINE);

function offset4(n: number): string {
  return n < 0x10000 ? HEX2[n >>> 8]! + HEX2[n & 0xff]! : n.toString(16);
}

function asciiChar(c: number): string {
  return isGraph(c) ? String.fromCharCode(c) : '.';
}

/**
 * hex_and_ascii_print: lines of `IDENT0xOOOO:  xxxx xxxx …  ascii`, the hex
 * column padded to 40 characters; a non-graphic byte shows as `.`.
 */
export function hexAndAscii(ident: string, b: Uint8Array, start: number, length: number): string {
  let out = '';
  let hexPart = '';
  let asciiPart = '';
  let off = 0;
  let i = start;
  const last = start + length;
  for (; i + 1 < last; i += 2) {
    const s1 = b[i]!;
    const s2 = b[i + 1]!;
    hexPart += ` ${HEX2[s1]}${HEX2[s2]}`;
    asciiPart += asciiChar(s1) + asciiChar(s2);
    if (hexPart.length === HEXSTUFF_PER_LINE) {
      out += `${ident}0x${offset4(off)}: ${hexPart}  ${asciiPart}`;
      hexPart = '';
      asciiPart = '';
      off += BYTES_PER_LINE;
    }
  }
  if (i < last) {
    hexPart += ` ${HEX2[b[i]!]}`;
    asciiPart += asciiChar(b[i]!);
  }
  if (hexPart.length > 0) {
    out += `${ident}0x${offset4(off)}: ${hexPart}${SPACES.slice(hexPart.length)}  ${asciiPart}`;
  }
  return out;
}

/** hex_print: lines of `IDENT0xOOOO: ` followed by up to 8 ` xxxx` groups. */
export function hexOnly(ident: string, b: Uint8Array, start: number, length: number): string {
  let out = '';
  let groups = 0;
  let off = 0;
  let i = start;
  const last = start + length;
  for (; i + 1 < last; i += 2) {
    if (groups++ % 8 === 0) {
      out += `${ident}0x${offset4(off)}: `;
      off += BYTES_PER_LINE;
    }
    out += ` ${HEX2[b[i]!]}${HEX2[b[i + 1]!]}`;
  }
  if (i < last) {
    if (groups % 8 === 0) out += `${ident}0x${offset4(off)}: `;
    out += ` ${HEX2[b[i]!]}`;
  }
  return out;
}

/**
 * ascii_print: a newline, then the bytes as text. Printable characters, tab,
 * space and newline are kept, anything else is `.`; a CR is dropped unless it
 * has at least two bytes after it and the next one is not LF (tcpdump's test
 * is `length > 1`, so a CR second from the end is dropped too).
 */
export function asciiOnly(b: Uint8Array, start: number, length: number): string {
  let out = '\n';
  let left = length;
  let i = start;
  while (left > 0) {
    const s = b[i++]!;
    left--;
    if (s === 0x0d) {
      if (left > 1 && b[i] !== 0x0a) out += '.';
    } else if (isGraph(s) || s === 0x09 || s === 0x20 || s === 0x0a) {
      out += String.fromCharCode(s);
    } else {
      out += '.';
    }
  }
  return out;
}
