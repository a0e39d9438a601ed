/**
 * Name tables tcpdump 4.99.3 prints from: Ethernet types, IP protocol names,
 * service names of Debian 12's /etc/services, and the OUI vendor names of
 * `-e` without `-n`.
 *
 * Each table was taken from tcpdump 4.99.3 itself (Debian 12 `4.99.3-1`) by
 * printing frames carrying every value and reading the names back, so they are
 * what the binary prints, not what some header says: `ETHERTYPES` is
 * print-ether.c ethertype_values, `IPPROTO_NAMES` ipproto.c ipproto_values (the
 * `-v` header), `NETDB_PROTOCOLS` ipproto.c netdb_protoname (used without -n),
 * and service names come from ../netdb.ts: the first name of each port in
 * /etc/services, as getservent() returns them (addrtoname.c init_servarray
 * keeps the first).
 */

import { portToService } from '../netdb.js';
import { decimal, HEX2, type NameResolver } from './context.js';

/** print-ether.c ethertype_values (tcpdump 4.99.3). */
export const ETHERTYPES: ReadonlyMap<number, string> = new Map([
  [0x0800, 'IPv4'],
  [0x8847, 'MPLS unicast'],
  [0x8848, 'MPLS multicast'],
  [0x86dd, 'IPv6'],
  [0x8100, '802.1Q'],
  [0x9100, '802.1Q-9100'],
  [0x88a8, '802.1Q-QinQ'],
  [0x9200, '802.1Q-9200'],
  [0x88e5, '802.1AE MACsec'],
  [0x0200, 'PUP'],
  [0x0806, 'ARP'],
  [0x8035, 'Reverse ARP'],
  [0x0600, 'NS'],
  [0x0500, 'Sprite'],
  [0x1000, 'Trail'],
  [0x6001, 'MOP DL'],
  [0x6002, 'MOP RC'],
  [0x6003, 'DN'],
  [0x6004, 'LAT'],
  [0x6007, 'SCA'],
  [0x6558, 'TEB'],
  [0x8038, 'Lanbridge'],
  [0x803c, 'DEC DNS'],
  [0x803e, 'DEC DTS'],
  [0x805b, 'VEXP'],
  [0x805c, 'VPROD'],
  [0x809b, 'Appletalk'],
  [0x80f3, 'Appletalk ARP'],
  [0x8137, 'IPX'],
  [0x880b, 'PPP'],
  [0x8808, 'MPCP'],
  [0x8809, 'Slow Protocols'],
  [0x8863, 'PPPoE D'],
  [0x8864, 'PPPoE S'],
  [0x888e, 'EAPOL'],
  [0x8899, 'Realtek protocols'],
  [0x886f, 'MS NLB heartbeat'],
  [0x8870, 'Jumbo'],
  [0x894f, 'NSH'],
  [0x9000, 'Loopback'],
  [0xfefe, 'OSI'],
  [0x00fe, 'GRE-OSI'],
  [0xabcd, 'CFM (old)'],
  [0x8902, 'CFM'],
  [0x893a, 'IEEE1905.1'],
  [0x88cc, 'LLDP'],
  [0x88ca, 'TIPC'],
  [0x0707, 'GeoNet (old)'],
  [0x8947, 'GeoNet'],
  [0x1111, 'CALM FAST'],
  [0x88a2, 'AoE'],
  [0x88f7, 'PTP'],
  [0xd28b, 'Arista Vendor Specific Protocol'],
]);

/** ipproto.c ipproto_values: the name in the `-v` header's `proto NAME (N)`. */
export const IPPROTO_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'Options'],
  [1, 'ICMP'],
  [2, 'IGMP'],
  [4, 'IPIP'],
  [6, 'TCP'],
  [8, 'EGP'],
  [9, 'IGRP'],
  [17, 'UDP'],
  [33, 'DCCP'],
  [41, 'IPv6'],
  [43, 'Routing'],
  [44, 'Fragment'],
  [46, 'RSVP'],
  [47, 'GRE'],
  [50, 'ESP'],
  [51, 'AH'],
  [55, 'Mobile IP'],
  [58, 'ICMPv6'],
  [88, 'EIGRP'],
  [89, 'OSPF'],
  [103, 'PIM'],
  [108, 'Compressed IP'],
  [112, 'VRRP'],
  [113, 'PGM'],
  [132, 'SCTP'],
  [135, 'Mobility'],
  [143, 'Ethernet'],
]);

// ipproto.c netdb_protoname: `N=name` pairs.
const NETDB_PROTOCOLS: readonly string[] = [
  '0=hopopt 1=icmp 2=igmp 3=ggp 4=ipencap 5=st 6=tcp 7=cbt 8=egp 9=igp 10=bbn-rcc-mon',
  '11=nvp-ii 12=pup 13=argus 14=emcon 15=xnet 16=chaos 17=udp 18=mux 19=dcn-meas 20=hmp',
  '21=prm 22=xns-idp 23=trunk-1 24=trunk-2 25=leaf-1 26=leaf-2 27=rdp 28=irtp 29=iso-tp4',
  '30=netblt 31=mfe-nsp 32=merit-inp 33=dccp 34=3pc 35=idpr 36=xtp 37=ddp 38=idpr-cmtp',
  '39=tp++ 40=il 41=ipv6 42=sdrp 43=ipv6-route 44=ipv6-frag 45=idrp 46=rsvp 47=gre 48=dsr',
  '49=bna 50=esp 51=ah 52=i-nlsp 53=swipe 54=narp 55=mobile 56=tlsp 57=skip 58=ipv6-icmp',
  '59=ipv6-nonxt 60=ipv6-opts 62=cftp 64=sat-expak 65=kryptolan 66=rvd 67=ippc 69=sat-mon',
  '70=visa 71=ipcv 72=cpnx 73=rspf 74=wsn 75=pvp 76=br-sat-mon 77=sun-nd 78=wb-mon',
  '79=wb-expak 80=iso-ip 81=vmtp 82=secure-vmtp 83=vines 84=ttp 85=nsfnet-igp 86=dgp 87=tcf',
  '88=eigrp 89=ospf 90=sprite-rpc 91=larp 92=mtp 93=ax.25 94=ipip 95=micp 96=scc-sp',
  '97=etherip 98=encap 100=gmtp 101=ifmp 102=pnni 103=pim 104=aris 105=scps 106=qnx 107=a/n',
  '108=ipcomp 109=snp 110=compaq-peer 111=ipx-in-ip 112=vrrp 113=pgm 115=l2tp 116=ddx',
  '117=iatp 118=stp 119=srp 120=uti 121=smp 122=sm 123=ptp 124=isis 125=fire 126=crtp',
  '127=crudp 128=sscopmce 129=iplt 130=sps 131=pipe 132=sctp 133=fc 134=rsvp-e2e-ignore',
  '135=mobility-header 136=udplite 137=mpls-in-ip 138=manet 139=hip 140=shim6 141=wesp',
  '142=rohc 253=exptest-253 254=exptest-254 255=reserved',
];

function pairs(lines: readonly string[]): Map<number, string> {
  const m = new Map<number, string>();
  for (const line of lines) {
    for (const item of line.split(' ')) {
      const eq = item.indexOf('=');
      m.set(Number(item.slice(0, eq)), item.slice(eq + 1));
    }
  }
  return m;
}

/** ipproto.c netdb_protoname, for `ip-proto-N` without -n. */
export const NETDB_PROTOCOL_NAMES: ReadonlyMap<number, string> = pairs(NETDB_PROTOCOLS);

/** addrtoname.c tcpport_string without -n: the service name, else the number. */
export function tcpServiceName(port: number): string {
  return portToService(port, 'tcp') ?? decimal(port);
}

/** addrtoname.c udpport_string without -n. */
export function udpServiceName(port: number): string {
  return portToService(port, 'udp') ?? decimal(port);
}

/** oui.c oui_values: the vendor printed after a MAC address without -n. */
const OUI_NAMES: ReadonlyMap<number, string> = new Map([
  [0x000000, 'Ethernet'],
  [0x00000c, 'Cisco'],
  [0x00005e, 'IANA'],
  [0x000081, 'Nortel Networks SONMP'],
  [0x0000f8, 'Cisco bridged'],
  [0x00049f, 'Freescale'],
  [0x0004ea, 'HP-Labs'],
  [0x001018, 'Broadcom'],
  [0x00120f, 'IEEE 802.3 Private'],
  [0x0012bb, 'ANSI/TIA'],
  [0x0015ad, 'Netronome'],
  [0x001b21, 'DCBX'],
  [0x002320, 'Nicira Networks'],
  [0x002481, 'HP'],
  [0x0080c2, 'Ethernet bridged'],
  [0x009069, 'Juniper'],
  [0x00a03e, 'ATM Forum'],
  [0x00e004, 'PMC-Sierra'],
  [0x00e02f, 'DOCSIS Spanning Tree'],
  [0x080007, 'Appletalk'],
  [0x080009, 'Hewlett-Packard'],
  [0x5c16c7, 'Big Switch Networks'],
  [0x748771, 'Infoblox Inc'],
  [0xa42305, 'Open Networking Lab'],
  [0xb0d2f5, 'Vello Systems'],
  [0xd0f0db, 'Ericsson'],
]);

/** oui.c oui_values lookup. */
export function ouiName(oui: number): string | undefined {
  return OUI_NAMES.get(oui);
}

/**
 * addrtoname.c etheraddr_string: `xx:xx:xx:xx:xx:xx`; without -n the
 * broadcast address is `Broadcast` (init_etherarray) and any other address is
 * followed by ` (oui VENDOR)`, `Unknown` when the OUI is not in the table.
 */
export function etherAddrString(b: Uint8Array, off: number, nflag: number): string {
  const text = `${HEX2[b[off]!]}:${HEX2[b[off + 1]!]}:${HEX2[b[off + 2]!]}:${HEX2[b[off + 3]!]}:${HEX2[b[off + 4]!]}:${HEX2[b[off + 5]!]}`;
  if (nflag) return text;
  if (text === 'ff:ff:ff:ff:ff:ff') return 'Broadcast';
  const oui = (b[off]! << 16) | (b[off + 1]! << 8) | b[off + 2]!;
  return `${text} (oui ${OUI_NAMES.get(oui) ?? 'Unknown'})`;
}

/**
 * The lookups of a run: services and OUIs from the tables above, host names
 * from the caller's hook (tcpdump asks the resolver; a lab asks its hosts),
 * cached per address like addrtoname.c's hnametable.
 */
export function createNameResolver(hostName?: (ipv4: number) => string | undefined): NameResolver {
  const hosts = new Map<number, string | undefined>();
  return {
    host(addr) {
      if (hostName === undefined) return undefined;
      if (hosts.has(addr)) return hosts.get(addr);
      const name = hostName(addr);
      hosts.set(addr, name);
      return name;
    },
    tcpPort: tcpServiceName,
    udpPort: udpServiceName,
    mac: etherAddrString,
  };
}
