/**
 * Numbers the filter language compiles to: Ethernet types, IP protocol numbers,
 * 802.2 SAPs and the fields the code generator tests. Each one says where it
 * comes from; libpcap 1.10 keeps them in ethertype.h, llc.h, nlpid.h, ppp.h and
 * pcap/sll.h.
 */

/** IEEE 802.3: a type/length field at or below this is a length (libpcap gencode.c ETHERMTU). */
export const ETHERMTU = 1500;

// IEEE 802 EtherType registry (libpcap ethertype.h).
export const ETHERTYPE_IP = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_MOPDL = 0x6001;
export const ETHERTYPE_MOPRC = 0x6002;
export const ETHERTYPE_DN = 0x6003;
export const ETHERTYPE_LAT = 0x6004;
export const ETHERTYPE_SCA = 0x6007;
export const ETHERTYPE_REVARP = 0x8035;
export const ETHERTYPE_ATALK = 0x809b;
export const ETHERTYPE_AARP = 0x80f3;
export const ETHERTYPE_IPX = 0x8137;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_PPPOED = 0x8863;
/** IEEE 802.1Q, 802.1ad, and the pre-standard QinQ tag (libpcap ethertype.h). */
export const ETHERTYPE_8021Q = 0x8100;
export const ETHERTYPE_8021AD = 0x88a8;
export const ETHERTYPE_8021QINQ = 0x9100;
export const ETHERTYPE_LOOPBACK = 0x9000;

// IANA protocol numbers (libpcap gencode.c fallbacks; Debian 12 /etc/protocols).
export const IPPROTO_ICMP = 1;
export const IPPROTO_IGMP = 2;
export const IPPROTO_TCP = 6;
export const IPPROTO_IGRP = 9;
export const IPPROTO_UDP = 17;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_ESP = 50;
export const IPPROTO_AH = 51;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_PIM = 103;
/** VRRP and CARP share protocol 112 (libpcap gencode.c IPPROTO_VRRP, IPPROTO_CARP). */
export const IPPROTO_VRRP = 112;
export const IPPROTO_CARP = 112;
export const IPPROTO_SCTP = 132;
/** libpcap pcap/namedb.h PROTO_UNDEF: "TCP, UDP or SCTP" for ports. */
export const PROTO_UNDEF = -1;

// IEEE 802.2 SAPs (libpcap llc.h).
export const LLCSAP_IP = 0x06;
export const LLCSAP_8021D = 0x42;
export const LLCSAP_SNAP = 0xaa;
export const LLCSAP_IPX = 0xe0;
export const LLCSAP_NETBEUI = 0xf0;
export const LLCSAP_ISONS = 0xfe;

// IEEE 802.2 control field values (libpcap llc.h).
export const LLC_S_FMT = 1;
export const LLC_U_FMT = 3;
export const LLC_S_CMD_MASK = 0x0f;
export const LLC_U_CMD_MASK = 0xef;
export const LLC_RR = 0x01;
export const LLC_RNR = 0x05;
export const LLC_REJ = 0x09;
export const LLC_UI = 0x03;
export const LLC_UA = 0x63;
export const LLC_DISC = 0x43;
export const LLC_DM = 0x0f;
export const LLC_SABME = 0x6f;
export const LLC_TEST = 0xe3;
export const LLC_XID = 0xaf;
export const LLC_FRMR = 0x87;

// ISO network layer protocol identifiers (libpcap nlpid.h).
export const ISO8473_CLNP = 0x81;
export const ISO9542_ESIS = 0x82;
export const ISO10589_ISIS = 0x83;
// IS-IS PDU types (libpcap gencode.h).
export const ISIS_L1_LAN_IIH = 15;
export const ISIS_L2_LAN_IIH = 16;
export const ISIS_PTP_IIH = 17;
export const ISIS_L1_LSP = 18;
export const ISIS_L2_LSP = 20;
export const ISIS_L1_CSNP = 24;
export const ISIS_L2_CSNP = 25;
export const ISIS_L1_PSNP = 26;
export const ISIS_L2_PSNP = 27;

// Linux cooked headers (libpcap pcap/sll.h).
/** sll_protocol of 802.3 frames without an 802.2 header (Novell raw). */
export const LINUX_SLL_P_802_3 = 0x0001;
/** sll_protocol of frames with an 802.2 LLC header. */
export const LINUX_SLL_P_802_2 = 0x0004;
/** sll_pkttype of a packet this host sent. */
export const LINUX_SLL_OUTGOING = 4;
