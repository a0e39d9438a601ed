/**
 * Link-layer header types: the names tcpdump prints for them, and the Linux
 * "cooked" pseudo-headers a capture on `-i any` (or on a device without a
 * link-layer header) carries in front of each packet.
 *
 * Read first: the LINKTYPE registry at tcpdump.org (linktypes.html and its
 * LINKTYPE_LINUX_SLL and LINKTYPE_LINUX_SLL2 pages), libpcap's pcap/sll.h, and
 * tcpdump's print-sll.c.
 *
 * SLL (v1, LINKTYPE 113), 16 bytes, big-endian:
 *   packet type (2) | ARPHRD type (2) | address length (2) | address (8) | protocol (2)
 * SLL2 (LINKTYPE 276, what tcpdump 4.99 on libpcap 1.10 writes for `-i any`), 20 bytes:
 *   protocol (2) | reserved, zero (2) | interface index (4) | ARPHRD type (2) |
 *   packet type (1) | address length (1) | address (8)
 * The address is the link-layer *source* address, padded with zeros to 8 bytes;
 * the protocol is the Ethernet type of the payload.
 */

import { fail, ok, type Parsed } from '../wire/parsed.js';
import {
  type CaptureRecord,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  type TsPrecision,
} from './record.js';

/**
 * The name and description libpcap gives a link type (pcap_datalink_val_to_name
 * and _to_description after linktype_to_dlt), as tcpdump 4.99.3 / libpcap 1.10.3
 * print them in "reading from file F, link-type NAME (DESCRIPTION), …". Collected
 * from that tcpdump for every value 0-299; the file tests compare them with it.
 * Values 100-103 are the LINKTYPE numbers of DLT 11, 12, 15, 16 and share their
 * names; 12 is DLT_RAW on Linux.
 */
const LINKTYPE_NAMES: ReadonlyMap<number, readonly [string, string]> = new Map([
  [0, ['NULL', 'BSD loopback']],
  [1, ['EN10MB', 'Ethernet']],
  [6, ['IEEE802', 'Token ring']],
  [7, ['ARCNET', 'BSD ARCNET']],
  [8, ['SLIP', 'SLIP']],
  [9, ['PPP', 'PPP']],
  [10, ['FDDI', 'FDDI']],
  [11, ['ATM_RFC1483', 'RFC 1483 LLC-encapsulated ATM']],
  [12, ['RAW', 'Raw IP']],
  [15, ['SLIP_BSDOS', 'BSD/OS SLIP']],
  [16, ['PPP_BSDOS', 'BSD/OS PPP']],
  [19, ['ATM_CLIP', 'Linux Classical IP over ATM']],
  [50, ['PPP_SERIAL', 'PPP over serial']],
  [51, ['PPP_ETHER', 'PPPoE']],
  [99, ['SYMANTEC_FIREWALL', 'Symantec Firewall']],
  [100, ['ATM_RFC1483', 'RFC 1483 LLC-encapsulated ATM']],
  [101, ['RAW', 'Raw IP']],
  [102, ['SLIP_BSDOS', 'BSD/OS SLIP']],
  [103, ['PPP_BSDOS', 'BSD/OS PPP']],
  [104, ['C_HDLC', 'Cisco HDLC']],
  [105, ['IEEE802_11', '802.11']],
  [106, ['ATM_CLIP', 'Linux Classical IP over ATM']],
  [107, ['FRELAY', 'Frame Relay']],
  [108, ['LOOP', 'OpenBSD loopback']],
  [109, ['ENC', 'OpenBSD encapsulated IP']],
  [113, ['LINUX_SLL', 'Linux cooked v1']],
  [114, ['LTALK', 'Localtalk']],
  [117, ['PFLOG', 'OpenBSD pflog file']],
  [119, ['PRISM_HEADER', '802.11 plus Prism header']],
  [122, ['IP_OVER_FC', 'RFC 2625 IP-over-Fibre Channel']],
  [123, ['SUNATM', 'Sun raw ATM']],
  [127, ['IEEE802_11_RADIO', '802.11 plus radiotap header']],
  [129, ['ARCNET_LINUX', 'Linux ARCNET']],
  [130, ['JUNIPER_MLPPP', 'Juniper Multi-Link PPP']],
  [131, ['JUNIPER_MLFR', 'Juniper Multi-Link Frame Relay']],
  [132, ['JUNIPER_ES', 'Juniper Encryption Services PIC']],
  [133, ['JUNIPER_GGSN', 'Juniper GGSN PIC']],
  [134, ['JUNIPER_MFR', 'Juniper FRF.16 Frame Relay']],
  [135, ['JUNIPER_ATM2', 'Juniper ATM2 PIC']],
  [136, ['JUNIPER_SERVICES', 'Juniper Advanced Services PIC']],
  [137, ['JUNIPER_ATM1', 'Juniper ATM1 PIC']],
  [138, ['APPLE_IP_OVER_IEEE1394', 'Apple IP-over-IEEE 1394']],
  [139, ['MTP2_WITH_PHDR', 'SS7 MTP2 with Pseudo-header']],
  [140, ['MTP2', 'SS7 MTP2']],
  [141, ['MTP3', 'SS7 MTP3']],
  [142, ['SCCP', 'SS7 SCCP']],
  [143, ['DOCSIS', 'DOCSIS']],
  [144, ['LINUX_IRDA', 'Linux IrDA']],
  [163, ['IEEE802_11_RADIO_AVS', '802.11 plus AVS radio information header']],
  [164, ['JUNIPER_MONITOR', 'Juniper Passive Monitor PIC']],
  [165, ['BACNET_MS_TP', 'BACnet MS/TP']],
  [166, ['PPP_PPPD', 'PPP for pppd, with direction flag']],
  [167, ['JUNIPER_PPPOE', 'Juniper PPPoE']],
  [168, ['JUNIPER_PPPOE_ATM', 'Juniper PPPoE/ATM']],
  [169, ['GPRS_LLC', 'GPRS LLC']],
  [170, ['GPF_T', 'GPF-T']],
  [171, ['GPF_F', 'GPF-F']],
  [174, ['JUNIPER_PIC_PEER', 'Juniper PIC Peer']],
  [175, ['ERF_ETH', 'Ethernet with Endace ERF header']],
  [176, ['ERF_POS', 'Packet-over-SONET with Endace ERF header']],
  [177, ['LINUX_LAPD', 'Linux vISDN LAPD']],
  [178, ['JUNIPER_ETHER', 'Juniper Ethernet']],
  [179, ['JUNIPER_PPP', 'Juniper PPP']],
  [180, ['JUNIPER_FRELAY', 'Juniper Frame Relay']],
  [181, ['JUNIPER_CHDLC', 'Juniper C-HDLC']],
  [182, ['MFR', 'FRF.16 Frame Relay']],
  [183, ['JUNIPER_VP', 'Juniper Voice PIC']],
  [184, ['A429', 'Arinc 429']],
  [185, ['A653_ICM', 'Arinc 653 Interpartition Communication']],
  [186, ['USB_FREEBSD', 'USB with FreeBSD header']],
  [187, ['BLUETOOTH_HCI_H4', 'Bluetooth HCI UART transport layer']],
  [188, ['IEEE802_16_MAC_CPS', 'IEEE 802.16 MAC Common Part Sublayer']],
  [189, ['USB_LINUX', 'USB with Linux header']],
  [190, ['CAN20B', 'Controller Area Network (CAN) v. 2.0B']],
  [191, ['IEEE802_15_4_LINUX', 'IEEE 802.15.4 with Linux padding']],
  [192, ['PPI', 'Per-Packet Information']],
  [193, ['IEEE802_16_MAC_CPS_RADIO', 'IEEE 802.16 MAC Common Part Sublayer plus radiotap header']],
  [194, ['JUNIPER_ISM', 'Juniper Integrated Service Module']],
  [195, ['IEEE802_15_4', 'IEEE 802.15.4 with FCS']],
  [196, ['SITA', 'SITA pseudo-header']],
  [197, ['ERF', 'Endace ERF header']],
  [198, ['RAIF1', 'Ethernet with u10 Networks pseudo-header']],
  [199, ['IPMB_KONTRON', 'IPMB with Kontron pseudo-header']],
  [200, ['JUNIPER_ST', 'Juniper Secure Tunnel']],
  [201, ['BLUETOOTH_HCI_H4_WITH_PHDR', 'Bluetooth HCI UART transport layer plus pseudo-header']],
  [202, ['AX25_KISS', 'AX.25 with KISS header']],
  [209, ['IPMB_LINUX', 'IPMB with Linux/Pigeon Point pseudo-header']],
  [215, ['IEEE802_15_4_NONASK_PHY', 'IEEE 802.15.4 with non-ASK PHY data']],
  [216, ['LINUX_EVDEV', 'Linux evdev events']],
  [219, ['MPLS', 'MPLS with label as link-layer header']],
  [220, ['USB_LINUX_MMAPPED', 'USB with padded Linux header']],
  [221, ['DECT', 'DECT']],
  [222, ['AOS', 'AOS Space Data Link protocol']],
  [223, ['WIHART', 'Wireless HART']],
  [224, ['FC_2', 'Fibre Channel FC-2']],
  [225, ['FC_2_WITH_FRAME_DELIMS', 'Fibre Channel FC-2 with frame delimiters']],
  [226, ['IPNET', 'Solaris ipnet']],
  [227, ['CAN_SOCKETCAN', 'CAN-bus with SocketCAN headers']],
  [228, ['IPV4', 'Raw IPv4']],
  [229, ['IPV6', 'Raw IPv6']],
  [230, ['IEEE802_15_4_NOFCS', 'IEEE 802.15.4 without FCS']],
  [231, ['DBUS', 'D-Bus']],
  [232, ['JUNIPER_VS', 'Juniper Virtual Server']],
  [233, ['JUNIPER_SRX_E2E', 'Juniper SRX E2E']],
  [234, ['JUNIPER_FIBRECHANNEL', 'Juniper Fibre Channel']],
  [235, ['DVB_CI', 'DVB-CI']],
  [236, ['MUX27010', 'MUX27010']],
  [237, ['STANAG_5066_D_PDU', 'STANAG 5066 D_PDUs']],
  [238, ['JUNIPER_ATM_CEMIC', 'Juniper ATM CEMIC']],
  [239, ['NFLOG', 'Linux netfilter log messages']],
  [240, ['NETANALYZER', 'Ethernet with Hilscher netANALYZER pseudo-header']],
  [
    241,
    [
      'NETANALYZER_TRANSPARENT',
      'Ethernet with Hilscher netANALYZER pseudo-header and with preamble and SFD',
    ],
  ],
  [242, ['IPOIB', 'RFC 4391 IP-over-Infiniband']],
  [243, ['MPEG_2_TS', 'MPEG-2 transport stream']],
  [244, ['NG40', 'ng40 protocol tester Iub/Iur']],
  [245, ['NFC_LLCP', 'NFC LLCP PDUs with pseudo-header']],
  [246, ['PFSYNC', 'Packet filter state syncing']],
  [247, ['INFINIBAND', 'InfiniBand']],
  [248, ['SCTP', 'SCTP']],
  [249, ['USBPCAP', 'USB with USBPcap header']],
  [250, ['RTAC_SERIAL', 'Schweitzer Engineering Laboratories RTAC packets']],
  [251, ['BLUETOOTH_LE_LL', 'Bluetooth Low Energy air interface']],
  [253, ['NETLINK', 'Linux netlink']],
  [254, ['BLUETOOTH_LINUX_MONITOR', 'Bluetooth Linux Monitor']],
  [255, ['BLUETOOTH_BREDR_BB', 'Bluetooth Basic Rate/Enhanced Data Rate baseband packets']],
  [256, ['BLUETOOTH_LE_LL_WITH_PHDR', 'Bluetooth Low Energy air interface with pseudo-header']],
  [257, ['PROFIBUS_DL', 'PROFIBUS data link layer']],
  [258, ['PKTAP', 'Apple DLT_PKTAP']],
  [259, ['EPON', 'Ethernet with 802.3 Clause 65 EPON preamble']],
  [260, ['IPMI_HPM_2', 'IPMI trace packets']],
  [261, ['ZWAVE_R1_R2', 'Z-Wave RF profile R1 and R2 packets']],
  [262, ['ZWAVE_R3', 'Z-Wave RF profile R3 packets']],
  [
    263,
    [
      'WATTSTOPPER_DLM',
      'WattStopper Digital Lighting Management (DLM) and Legrand Nitoo Open protocol',
    ],
  ],
  [264, ['ISO_14443', 'ISO 14443 messages']],
  [265, ['RDS', 'IEC 62106 Radio Data System groups']],
  [266, ['USB_DARWIN', 'USB with Darwin header']],
  [267, ['OPENFLOW', 'OpenBSD DLT_OPENFLOW']],
  [268, ['SDLC', 'IBM SDLC frames']],
  [269, ['TI_LLN_SNIFFER', 'TI LLN sniffer frames']],
  [271, ['VSOCK', 'Linux vsock']],
  [272, ['NORDIC_BLE', 'Nordic Semiconductor Bluetooth LE sniffer frames']],
  [273, ['DOCSIS31_XRA31', 'Excentis XRA-31 DOCSIS 3.1 RF sniffer frames']],
  [274, ['ETHERNET_MPACKET', '802.3br mPackets']],
  [275, ['DISPLAYPORT_AUX', 'DisplayPort AUX channel monitoring data']],
  [276, ['LINUX_SLL2', 'Linux cooked v2']],
  [278, ['OPENVIZSLA', 'OpenVizsla USB']],
  [279, ['EBHSCR', 'Elektrobit High Speed Capture and Replay (EBHSCR)']],
  [280, ['VPP_DISPATCH', 'VPP graph dispatch tracer']],
  [281, ['DSA_TAG_BRCM', 'Broadcom tag']],
  [282, ['DSA_TAG_BRCM_PREPEND', 'Broadcom tag (prepended)']],
  [283, ['IEEE802_15_4_TAP', 'IEEE 802.15.4 with pseudo-header']],
  [284, ['DSA_TAG_DSA', 'Marvell DSA']],
  [285, ['DSA_TAG_EDSA', 'Marvell EDSA']],
  [286, ['ELEE', 'ELEE lawful intercept packets']],
  [287, ['Z_WAVE_SERIAL', 'Z-Wave serial frames between host and chip']],
  [288, ['USB_2_0', 'USB 2.0/1.1/1.0 as transmitted over the cable']],
  [289, ['ATSC_ALP', 'ATSC Link-Layer Protocol packets']],
]);

/**
 * What tcpdump prints after "link-type " for a link type: `EN10MB (Ethernet)`,
 * `LINUX_SLL2 (Linux cooked v2)`, or the bare number for a type libpcap has no
 * name for (tcpdump: "link-type 2").
 */
export function linkTypeName(linkType: number): string {
  const n = LINKTYPE_NAMES.get(linkType);
  return n ? `${n[0]} (${n[1]})` : String(linkType);
}

/** The short name alone (`EN10MB`), or undefined when libpcap has none. */
export function linkTypeShortName(linkType: number): string | undefined {
  return LINKTYPE_NAMES.get(linkType)?.[0];
}

// Packet types: libpcap pcap/sll.h LINUX_SLL_*, the kernel's PACKET_* of
// include/uapi/linux/if_packet.h (sll_pkttype).
/** Addressed to this host. */
export const LINUX_SLL_HOST = 0;
export const LINUX_SLL_BROADCAST = 1;
export const LINUX_SLL_MULTICAST = 2;
/** Addressed to another host, seen in promiscuous mode. */
export const LINUX_SLL_OTHERHOST = 3;
/** Sent by this host. */
export const LINUX_SLL_OUTGOING = 4;

/**
 * tcpdump print-sll.c sll_pkttype_values: the direction column of `-i any`
 * output (`lo    In  IP …`); "?" for any other value.
 */
export function sllPacketTypeName(packetType: number): string {
  switch (packetType) {
    case LINUX_SLL_HOST:
      return 'In';
    case LINUX_SLL_BROADCAST:
      return 'B';
    case LINUX_SLL_MULTICAST:
      return 'M';
    case LINUX_SLL_OTHERHOST:
      return 'P';
    case LINUX_SLL_OUTGOING:
      return 'Out';
    default:
      return '?';
  }
}

// ARPHRD types: Linux include/uapi/linux/if_arp.h.
export const ARPHRD_ETHER = 1;
export const ARPHRD_LOOPBACK = 772;

/** libpcap pcap/sll.h SLL_HDR_LEN. */
export const SLL_HDR_LEN = 16;
/** libpcap pcap/sll.h SLL2_HDR_LEN. */
export const SLL2_HDR_LEN = 20;
/** libpcap pcap/sll.h SLL_ADDRLEN: room for 8 address bytes. */
export const SLL_ADDRLEN = 8;

const ETHERTYPE_IP = 0x0800;
/** Linux include/uapi/linux/if_ether.h ETH_P_802_3: Novell raw 802.3 (starts 0xFFFF). */
const ETH_P_802_3 = 0x0001;
/** Linux include/uapi/linux/if_ether.h ETH_P_802_2: an 802.2 LLC frame. */
const ETH_P_802_2 = 0x0004;
/** IEEE 802.3: a type/length field below 1536 is a length. */
const ETH_P_802_3_MIN = 0x0600;
const ETHER_HDR_LEN = 14;
const ETHER_ADDR_LEN = 6;

/** A Linux cooked v1 header and what follows it. */
export interface SllFrame {
  readonly packetType: number;
  readonly arphrdType: number;
  /** As stored; may exceed 8 in a damaged file. */
  readonly addressLength: number;
  /** All 8 address bytes as stored (only `addressLength` of them are meaningful). */
  readonly address: Uint8Array;
  /** Ethernet type of the payload, or a Linux ETH_P_* pseudo-type. */
  readonly protocol: number;
  readonly payload: Uint8Array;
}

/** A Linux cooked v2 header and what follows it. */
export interface Sll2Frame {
  readonly protocol: number;
  /** Must be zero; kept so that emit(parse(x)) is x. */
  readonly reserved: number;
  readonly interfaceIndex: number;
  readonly arphrdType: number;
  readonly packetType: number;
  readonly addressLength: number;
  readonly address: Uint8Array;
  readonly payload: Uint8Array;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Copies up to 8 address bytes into a zero-padded 8-byte field. */
function addressField(address: Uint8Array | undefined): Uint8Array {
  const field = new Uint8Array(SLL_ADDRLEN);
  if (address) field.set(address.subarray(0, SLL_ADDRLEN));
  return field;
}

export function parseSll(bytes: Uint8Array): Parsed<SllFrame> {
  if (bytes.length < SLL_HDR_LEN) {
    return fail('sll', `${bytes.length} bytes, shorter than the ${SLL_HDR_LEN}-byte header`, 0);
  }
  const dv = view(bytes);
  return ok({
    packetType: dv.getUint16(0),
    arphrdType: dv.getUint16(2),
    addressLength: dv.getUint16(4),
    address: bytes.subarray(6, 14),
    protocol: dv.getUint16(14),
    payload: bytes.subarray(SLL_HDR_LEN),
  });
}

/** The header and the payload; `address` beyond 8 bytes is cut, a shorter one zero-padded. */
export function emitSll(
  frame: Omit<SllFrame, 'address'> & { readonly address?: Uint8Array },
): Uint8Array {
  const out = new Uint8Array(SLL_HDR_LEN + frame.payload.length);
  const dv = view(out);
  dv.setUint16(0, frame.packetType);
  dv.setUint16(2, frame.arphrdType);
  dv.setUint16(4, frame.addressLength);
  out.set(addressField(frame.address), 6);
  dv.setUint16(14, frame.protocol);
  out.set(frame.payload, SLL_HDR_LEN);
  return out;
}

export function parseSll2(bytes: Uint8Array): Parsed<Sll2Frame> {
  if (bytes.length < SLL2_HDR_LEN) {
    return fail('sll2', `${bytes.length} bytes, shorter than the ${SLL2_HDR_LEN}-byte header`, 0);
  }
  const dv = view(bytes);
  return ok({
    protocol: dv.getUint16(0),
    reserved: dv.getUint16(2),
    interfaceIndex: dv.getUint32(4),
    arphrdType: dv.getUint16(8),
    packetType: bytes[10]!,
    addressLength: bytes[11]!,
    address: bytes.subarray(12, 20),
    payload: bytes.subarray(SLL2_HDR_LEN),
  });
}

export function emitSll2(
  frame: Omit<Sll2Frame, 'address' | 'reserved'> & {
    readonly address?: Uint8Array;
    readonly reserved?: number;
  },
): Uint8Array {
  const out = new Uint8Array(SLL2_HDR_LEN + frame.payload.length);
  const dv = view(out);
  dv.setUint16(0, frame.protocol);
  dv.setUint16(2, frame.reserved ?? 0);
  dv.setUint32(4, frame.interfaceIndex);
  dv.setUint16(8, frame.arphrdType);
  out[10] = frame.packetType;
  out[11] = frame.addressLength;
  out.set(addressField(frame.address), 12);
  out.set(frame.payload, SLL2_HDR_LEN);
  return out;
}

/** Where and how a packet was seen, for an SLL2 header. */
export interface Sll2Tap {
  /** The interface's index (`ip link` numbers; lo is 1). */
  readonly interfaceIndex: number;
  /** LINUX_SLL_HOST for received packets, LINUX_SLL_OUTGOING for sent ones, … */
  readonly packetType: number;
}

/**
 * An IPv4 packet as `tcpdump -i any` writes it, when there is no Ethernet
 * frame to take the header from: on loopback (ARPHRD_LOOPBACK, a 6-byte
 * all-zero address, as local-sll2-lo.pcap shows), or on an Ethernet NIC with
 * the sender's MAC given in `address`.
 */
export function wrapIpv4InSll2(
  packet: Uint8Array,
  tap: Sll2Tap & { readonly arphrdType?: number; readonly address?: Uint8Array },
): Uint8Array {
  const address = tap.address ?? new Uint8Array(ETHER_ADDR_LEN);
  return emitSll2({
    protocol: ETHERTYPE_IP,
    interfaceIndex: tap.interfaceIndex,
    arphrdType: tap.arphrdType ?? ARPHRD_LOOPBACK,
    packetType: tap.packetType,
    addressLength: Math.min(address.length, SLL_ADDRLEN),
    address,
    payload: packet,
  });
}

/**
 * An Ethernet frame as `tcpdump -i any` writes it: the 14-byte Ethernet header
 * becomes an SLL2 header with the frame's type and its source MAC
 * (libpcap pcap-linux.c fills it from the packet socket's sockaddr_ll, whose
 * address is the source, for sent and received frames alike).
 *
 * Linux eth_type_trans: a type field below 1536 is an 802.3 length, and the
 * socket reports ETH_P_802_3 for a Novell raw frame (payload starting 0xFFFF),
 * ETH_P_802_2 otherwise.
 */
export function wrapEthernetInSll2(frame: Uint8Array, tap: Sll2Tap): Parsed<Uint8Array> {
  if (frame.length < ETHER_HDR_LEN) {
    return fail(
      'ethernet',
      `frame of ${frame.length} bytes, shorter than the ${ETHER_HDR_LEN}-byte header`,
      0,
    );
  }
  const payload = frame.subarray(ETHER_HDR_LEN);
  let protocol = view(frame).getUint16(12);
  if (protocol < ETH_P_802_3_MIN) {
    protocol = payload[0] === 0xff && payload[1] === 0xff ? ETH_P_802_3 : ETH_P_802_2;
  }
  return ok(
    emitSll2({
      protocol,
      interfaceIndex: tap.interfaceIndex,
      arphrdType: ARPHRD_ETHER,
      packetType: tap.packetType,
      addressLength: ETHER_ADDR_LEN,
      address: frame.subarray(6, 12),
      payload,
    }),
  );
}

/** A packet to record as `tcpdump -i any` would. */
export interface AnyCapturePacket extends Sll2Tap {
  readonly sec: number;
  readonly frac: number;
  readonly precision: TsPrecision;
  /** An IPv4 packet (`kind: 'ipv4'`) or a whole Ethernet frame. */
  readonly kind: 'ipv4' | 'ethernet';
  readonly bytes: Uint8Array;
  /** For `ipv4`: ARPHRD type and source address (default: loopback, zeros). */
  readonly arphrdType?: number;
  readonly address?: Uint8Array;
}

/**
 * The capture record `tcpdump -i any` writes for a packet: LINKTYPE_LINUX_SLL2,
 * the SLL2 header in place of the Ethernet header (if any), the whole packet
 * captured. A frame shorter than an Ethernet header is an error.
 */
export function sll2Record(p: AnyCapturePacket): Parsed<CaptureRecord> {
  let data: Uint8Array;
  if (p.kind === 'ethernet') {
    const wrapped = wrapEthernetInSll2(p.bytes, p);
    if (!wrapped.ok) return wrapped;
    data = wrapped.value;
  } else {
    data = wrapIpv4InSll2(p.bytes, p);
  }
  return ok({
    sec: p.sec,
    frac: p.frac,
    precision: p.precision,
    origLen: data.length,
    data,
    linkType: LINKTYPE_LINUX_SLL2,
    ifIndex: 0,
  });
}

export { LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2 };
