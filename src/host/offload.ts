/**
 * Checksum offload between simulated NICs, as Linux does it with a device that
 * has it (veth advertises NETIF_F_HW_CSUM): TCP leaves its checksum pending
 * (CHECKSUM_PARTIAL: tcp_v4_send_check writes only the pseudo-header's folded
 * sum), and a receiver that got the skb from such a device takes the checksum
 * as good (skb_csum_unnecessary is true of CHECKSUM_PARTIAL) without summing
 * the segment. Summing every segment twice was the largest single cost of a
 * bulk transfer.
 *
 * Nothing can see the difference: a frame is finished (skb_checksum_help)
 * before anything reads its bytes as a wire would carry them. A host leaves a
 * checksum pending only when no tap and no netfilter hook is on it (a capture,
 * a raw socket or a rule would read the frame); a link carries a pending frame
 * only over a direction without faults to receivers that take it (Link.send),
 * and finishes it for every other path: a drop it reports, a bit it flips, a
 * receiver that is not a host; the host finishes it for whatever keeps or
 * copies the bytes on the way (a drop record, an ICMP error quoting it, a
 * forwarded datagram, a frame waiting for ARP, the loopback). The reference
 * traces were captured with offloads off: with them, as with this, every
 * captured checksum is the real one.
 *
 * Only TCP over IPv4 in an Ethernet frame is ever pending.
 */

import { get16 } from '../wire/bytes.js';
import { ETHERNET_HEADER_LEN } from '../wire/ethernet.js';
import { completeTcpChecksum } from '../wire/tcp.js';

/**
 * Finishes the pending TCP checksum of an Ethernet frame holding an IPv4
 * datagram (a LinkEndpoint's FrameCompleter): the segment is found from the IP
 * header's length fields.
 */
export function completeFrameChecksum(frame: Uint8Array): void {
  const ip = ETHERNET_HEADER_LEN;
  const headerLength = (frame[ip]! & 0x0f) * 4;
  const total = get16(frame, ip + 2);
  completeTcpChecksum(frame, ip + headerLength, ip + total);
}
