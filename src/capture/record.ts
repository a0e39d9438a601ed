/**
 * One captured packet as a capture file or a live tap hands it over, and the
 * link-layer header types (LINKTYPE_* from the tcpdump.org registry) tcplab knows.
 */

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_LINUX_SLL2 = 276;

/** Timestamps are kept as libpcap hands them to tcpdump: seconds and a fraction. */
export type TsPrecision = 'micro' | 'nano';

export interface CaptureRecord {
  /** Seconds since the epoch, as stored (may be any uint32 in a damaged file). */
  readonly sec: number;
  /**
   * Sub-second part in microseconds or nanoseconds (`precision`). Not range-checked:
   * a damaged pcap may hold 1000000 or more, and tcpdump prints it as it is.
   */
  readonly frac: number;
  readonly precision: TsPrecision;
  /** Length of the packet on the wire; `data.length` is the captured length. */
  readonly origLen: number;
  readonly data: Uint8Array;
  readonly linkType: number;
  /** pcapng interface number (0 for classic pcap). */
  readonly ifIndex: number;
}
