/**
 * Checksum offload and scatter-gather between simulated NICs, as Linux does it
 * with a device that has them (veth advertises NETIF_F_HW_CSUM and NETIF_F_SG):
 * TCP leaves its checksum pending (CHECKSUM_PARTIAL: tcp_v4_send_check writes
 * only the pseudo-header's folded sum), and a receiver that got the skb from
 * such a device takes the checksum as good (skb_csum_unnecessary is true of
 * CHECKSUM_PARTIAL) without summing the segment. A segment carrying at least
 * SG_MIN_PAYLOAD bytes goes further: its payload is not copied into the frame
 * but stays where it is in the sender's send buffer, which the receiver's
 * segment then reads (Linux's skb frags: the sender's pages, handed across the
 * veth pair without a copy). Summing every segment twice was the largest
 * single cost of a bulk transfer; copying its bytes into each frame the next.
 *
 * Nothing can see the difference: a frame is finished (skb_checksum_help, and
 * the payload copied in, as a device without SG would need it) before anything
 * reads its bytes as a wire would carry them. A host leaves work pending only
 * when no tap and no netfilter hook is on it (a capture, a raw socket or a
 * rule would read the frame); a link carries a pending frame only over a
 * direction without faults of a point-to-point link to a receiver that takes
 * it (Link.send), and finishes it for every other path: a drop it reports, a
 * bit it flips, a receiver that is not a host, a segment shared by several;
 * the host finishes it for whatever keeps or copies the bytes on the way (a
 * drop record, an ICMP error quoting it, a forwarded datagram, a frame waiting
 * for ARP, the loopback). The reference traces were captured with offloads
 * off: with them, as with this, every captured checksum is the real one.
 *
 * A send buffer's bytes never change once written (SendBuffer), so a payload
 * left there is what the frame would have held; a receiver must not write
 * into the bytes it is handed (nothing in tcplab does).
 *
 * Only TCP over IPv4 in an Ethernet frame is ever pending.
 */

import type { PendingWork } from '../sim/link.js';
import { get16 } from '../wire/bytes.js';
import { ETHERNET_HEADER_LEN } from '../wire/ethernet.js';
import { completeTcpChecksum } from '../wire/tcp.js';

/**
 * The smallest payload a segment leaves in its send buffer (scatter-gather):
 * below it, copying the bytes costs less than the object that carries them.
 */
export const SG_MIN_PAYLOAD = 512;

/**
 * What a TCP frame leaves to its device: the checksum, and the payload when it
 * is still in the sender's buffer (`payload`, the last bytes of the datagram).
 */
export class PendingTcp implements PendingWork {
  readonly payload: Uint8Array | undefined;

  constructor(payload: Uint8Array | undefined) {
    this.payload = payload;
  }

  /**
   * Finishes an Ethernet frame holding the IPv4 datagram: the payload copied
   * in, then the checksum; the segment is found from the IP header's fields.
   */
  complete(frame: Uint8Array): void {
    const ip = ETHERNET_HEADER_LEN;
    const headerLength = (frame[ip]! & 0x0f) * 4;
    const end = ip + get16(frame, ip + 2);
    const payload = this.payload;
    if (payload !== undefined) frame.set(payload, end - payload.length);
    completeTcpChecksum(frame, ip + headerLength, end);
  }
}

/** The work of every frame whose checksum alone is pending: one object for all. */
export const CHECKSUM_PENDING = new PendingTcp(undefined);
