/**
 * A topology: hosts (src/host) on links and shared segments, one event queue and
 * one seeded generator for everything, so the same seed with the same scenario
 * gives the same frames, always.
 *
 * ```ts
 * const net = new Network({ seed: 1 });
 * const lan = net.segment('lan');
 * const client = net.addHost('client', { segment: lan, address: '192.168.0.21/24' });
 * const server = net.addHost('server', { segment: lan, address: '192.168.0.22/24' });
 * net.runFor(s(1));
 * ```
 *
 * Each host draws from its own stream (`host/NAME`), each link from its own
 * (`link/NAME`), so adding a host never changes another's numbers. Every host
 * learns every other host's name (a shared /etc/hosts).
 */

import { Host } from '../host/host.js';
import type { EthernetInterface } from '../host/interface.js';
import { type MacAddress, parseMacAddress } from '../wire/address.js';
import { EventQueue } from './events.js';
import { Link, type LinkProperties } from './link.js';
import { Random, type Seed } from './random.js';
import type { Duration, Time } from './time.js';

export interface NetworkOptions {
  /** The seed of every random choice. Default 0. */
  readonly seed?: Seed;
  /** Model the kernel timer wheel in the hosts' neighbour timers (default true, as Linux). */
  readonly timerWheel?: boolean;
  /** The event queue's guard against runaway labs (EventQueueOptions). */
  readonly maxEventsPerRun?: number;
}

/** How a host's interface is plugged in and configured. */
export interface AttachOptions {
  /** `192.168.0.21/24` */
  readonly address?: string;
  /** `02:00:00:00:00:21`; default a random locally administered address. */
  readonly mac?: string | MacAddress;
  readonly mtu?: number;
  readonly ifname?: string;
}

export interface HostSpec extends AttachOptions {
  /** A segment (or its name) to plug the host's first NIC into. */
  readonly segment?: Link | string;
  /** `ip route add default via GATEWAY`. */
  readonly gateway?: string;
  /** net.ipv4.ip_forward. */
  readonly forwarding?: boolean;
}

export class Network {
  readonly events: EventQueue;
  readonly random: Random;
  readonly timerWheel: boolean;
  readonly #hosts = new Map<string, Host>();
  readonly #links = new Map<string, Link>();

  constructor(options: NetworkOptions = {}) {
    this.events = new EventQueue(
      options.maxEventsPerRun !== undefined ? { maxEventsPerRun: options.maxEventsPerRun } : {},
    );
    this.random = new Random(options.seed ?? 0);
    this.timerWheel = options.timerWheel ?? true;
  }

  get now(): Time {
    return this.events.now;
  }

  get hosts(): readonly Host[] {
    return [...this.#hosts.values()];
  }

  get links(): readonly Link[] {
    return [...this.#links.values()];
  }

  /** A host called `name`; with `segment` and `address`, plugged in and addressed. */
  addHost(name: string, spec: HostSpec = {}): Host {
    if (this.#hosts.has(name))
      throw new RangeError(`network: there is already a host called ${name}`);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
      throw new RangeError(`network: "${name}" is not a host name (letters, digits, . _ -)`);
    }
    const host = new Host({
      name,
      events: this.events,
      random: this.random.stream(`host/${name}`),
      timerWheel: this.timerWheel,
    });
    this.#hosts.set(name, host);
    for (const other of this.#hosts.values()) {
      if (other === host) continue;
      const a = other.interfaces.find(
        (i) => i.kind === 'ethernet' && i.primaryAddress !== undefined,
      );
      if (a !== undefined) host.etcHosts.set(other.name, a.primaryAddress!);
    }
    if (spec.forwarding) host.sysctl.set('net.ipv4.ip_forward', 1);
    if (spec.segment !== undefined) {
      const link = typeof spec.segment === 'string' ? this.link(spec.segment) : spec.segment;
      this.attach(host, link, spec);
    } else if (spec.address !== undefined) {
      throw new RangeError(`network: host ${name} has an address but no segment to put it on`);
    }
    if (spec.gateway !== undefined) {
      const r = host.addDefaultRoute(spec.gateway);
      if (!r.ok) {
        throw new RangeError(
          `network: host ${name}: default route via ${spec.gateway}: ${r.errno}`,
        );
      }
    }
    return host;
  }

  /** The host called `name`; a missing one is a lab bug and throws. */
  host(name: string): Host {
    const h = this.#hosts.get(name);
    if (h === undefined) throw new RangeError(`network: no host called ${name}`);
    return h;
  }

  /** A shared segment (a hub: every frame reaches every other NIC on it). */
  segment(name: string, properties: Partial<LinkProperties> = {}): Link {
    if (this.#links.has(name))
      throw new RangeError(`network: there is already a link called ${name}`);
    const link = new Link(this.events, this.random, name, properties);
    this.#links.set(name, link);
    return link;
  }

  /** The link or segment called `name`. */
  link(name: string): Link {
    const l = this.#links.get(name);
    if (l === undefined) throw new RangeError(`network: no link called ${name}`);
    return l;
  }

  /**
   * A point-to-point link `A-B` between two hosts, each getting a new NIC
   * (configured by `options.a` and `options.b`).
   */
  connect(
    a: Host | string,
    b: Host | string,
    options: {
      readonly properties?: Partial<LinkProperties>;
      readonly name?: string;
      readonly a?: AttachOptions;
      readonly b?: AttachOptions;
    } = {},
  ): { link: Link; a: EthernetInterface; b: EthernetInterface } {
    const ha = typeof a === 'string' ? this.host(a) : a;
    const hb = typeof b === 'string' ? this.host(b) : b;
    let name = options.name ?? `${ha.name}-${hb.name}`;
    if (options.name === undefined) {
      for (let i = 2; this.#links.has(name); i++) name = `${ha.name}-${hb.name}-${i}`;
    }
    const link = this.segment(name, options.properties ?? {});
    return {
      link,
      a: this.attach(ha, link, options.a ?? {}),
      b: this.attach(hb, link, options.b ?? {}),
    };
  }

  /** A new NIC on `host`, plugged into `link`, with its address if given. */
  attach(host: Host, link: Link, options: AttachOptions = {}): EthernetInterface {
    let mac: MacAddress | undefined;
    if (typeof options.mac === 'string') {
      const m = parseMacAddress(options.mac);
      if (!m.ok)
        throw new RangeError(`network: host ${host.name}: bad MAC address "${options.mac}"`);
      mac = m.value;
    } else mac = options.mac;
    const iface = host.addEthernet({
      ...(options.ifname !== undefined ? { name: options.ifname } : {}),
      ...(mac !== undefined ? { mac } : {}),
      ...(options.mtu !== undefined ? { mtu: options.mtu } : {}),
    });
    host.attach(iface, link);
    if (options.address !== undefined) {
      const r = host.addAddress(iface, options.address);
      if (!r.ok) {
        throw new RangeError(`network: host ${host.name}: address ${options.address}: ${r.errno}`);
      }
      for (const other of this.#hosts.values()) {
        if (other !== host && !other.etcHosts.has(host.name))
          other.etcHosts.set(host.name, r.address.address);
      }
    }
    return iface;
  }

  /** Runs until nothing is scheduled. Returns the number of events run. */
  runUntilIdle(): number {
    return this.events.runUntilIdle();
  }

  /** Runs every event up to and including instant `t`. */
  runUntil(t: Time): number {
    return this.events.runUntil(t);
  }

  /** Runs for `d` nanoseconds of virtual time. */
  runFor(d: Duration): number {
    return this.events.runUntil(this.events.now + d);
  }

  /** Runs while `predicate()` holds, up to `timeLimit`; true if it stopped holding. */
  runWhile(predicate: () => boolean, timeLimit: Time): boolean {
    return this.events.runWhile(predicate, timeLimit);
  }

  /** Runs one event. */
  step(): boolean {
    return this.events.step();
  }
}
