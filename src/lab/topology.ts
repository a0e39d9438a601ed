/**
 * A lab's network, from its header: segments, hosts and their NICs,
 * point-to-point links, and the sysctls set before anything runs. Every
 * problem the simulator or a host reports (an address twice on a NIC, a sysctl
 * that does not exist or refuses its value) comes back with the line of the
 * directive that caused it.
 */

import type { Host } from '../host/host.js';
import type { EthernetInterface } from '../host/interface.js';
import type { Link } from '../sim/link.js';
import { Network } from '../sim/network.js';
import { DEFAULT_SEGMENT, type Lab, type LabError } from './parse.js';

export type BuildResult =
  | { readonly ok: true; readonly network: Network }
  | { readonly ok: false; readonly errors: readonly LabError[] };

/** Builds the lab's network with `seed` (the lab's `%seed` unless overridden, else 0). */
export function buildNetwork(lab: Lab, seed: number): BuildResult {
  const errors: LabError[] = [];
  const network = new Network({ seed });
  const segmentMtu = new Map<string, number>();
  const attempt = (line: number, f: () => void): void => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof Error)) throw e;
      errors.push({ line, message: e.message.replace(/^network: /, '') });
    }
  };

  for (const seg of lab.segments) {
    attempt(seg.line, () => network.segment(seg.name, seg.properties));
    if (seg.mtu !== undefined) segmentMtu.set(seg.name, seg.mtu);
  }
  const segment = (name: string, line: number): Link | undefined => {
    if (network.links.some((l) => l.name === name)) return network.link(name);
    if (name === DEFAULT_SEGMENT) return network.segment(name);
    errors.push({ line, message: `no segment called ${name} (declare it with %segment ${name})` });
    return undefined;
  };
  /** Addresses after the first (which `attach` sets): `ip addr add` on the same NIC. */
  const addAddresses = (
    host: Host,
    iface: EthernetInterface,
    addresses: readonly string[],
    line: number,
  ): void => {
    for (const address of addresses) {
      const r = host.addAddress(iface, address);
      if (!r.ok) {
        const why = r.errno === 'EEXIST' ? 'is given twice' : `is refused (${r.errno})`;
        errors.push({ line, message: `address ${address} ${why}` });
      }
    }
  };

  for (const h of lab.hosts) {
    attempt(h.line, () => {
      if (h.segment === undefined) {
        network.addHost(h.name);
        return;
      }
      const link = segment(h.segment, h.line);
      if (link === undefined) return;
      const mtu = h.mtu ?? segmentMtu.get(h.segment);
      const host = network.addHost(h.name, {
        segment: link,
        ...(h.addresses[0] !== undefined ? { address: h.addresses[0] } : {}),
        ...(h.mac !== undefined ? { mac: h.mac } : {}),
        ...(mtu !== undefined ? { mtu } : {}),
        ...(h.gateway !== undefined ? { gateway: h.gateway } : {}),
      });
      const eth0 = host.interfaces.find((i) => i.kind === 'ethernet') as EthernetInterface;
      addAddresses(host, eth0, h.addresses.slice(1), h.line);
    });
  }

  // NICs and links in the order they are declared: that order numbers the interfaces.
  const later = [
    ...lab.nics.map((d) => ({ line: d.line, nic: d })),
    ...lab.links.map((d) => ({ line: d.line, link: d })),
  ].sort((x, y) => x.line - y.line);
  for (const item of later) {
    attempt(item.line, () => {
      if ('nic' in item && item.nic !== undefined) {
        const d = item.nic;
        const link = segment(d.segment, d.line);
        if (link === undefined) return;
        const host = network.host(d.host);
        const mtu = d.mtu ?? segmentMtu.get(d.segment);
        const iface = network.attach(host, link, {
          ...(d.mac !== undefined ? { mac: d.mac } : {}),
          ...(mtu !== undefined ? { mtu } : {}),
          ...(d.addresses[0] !== undefined ? { address: d.addresses[0] } : {}),
        });
        addAddresses(host, iface, d.addresses.slice(1), d.line);
      } else if ('link' in item && item.link !== undefined) {
        const d = item.link;
        const mtu = d.mtu !== undefined ? { mtu: d.mtu } : {};
        network.connect(d.a.host, d.b.host, {
          properties: d.properties,
          ...(d.name !== undefined ? { name: d.name } : {}),
          a: { ...mtu, ...(d.a.addresses[0] !== undefined ? { address: d.a.addresses[0] } : {}) },
          b: { ...mtu, ...(d.b.addresses[0] !== undefined ? { address: d.b.addresses[0] } : {}) },
        });
      }
    });
  }

  // A Linux host always has TCP: a SYN to a closed port gets a reset, not an ICMP
  // "protocol unreachable" (HostTcp joins a host lazily, at its first socket).
  for (const host of network.hosts) void host.tcp;

  for (const s of lab.sysctls) {
    const name = s.name.replaceAll('/', '.');
    const targets = s.host === '*' ? network.hosts : network.hosts.filter((h) => h.name === s.host);
    for (const host of targets) {
      if (!host.sysctl.has(name)) {
        errors.push({ line: s.line, message: `no sysctl called ${name}` });
        break;
      }
      const r = host.sysctl.write(name, s.value);
      if (!r.ok) {
        errors.push({
          line: s.line,
          message: `${name}=${s.value}: ${r.error.message} (as "sysctl -w" would say)`,
        });
        break;
      }
    }
  }

  return errors.length > 0 ? { ok: false, errors } : { ok: true, network };
}
