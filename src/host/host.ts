/**
 * A virtual Linux host without TCP: its interfaces, addresses, routes, sysctls,
 * counters and taps, and the layers that move packets between them (ip.ts,
 * arp.ts, icmp.ts, udp.ts). Transport protocols register themselves
 * (`registerProtocol`); a firewall hooks into the netfilter points
 * (`addHook`); capture taps see every frame (`addTap`).
 *
 * Everything happens on the simulator's clock: a frame arrives in an event, and
 * whatever it causes (a reply, an ARP request) is sent in that same event; the
 * loopback device delivers in a new event at the same instant, as Linux's
 * netif_rx defers to the softirq.
 */

import type { EventQueue } from '../sim/events.js';
import type { Link } from '../sim/link.js';
import type { Random } from '../sim/random.js';
import type { Time } from '../sim/time.js';
import {
  formatIpv4Address,
  type Ipv4Address,
  isIpv4Multicast,
  isMacMulticast,
  MAC_BROADCAST,
  type MacAddress,
  parseIpv4Address,
  readMacAddress,
} from '../wire/address.js';
import { view } from '../wire/bytes.js';
import { ETHERNET_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from '../wire/ethernet.js';
import { IPPROTO_ICMP, IPPROTO_UDP } from '../wire/ipv4.js';
import { completeTcpChecksum } from '../wire/tcp.js';
import { Arp } from './arp.js';
import { DropLog, type HostDropReason, SnmpCounters } from './counters.js';
import { Icmp } from './icmp.js';
import {
  ETH_DATA_LEN,
  EthernetInterface,
  type InterfaceAddress,
  inPrefix,
  LOCALHOST,
  LoopbackInterface,
  type NetInterface,
  prefixMask,
} from './interface.js';
import { IpLayer, type IpOutput, type RouteOutputOptions, type RouteOutputResult } from './ip.js';
import { KernelLog } from './kmsg.js';
import { NeighbourTable } from './neighbour.js';
import { NetApi } from './net-api.js';
import { CHECKSUM_PENDING, PendingTcp } from './offload.js';
import type {
  HookFunction,
  HookPacket,
  HookVerdict,
  InboundPacket,
  NetfilterHook,
  PacketType,
  ProtocolHandler,
  SendResult,
} from './protocol.js';
import { type RouteResult, RoutingTable } from './route.js';
import { SocketTable } from './socket.js';
import { SysctlTable } from './sysctl.js';
import { registerHostSysctls } from './sysctls.js';
import type { Tap, TapDirection } from './tap.js';
import { HostTcp } from './tcp.js';
import { registerTcpSysctls } from './tcp-sysctls.js';
import { Udp } from './udp.js';

export interface HostOptions {
  readonly name: string;
  readonly events: EventQueue;
  /** The host's own random stream (a Network passes `root.stream('host/NAME')`). */
  readonly random: Random;
  /**
   * Model the kernel timer wheel's rounding for the neighbour timers (default
   * true, as Linux does; see jiffies.ts).
   */
  readonly timerWheel?: boolean;
}

export type AddressResult =
  | { readonly ok: true; readonly address: InterfaceAddress }
  | { readonly ok: false; readonly errno: 'EEXIST' | 'EINVAL' | 'ENODEV' };

/** Parses `192.168.0.21/24` (a missing prefix is /32, as `ip addr add` takes it). */
export function parseCidr(
  text: string,
): { address: Ipv4Address; prefixLength: number } | undefined {
  const slash = text.indexOf('/');
  const addr = parseIpv4Address(slash < 0 ? text : text.slice(0, slash));
  if (!addr.ok) return undefined;
  if (slash < 0) return { address: addr.value, prefixLength: 32 };
  const p = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]?)$/.test(p) || Number(p) > 32) return undefined;
  return { address: addr.value, prefixLength: Number(p) };
}

interface TapEntry {
  readonly tap: Tap;
  readonly ifname: string | undefined;
}

/** The result of every datagram handed on (one object: results are only read). */
const SENT: SendResult = { ok: true };

export class Host {
  readonly name: string;
  readonly events: EventQueue;
  readonly random: Random;
  readonly timerWheel: boolean;
  readonly sysctl = new SysctlTable();
  readonly counters = new SnmpCounters();
  readonly drops = new DropLog();
  /** The kernel log (`dmesg`). */
  readonly kmsg = new KernelLog();
  readonly routes = new RoutingTable();
  readonly neigh: NeighbourTable;
  readonly lo: LoopbackInterface;
  readonly ip: IpLayer;
  readonly arp: Arp;
  readonly icmp: Icmp;
  readonly udp: Udp;
  /** /etc/hosts: names the host resolves without DNS. */
  readonly etcHosts = new Map<string, Ipv4Address>([['localhost', LOCALHOST]]);
  readonly #interfaces: NetInterface[] = [];
  /** Handlers by IP protocol number (Linux's inet_protos array): no Map lookup per datagram. */
  readonly #protocols: (ProtocolHandler | undefined)[] = new Array(256).fill(undefined);
  /**
   * Replaced, never changed in place, when a tap comes or goes: a frame's taps
   * are the list as it was when the frame was offered, without a copy per frame.
   */
  #taps: readonly TapEntry[] = [];
  readonly #hooks = new Map<NetfilterHook, HookFunction[]>();
  /** Functions at all hooks together. */
  #hookCount = 0;
  readonly #macRandom: Random;
  #tcp: HostTcp | undefined;
  /**
   * Offloads (offload.ts). The frame a transport is sending with its checksum
   * pending, until a link takes it so (devXmit), where its segment lies in it,
   * and its payload when that is left in the send buffer (scatter-gather).
   */
  #txPending: Uint8Array | undefined = undefined;
  #txStart = 0;
  #txEnd = 0;
  #txPayload: Uint8Array | undefined = undefined;
  /** The frame being received whose work a link left pending, and the work; cleared once done. */
  #rxPending: Uint8Array | undefined = undefined;
  #rxWork: PendingTcp = CHECKSUM_PENDING;
  /** The frame being received whose checksum is known good (its sender's, on an offloading path). */
  #rxChecksumKnown: Uint8Array | undefined = undefined;
  #sockets: SocketTable | undefined;
  #net: NetApi | undefined;

  constructor(options: HostOptions) {
    this.name = options.name;
    this.events = options.events;
    this.random = options.random;
    this.timerWheel = options.timerWheel ?? true;
    this.#macRandom = this.random.stream('mac');
    registerHostSysctls(this.sysctl);
    registerTcpSysctls(this.sysctl);
    this.neigh = new NeighbourTable(
      {
        events: this.events,
        timerWheel: this.timerWheel,
        solicit: (now, n, last) => this.arp.solicit(now, n, last),
        transmit: (now, n, pkt) => this.ip.neighTransmit(now, n, pkt),
        errorReport: (now, n, pkt) => this.ip.neighErrorReport(now, n, pkt),
        drop: (_now, reason, where, dev, bytes) => this.drop(reason, where, dev, bytes),
        addressType: (dev, addr) => this.addressType(dev, addr),
      },
      this.random.stream('neigh'),
    );
    this.neigh.registerSysctls(this.sysctl, undefined);
    this.ip = new IpLayer(this);
    this.arp = new Arp(this);
    this.icmp = new Icmp(this);
    this.udp = new Udp(this);
    this.#protocols[IPPROTO_ICMP] = this.icmp;
    this.#protocols[IPPROTO_UDP] = this.udp;
    // The loopback device comes first (ifindex 1) with 127.0.0.1/8.
    this.lo = new LoopbackInterface();
    this.#addDevice(this.lo);
    this.addAddress(this.lo, '127.0.0.1/8');
  }

  /**
   * The host's sockets (socket.ts): TCP joins the host (tcp.ts, IP protocol 6)
   * the first time they are asked for, so hosts that never use it keep protocol 6
   * free for a test's own transport.
   */
  get sockets(): SocketTable {
    this.#sockets ??= new SocketTable(this);
    return this.#sockets;
  }

  /**
   * A new, empty fd table on this host's TCP: each process of a lab host has
   * its own (fds start at 3 in every process, as on Linux); `sockets` is the
   * table of a host used without processes.
   */
  newSocketTable(): SocketTable {
    return new SocketTable(this);
  }

  /** TCP on this host (tcp.ts), shared by every socket table of the host. */
  get tcp(): HostTcp {
    this.#tcp ??= new HostTcp(this);
    return this.#tcp;
  }

  /** Node's `net` module for programs on this host (net-api.ts). */
  get net(): NetApi {
    this.#net ??= new NetApi(this);
    return this.#net;
  }

  /** Virtual time now. */
  get now(): Time {
    return this.events.now;
  }

  /** Every interface, by index (lo first). */
  get interfaces(): readonly NetInterface[] {
    return this.#interfaces;
  }

  /** An interface by name (`eth0`) or index. */
  interface(which: string | number): NetInterface | undefined {
    return this.#interfaces.find((i) => (typeof which === 'number' ? i.index : i.name) === which);
  }

  /**
   * A new Ethernet NIC, `eth0`, `eth1`, … in order (index 2, 3, …). Without a
   * MAC address it gets a random locally administered one, as Linux's veth does
   * (eth_hw_addr_random).
   */
  addEthernet(options: { name?: string; mac?: MacAddress; mtu?: number } = {}): EthernetInterface {
    const index = this.#interfaces.length + 1;
    const ethCount = this.#interfaces.filter((i) => i.kind === 'ethernet').length;
    const name = options.name ?? `eth${ethCount}`;
    if (this.interface(name) !== undefined) throw new Error(`${this.name}: ${name} exists`);
    const mac = options.mac ?? this.#randomMac();
    const iface = new EthernetInterface(index, name, mac, options.mtu ?? ETH_DATA_LEN);
    iface.neigh = this.neigh;
    this.#addDevice(iface);
    return iface;
  }

  /** Plugs `iface` into `link` (its endpoint is named `HOST:IFACE`). */
  attach(iface: EthernetInterface, link: Link): void {
    if (iface.endpoint !== undefined) throw new Error(`${this.name}:${iface.name} is attached`);
    iface.endpoint = link.attach(
      `${this.name}:${iface.name}`,
      (frame, now, pending) =>
        this.#nicReceive(iface, frame, now, pending as PendingTcp | undefined),
      { checksumOffload: true },
    );
  }

  /**
   * `ip addr add CIDR dev IFACE`: the address, and its routes (route.ts). The
   * same address twice on a device is EEXIST.
   */
  addAddress(
    which: string | NetInterface,
    cidr: string | { address: Ipv4Address; prefixLength: number },
  ): AddressResult {
    const iface = typeof which === 'string' ? this.interface(which) : which;
    if (iface === undefined) return { ok: false, errno: 'ENODEV' };
    const parsed = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
    if (
      parsed === undefined ||
      !Number.isInteger(parsed.prefixLength) ||
      parsed.prefixLength < 0 ||
      parsed.prefixLength > 32
    ) {
      return { ok: false, errno: 'EINVAL' };
    }
    if (iface.addresses.some((a) => a.address === parsed.address)) {
      return { ok: false, errno: 'EEXIST' };
    }
    const { address, prefixLength } = parsed;
    const entry: InterfaceAddress = {
      address,
      prefixLength,
      broadcast:
        prefixLength < 31
          ? ((address & prefixMask(prefixLength)) | ~prefixMask(prefixLength)) >>> 0
          : undefined,
    };
    iface.addresses.push(entry);
    this.routes.addInterfaceAddress(iface, address, prefixLength);
    return { ok: true, address: entry };
  }

  /** `ip addr del`. */
  removeAddress(which: string | NetInterface, address: Ipv4Address): boolean {
    const iface = typeof which === 'string' ? this.interface(which) : which;
    if (iface === undefined) return false;
    const i = iface.addresses.findIndex((a) => a.address === address);
    if (i < 0) return false;
    iface.addresses.splice(i, 1);
    this.routes.removeInterfaceAddress(iface, address);
    return true;
  }

  /** `ip route add default via GW`. */
  addDefaultRoute(gateway: string | Ipv4Address): RouteResult {
    const gw =
      typeof gateway === 'string'
        ? parseIpv4Address(gateway)
        : { ok: true as const, value: gateway };
    if (!gw.ok) return { ok: false, errno: 'EINVAL' };
    return this.routes.add({ dst: 0, prefixLength: 0, gateway: gw.value });
  }

  /** Registers the handler of IP protocol `protocol` (Linux inet_add_protocol); a second one is a bug. */
  registerProtocol(protocol: number, handler: ProtocolHandler): void {
    if (!Number.isInteger(protocol) || protocol < 0 || protocol > 255) {
      throw new RangeError(`${this.name}: IP protocol ${protocol} is not 0-255`);
    }
    if (this.#protocols[protocol] !== undefined) {
      throw new Error(`${this.name}: IP protocol ${protocol} already has a handler`);
    }
    this.#protocols[protocol] = handler;
  }

  unregisterProtocol(protocol: number): void {
    if (protocol >= 0 && protocol <= 255) this.#protocols[protocol] = undefined;
  }

  /** The handler of `protocol`, if any. */
  protocol(protocol: number): ProtocolHandler | undefined {
    return this.#protocols[protocol];
  }

  /** Offers every frame (of interface `ifname` only, if given) to `tap`. Returns the remover. */
  addTap(tap: Tap, options: { ifname?: string } = {}): () => void {
    const entry: TapEntry = { tap, ifname: options.ifname };
    this.#taps = [...this.#taps, entry];
    return () => {
      const i = this.#taps.indexOf(entry);
      if (i >= 0) this.#taps = this.#taps.filter((_, k) => k !== i);
    };
  }

  /** Adds a function at a netfilter hook, after those already there. Returns the remover. */
  addHook(hook: NetfilterHook, fn: HookFunction): () => void {
    let list = this.#hooks.get(hook);
    if (list === undefined) {
      list = [];
      this.#hooks.set(hook, list);
    }
    list.push(fn);
    this.#hookCount++;
    return () => {
      const l = this.#hooks.get(hook)!;
      const i = l.indexOf(fn);
      if (i >= 0) {
        l.splice(i, 1);
        this.#hookCount--;
      }
    };
  }

  /** True if `addr` is one of this host's addresses, on any interface (Linux's weak host model). */
  isLocalAddress(addr: Ipv4Address): boolean {
    const r = this.routes.lookup(addr);
    return r !== undefined && r.table === 'local' && r.type === 'local';
  }

  /** A dotted quad, or a name from /etc/hosts. */
  resolve(name: string): Ipv4Address | undefined {
    const a = parseIpv4Address(name);
    if (a.ok) return a.value;
    return this.etcHosts.get(name);
  }

  /** The route a socket would take to `dst` (ip_route_output_key). */
  route(dst: Ipv4Address, options: RouteOutputOptions = {}): RouteOutputResult {
    return this.ip.routeOutput(dst, options);
  }

  /** Sends a datagram built by a transport (see IpOutput). */
  sendIp(out: IpOutput): SendResult {
    return this.ip.output(out);
  }

  /**
   * Sends a whole IPv4 datagram as a raw socket with IP_HDRINCL does
   * (raw_send_hdrinc): routed by its destination, its source not checked; a zero
   * id is chosen and the header checksum computed.
   */
  sendRawIp(datagram: Uint8Array): SendResult {
    return this.ip.outputRaw(datagram);
  }

  /**
   * icmp_send about a datagram this host received: for a firewall's REJECT or a
   * transport that wants the sender told (`type`, `code`, `info` as Linux).
   */
  icmpSend(skb: InboundPacket, type: number, code: number, info = 0): void {
    this.icmp.send(
      {
        datagram: skb.datagram,
        pktType: skb.pktType,
        inIface: skb.iface,
        local: skb.delivery === 'local',
        broadcast: skb.delivery === 'broadcast',
      },
      type,
      code,
      info,
    );
  }

  // ---- for the layers of this host --------------------------------------

  /** Records a dropped packet with its reason. */
  drop(
    reason: HostDropReason,
    where: string,
    iface: NetInterface | undefined,
    bytes: Uint8Array,
  ): void {
    this.completePending();
    this.drops.add(this.events.now, reason, where, iface?.name, bytes);
  }

  /** drop() of `bytes[start, end)`, a datagram read in place in its frame (no view made). */
  dropIn(
    reason: HostDropReason,
    where: string,
    iface: NetInterface | undefined,
    bytes: Uint8Array,
    start: number,
    end: number,
  ): void {
    this.completePending();
    this.drops.add(this.events.now, reason, where, iface?.name, bytes, start, end);
  }

  // ---- offloads (offload.ts) ------------------------------------------------

  /**
   * Whether a transport may leave the checksum of what it sends now to the
   * device: no tap and no hook would read the frame on its way out.
   */
  get txChecksumOffload(): boolean {
    return !this.#framesWatched();
  }

  /** A tap or a netfilter hook would read the frames that pass (offload.ts). */
  #framesWatched(): boolean {
    return this.#taps.length !== 0 || this.#hookCount !== 0;
  }

  /**
   * `frame`, about to be handed to the IP layer, has its TCP checksum pending
   * (the segment is `frame[start, end)`), and its payload too when `payload` is
   * given (the segment's last bytes, not written: scatter-gather): devXmit
   * gives it to a link so.
   */
  beginTxOffload(
    frame: Uint8Array,
    start: number,
    end: number,
    payload: Uint8Array | undefined,
  ): void {
    this.#txPending = frame;
    this.#txStart = start;
    this.#txEnd = end;
    this.#txPayload = payload;
  }

  /**
   * The IP layer is done with `frame`: if no link took it pending (it waits for
   * ARP, went to lo, was dropped), its checksum is finished now.
   */
  endTxOffload(frame: Uint8Array): void {
    if (this.#txPending === frame) this.#completeTx();
  }

  /**
   * The frame being received when its sender's checksum is known good (it came
   * pending from an offloading link): TCP need not sum it. Undefined otherwise.
   */
  get rxChecksumKnown(): Uint8Array | undefined {
    return this.#rxChecksumKnown;
  }

  /**
   * The payload of the frame being received (rxChecksumKnown) when its sender
   * left it in its send buffer (scatter-gather): the segment's payload is this,
   * not the frame's bytes. Undefined otherwise.
   */
  get rxPayload(): Uint8Array | undefined {
    return this.#rxWork.payload;
  }

  /**
   * Finishes the work left pending in a frame being sent or received (its
   * checksum, its payload): for whatever keeps or copies its bytes (a drop
   * record, an ICMP error quoting it, a forwarded datagram).
   */
  completePending(): void {
    if (this.#txPending !== undefined) this.#completeTx();
    const rx = this.#rxPending;
    if (rx !== undefined) {
      this.#rxPending = undefined;
      this.#rxWork.complete(rx);
    }
  }

  #completeTx(): void {
    const frame = this.#txPending!;
    const payload = this.#txPayload;
    this.#txPending = undefined;
    this.#txPayload = undefined;
    if (payload !== undefined) frame.set(payload, this.#txEnd - payload.length);
    completeTcpChecksum(frame, this.#txStart, this.#txEnd);
  }

  /**
   * Whether anything listens at `hook`: the output path builds the decoded
   * packet a hook is handed only when one does.
   */
  hasHooks(hook: NetfilterHook): boolean {
    // Most hosts have no firewall: four hooks asked per packet, no lookup.
    if (this.#hookCount === 0) return false;
    const list = this.#hooks.get(hook);
    return list !== undefined && list.length > 0;
  }

  /** Runs the functions at `hook`; the first DROP wins. */
  runHook(hook: NetfilterHook, pkt: Omit<HookPacket, 'hook'>): HookVerdict {
    const list = this.#hooks.get(hook);
    if (list === undefined || list.length === 0) return 'ACCEPT';
    const p: HookPacket = { ...pkt, hook };
    for (const fn of [...list]) if (fn(this.events.now, p) === 'DROP') return 'DROP';
    return 'ACCEPT';
  }

  /**
   * inet_addr_type_dev_table: what `addr` is, seen from `dev`: one of ours, a
   * broadcast address (limited, or a connected subnet's), multicast, or unicast.
   */
  addressType(
    _dev: NetInterface,
    addr: Ipv4Address,
  ): 'unicast' | 'local' | 'broadcast' | 'multicast' {
    if (addr === 0xffff_ffff) return 'broadcast';
    if (isIpv4Multicast(addr)) return 'multicast';
    const r = this.routes.lookup(addr);
    if (r?.table === 'local' && r.type === 'local') return 'local';
    if (r?.table === 'local' && r.type === 'broadcast') return 'broadcast';
    return 'unicast';
  }

  /** The address `dev` uses to reach `dst` (Linux inet_select_addr with RT_SCOPE_LINK). */
  selectAddress(dev: NetInterface, dst: Ipv4Address): Ipv4Address {
    for (const a of dev.addresses) if (inPrefix(dst, a.address, a.prefixLength)) return a.address;
    if (dev.primaryAddress !== undefined) return dev.primaryAddress;
    // No address on the device: Linux takes one from another device of scope <= link.
    for (const i of this.#interfaces) {
      if (i.kind !== 'loopback' && i.primaryAddress !== undefined) return i.primaryAddress;
    }
    return 0;
  }

  /**
   * dev_queue_xmit: the frame leaves `iface`. Taps see it first; Ethernet hands
   * it to the link, lo to itself in a new event at the same instant.
   */
  devXmit(iface: NetInterface, frame: Uint8Array): SendResult {
    // The device's kind, not instanceof: asked twice for every frame sent.
    const eth = iface.kind === 'ethernet' ? (iface as EthernetInterface) : undefined;
    if (!iface.up || (eth !== undefined && eth.endpoint === undefined)) {
      iface.stats.txDropped++;
      this.drop('DEV_READY', 'dev_queue_xmit', iface, frame);
      return { ok: false, errno: 'ENETDOWN', reason: 'DEV_READY' };
    }
    if (this.#taps.length !== 0) this.#tap(iface, 'Out', 'outgoing', frame);
    iface.stats.txPackets++;
    iface.stats.txBytes += frame.length;
    if (eth !== undefined) {
      if (frame === this.#txPending) {
        // The NIC offloads the checksum (and gathers the payload): the link
        // carries the frame with that work pending.
        const payload = this.#txPayload;
        this.#txPending = undefined;
        this.#txPayload = undefined;
        eth.endpoint!.send(
          frame,
          payload === undefined ? CHECKSUM_PENDING : new PendingTcp(payload),
        );
      } else {
        eth.endpoint!.send(frame);
      }
    } else {
      // loopback_xmit → netif_rx: delivered from the backlog, after this event.
      this.events.schedule(this.events.now, (now) => this.#loopbackReceive(iface, frame, now));
    }
    return SENT;
  }

  #loopbackReceive(iface: NetInterface, frame: Uint8Array, now: Time): void {
    iface.stats.rxPackets++;
    iface.stats.rxBytes += frame.length;
    this.#tap(iface, 'In', 'host', frame);
    this.ip.rcv(now, iface, frame, 'host', ETHERNET_HEADER_LEN);
  }

  /**
   * A frame from the link: the NIC's filter, the taps, then the protocol
   * (netif_receive_skb). A `pending` frame (offload.ts) is finished first when
   * a tap or a hook will read it; otherwise its checksum is known good, its
   * payload (if it was left in the sender's buffer) is read from there, and the
   * frame is finished only if something keeps or copies it.
   */
  #nicReceive(
    iface: EthernetInterface,
    frame: Uint8Array,
    now: Time,
    pending: PendingTcp | undefined,
  ): void {
    if (pending !== undefined) {
      if (this.#framesWatched()) {
        pending.complete(frame);
      } else {
        this.#rxPending = frame;
        this.#rxWork = pending;
        this.#rxChecksumKnown = frame;
        this.#nicReceiveFrame(iface, frame, now);
        this.#rxPending = undefined;
        this.#rxWork = CHECKSUM_PENDING;
        this.#rxChecksumKnown = undefined;
        return;
      }
    }
    this.#nicReceiveFrame(iface, frame, now);
  }

  #nicReceiveFrame(iface: EthernetInterface, frame: Uint8Array, now: Time): void {
    if (!iface.up) {
      iface.stats.rxDropped++;
      this.drop('DEV_READY', 'netif_receive_skb', iface, frame);
      return;
    }
    if (frame.length < ETHERNET_HEADER_LEN) {
      iface.stats.rxErrors++;
      this.drop('PKT_TOO_SMALL', 'eth_type_trans', iface, frame);
      return;
    }
    // A frame past the MTU (a veth peer with a larger MTU): is_skb_forwardable.
    if (frame.length > iface.mtu + ETHERNET_HEADER_LEN) {
      iface.stats.rxDropped++;
      this.drop('PKT_TOO_BIG', '__dev_forward_skb', iface, frame);
      return;
    }
    const dst = readMacAddress(frame, 0);
    let pktType: PacketType;
    if (dst === iface.mac) pktType = 'host';
    else if (dst === MAC_BROADCAST) pktType = 'broadcast';
    else if (isMacMulticast(dst)) pktType = 'multicast';
    else {
      // Not for us: the NIC's address filter discards it unless promiscuous.
      if (!iface.promiscuous) return;
      pktType = 'otherhost';
    }
    iface.stats.rxPackets++;
    iface.stats.rxBytes += frame.length;
    if (this.#taps.length !== 0) this.#tap(iface, 'In', pktType, frame);
    const ethertype = (frame[12]! << 8) | frame[13]!;
    switch (ethertype) {
      case ETHERTYPE_IPV4:
        // Read in place behind the Ethernet header: no view of the datagram.
        this.ip.rcv(now, iface, frame, pktType, ETHERNET_HEADER_LEN);
        return;
      case ETHERTYPE_ARP:
        this.arp.rcv(now, iface, view(frame, ETHERNET_HEADER_LEN), pktType, frame);
        return;
      default:
        // __netif_receive_skb_core: no packet_type for this protocol.
        iface.stats.rxNohandler++;
        this.drop('UNHANDLED_PROTO', '__netif_receive_skb_core', iface, frame);
    }
  }

  #tap(iface: NetInterface, direction: TapDirection, pktType: PacketType, frame: Uint8Array): void {
    const taps = this.#taps;
    if (taps.length === 0) return;
    const p = {
      time: this.events.now,
      host: this.name,
      ifindex: iface.index,
      ifname: iface.name,
      arphrd: iface.arphrd,
      direction,
      pktType,
      frame,
    };
    for (const t of taps) {
      if (t.ifname === undefined || t.ifname === iface.name) t.tap(p);
    }
  }

  #addDevice(iface: NetInterface): void {
    this.#interfaces.push(iface);
    this.neigh.addDevice(iface);
    this.neigh.registerSysctls(this.sysctl, iface);
  }

  /** eth_hw_addr_random: random, unicast, locally administered (02 bit set, 01 bit clear). */
  #randomMac(): MacAddress {
    const hi = (this.#macRandom.uint32() & 0xfeff) | 0x0200;
    return hi * 0x1_0000_0000 + this.#macRandom.uint32();
  }

  toString(): string {
    const addrs = this.#interfaces
      .flatMap((i) =>
        i.addresses.map((a) => `${i.name} ${formatIpv4Address(a.address)}/${a.prefixLength}`),
      )
      .join(', ');
    return `Host ${this.name} (${addrs})`;
  }
}
