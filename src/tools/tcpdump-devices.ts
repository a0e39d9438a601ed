/**
 * The capture devices of a host as libpcap 1.10.3 lists them (pcap_findalldevs):
 * what `tcpdump -D` prints, which device tcpdump picks without `-i` (the first
 * of the list), and what `-i 3` names (the third).
 *
 * libpcap pcap.c add_dev() keeps the list sorted by get_figure_of_merit(),
 * lower first, devices of equal merit in the order they were found:
 *
 *   0x80000000  not running          0x20000000  disconnected (not wireless)
 *   0x40000000  not up               0x10000000  loopback
 *   0x08000000  the `any` device
 *
 * The network interfaces come first in ifindex order (pcap-linux.c scans
 * /sys/class/net, then getifaddrs), then `any`, then the devices of the other
 * capture modules a Debian 12 build has: bluetooth-monitor, nflog, nfqueue,
 * dbus-system, dbus-session. Observed on Debian 12 in a fresh network
 * namespace with one veth (test/tools/tcpdump-live-fixtures.json, case `list`):
 *
 *   1.eth0 [Up, Running, Connected]
 *   2.any (Pseudo-device that captures on all interfaces) [Up, Running]
 *   3.lo [Up, Running, Loopback]
 *   4.bluetooth-monitor (Bluetooth Linux Monitor) [Wireless]
 *   5.nflog (Linux netfilter log (NFLOG) interface) [none]
 *   6.nfqueue (Linux netfilter queue (NFQUEUE) interface) [none]
 *   7.dbus-system (D-Bus system bus) [none]
 *   8.dbus-session (D-Bus session bus) [none]
 *
 * and, for interfaces that are down: `lo [Loopback]` (after the [none] ones),
 * `veth0 [none, Disconnected]` (last); up without a carrier: `[Up, Disconnected]`.
 */

import type { Host } from '../host/host.js';
import { EthernetInterface, type NetInterface } from '../host/interface.js';

// pcap/pcap.h PCAP_IF_* flags.
const PCAP_IF_LOOPBACK = 0x1;
const PCAP_IF_UP = 0x2;
const PCAP_IF_RUNNING = 0x4;
const PCAP_IF_WIRELESS = 0x8;
const PCAP_IF_CONNECTION_STATUS = 0x30;
const PCAP_IF_CONNECTION_STATUS_CONNECTED = 0x10;
const PCAP_IF_CONNECTION_STATUS_DISCONNECTED = 0x20;
const PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE = 0x30;

/** One entry of pcap_findalldevs. */
export interface CaptureDevice {
  readonly name: string;
  readonly description?: string;
  readonly flags: number;
  /** The host interface, for network devices. */
  readonly iface?: NetInterface;
}

/** Devices libpcap lists but tcplab cannot capture on (no Bluetooth, NFLOG, D-Bus here). */
const OTHER_DEVICES: readonly CaptureDevice[] = [
  // pcap-bt-monitor-linux.c: always listed, wireless, connection status not
  // applicable (prints as `[Wireless]`).
  {
    name: 'bluetooth-monitor',
    description: 'Bluetooth Linux Monitor',
    flags: PCAP_IF_WIRELESS | PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE,
  },
  // pcap-netfilter-linux.c, pcap-dbus.c: connection status "not applicable".
  {
    name: 'nflog',
    description: 'Linux netfilter log (NFLOG) interface',
    flags: PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE,
  },
  {
    name: 'nfqueue',
    description: 'Linux netfilter queue (NFQUEUE) interface',
    flags: PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE,
  },
  {
    name: 'dbus-system',
    description: 'D-Bus system bus',
    flags: PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE,
  },
  {
    name: 'dbus-session',
    description: 'D-Bus session bus',
    flags: PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE,
  },
];

/** The `any` device (pcap-linux.c pcap_platform_finddevs). */
const ANY_DEVICE: CaptureDevice = {
  name: 'any',
  description: 'Pseudo-device that captures on all interfaces',
  flags: PCAP_IF_UP | PCAP_IF_RUNNING | PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE,
};

/**
 * pcap-linux.c get_if_flags: up and running from the interface flags (an
 * Ethernet NIC runs when it is up and plugged into a link: IFF_RUNNING follows
 * the carrier), connection status from the carrier; loopback has none.
 */
function interfaceFlags(iface: NetInterface): number {
  let flags = 0;
  if (iface.kind === 'loopback') {
    flags |= PCAP_IF_LOOPBACK | PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE;
    if (iface.up) flags |= PCAP_IF_UP | PCAP_IF_RUNNING;
    return flags;
  }
  const carrier = iface instanceof EthernetInterface && iface.endpoint !== undefined;
  if (iface.up) flags |= PCAP_IF_UP;
  if (iface.up && carrier) {
    flags |= PCAP_IF_RUNNING | PCAP_IF_CONNECTION_STATUS_CONNECTED;
  } else {
    flags |= PCAP_IF_CONNECTION_STATUS_DISCONNECTED;
  }
  return flags;
}

/** libpcap 1.10 pcap.c get_figure_of_merit (lower is better). */
function figureOfMerit(dev: CaptureDevice): number {
  let n = 0;
  if (!(dev.flags & PCAP_IF_RUNNING)) n |= 0x80000000;
  if (!(dev.flags & PCAP_IF_UP)) n |= 0x40000000;
  if (
    !(dev.flags & PCAP_IF_WIRELESS) &&
    (dev.flags & PCAP_IF_CONNECTION_STATUS) === PCAP_IF_CONNECTION_STATUS_DISCONNECTED
  ) {
    n |= 0x20000000;
  }
  if (dev.flags & PCAP_IF_LOOPBACK) n |= 0x10000000;
  if (dev.name === 'any') n |= 0x08000000;
  return n >>> 0;
}

/** pcap_findalldevs on `host`, sorted as libpcap sorts it. */
export function findAllDevices(host: Host): CaptureDevice[] {
  const found: CaptureDevice[] = [
    ...host.interfaces.map((iface) => ({ name: iface.name, flags: interfaceFlags(iface), iface })),
    ANY_DEVICE,
    ...OTHER_DEVICES,
  ];
  // add_dev inserts each device before the first one with a higher figure of
  // merit: a stable sort.
  return found
    .map((dev, i) => ({ dev, i, merit: figureOfMerit(dev) }))
    .sort((a, b) => a.merit - b.merit || a.i - b.i)
    .map((e) => e.dev);
}

/** tcpdump.c status_flags and show_devices_and_exit: `[Up, Running, Connected]`. */
function flagsText(flags: number): string {
  const names: string[] = [];
  if (flags & PCAP_IF_UP) names.push('Up');
  if (flags & PCAP_IF_RUNNING) names.push('Running');
  if (flags & PCAP_IF_LOOPBACK) names.push('Loopback');
  if (flags & PCAP_IF_WIRELESS) names.push('Wireless');
  // util-print.c bittok2str: "none" when no bit of the table is set.
  let text = names.length > 0 ? names.join(', ') : 'none';
  const status = flags & PCAP_IF_CONNECTION_STATUS;
  if (flags & PCAP_IF_WIRELESS) {
    if (status === 0) text += ', Association status unknown';
    else if (status === PCAP_IF_CONNECTION_STATUS_CONNECTED) text += ', Associated';
    else if (status === PCAP_IF_CONNECTION_STATUS_DISCONNECTED) text += ', Not associated';
  } else if (status === 0) text += ', Connection status unknown';
  else if (status === PCAP_IF_CONNECTION_STATUS_CONNECTED) text += ', Connected';
  else if (status === PCAP_IF_CONNECTION_STATUS_DISCONNECTED) text += ', Disconnected';
  return text;
}

/** What `tcpdump -D` prints (tcpdump.c show_devices_and_exit). */
export function formatDeviceList(devices: readonly CaptureDevice[]): string {
  let out = '';
  devices.forEach((dev, i) => {
    out += `${i + 1}.${dev.name}`;
    if (dev.description !== undefined) out += ` (${dev.description})`;
    // The Wireless bit alone still counts as flags != 0 (bluetooth-monitor).
    if (dev.flags !== 0) out += ` [${flagsText(dev.flags)}]`;
    out += '\n';
  });
  return out;
}

/**
 * tcpdump.c parse_interface_number: a purely decimal name is an index into
 * the device list (1-based); undefined when the name is not a number, 0 or
 * less when it is a bad one.
 */
export function interfaceNumber(name: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(name)) return undefined;
  return Number.parseInt(name, 10);
}
