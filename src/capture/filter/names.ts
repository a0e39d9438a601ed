/**
 * The name databases the filter compiler consults, frozen from the system
 * tcpdump runs on: tcplab has no resolver and reads no files, so these tables
 * stand in for getaddrinfo(3), getnetbyname(3) and ether_hostton(3).
 *
 * Source: Debian 12 /etc/networks (services and protocols: ../netdb.ts);
 * an /etc/hosts that only knows
 * `localhost` (127.0.0.1, as on the machine whose tcpdump the tests compare
 * with). Lookups are case-sensitive, as glibc's "files" backend is.
 */

export { protocolNumber, serviceToPort } from '../netdb.js';

/**
 * getnetbyname(3) over /etc/networks, as libpcap's pcap_nametonetaddr() uses
 * it: the network number, 0 when unknown ("default" is 0.0.0.0, so it is
 * unknown too).
 */
export function networkAddress(name: string): number {
  return NETWORKS.get(name) ?? 0;
}

/** Debian 12 /etc/networks. */
const NETWORKS = new Map<string, number>([
  ['default', 0],
  ['loopback', 0x7f000000],
  ['link-local', 0xa9fe0000],
]);

/**
 * getaddrinfo(name) as libpcap's pcap_nametoaddrinfo() calls it: the IPv4
 * addresses of a host name. Only `localhost` is known (the test machine's
 * /etc/hosts has no `::1 localhost` line); any other name is unknown, as it
 * is to a tcpdump that cannot reach a name server.
 */
export function hostAddresses(name: string): readonly number[] | undefined {
  return name === 'localhost' ? [0x7f000001] : undefined;
}

/** ether_hostton(3): /etc/ethers is empty, so no name has a MAC address. */
export function etherHostAddress(_name: string): Uint8Array | undefined {
  return undefined;
}
