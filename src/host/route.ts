/**
 * The routing table (Linux's FIB): the `local` table, which holds the host's own
 * addresses and broadcast addresses, and the `main` table, which holds connected
 * subnets and the routes an administrator adds (`ip route add default via …`).
 * A lookup tries `local`, then `main`, as Linux's default rules do (priorities 0
 * and 32766, `ip rule`), taking the longest matching prefix, then the lowest
 * metric.
 *
 * Adding an address adds its routes as Linux fib_add_ifaddr (net/ipv4/fib_frontend.c)
 * does: `local ADDR` in `local`; the subnet broadcast address in `local` (for a
 * prefix shorter than /31); the subnet itself, scope link, in `main` (or, on lo,
 * the whole prefix as `local`: 127.0.0.0/8 is all ours).
 */

import type { Ipv4Address } from '../wire/address.js';
import { inPrefix, type NetInterface, prefixMask } from './interface.js';

/** RTN_* types (include/uapi/linux/rtnetlink.h) a lab meets. */
export type RouteType =
  | 'unicast'
  | 'local'
  | 'broadcast'
  | 'unreachable'
  | 'prohibit'
  | 'blackhole';

/** RT_SCOPE_* as `ip route` names them. */
export type RouteScope = 'host' | 'link' | 'global';

export interface Route {
  readonly table: 'local' | 'main';
  readonly type: RouteType;
  readonly dst: Ipv4Address;
  readonly prefixLength: number;
  /** The output device (none for unreachable, prohibit, blackhole). */
  readonly dev: NetInterface | undefined;
  /** The next hop, for a route `via` a gateway. */
  readonly gateway: Ipv4Address | undefined;
  /** The preferred source (`src`), set on routes the kernel adds for an address. */
  readonly prefsrc: Ipv4Address | undefined;
  readonly scope: RouteScope;
  /** `proto kernel` for routes added with an address, `boot` for `ip route add`. */
  readonly protocol: 'kernel' | 'boot' | 'static';
  readonly metric: number;
  /** The initcwnd metric (RTAX_INITCWND): TCP's window at establishment; 0: none. */
  readonly initcwnd: number;
}

/** What `ip route add` may fail with. */
export type RouteErrno = 'EEXIST' | 'ENETUNREACH' | 'EINVAL' | 'ESRCH';

export type RouteResult =
  | { readonly ok: true; readonly route: Route }
  | { readonly ok: false; readonly errno: RouteErrno };

/** A host's two routing tables. */
export class RoutingTable {
  readonly #local: Route[] = [];
  readonly #main: Route[] = [];
  #generation = 0;

  /**
   * Moves on every change to either table, so that a route looked up earlier
   * (the IP layer's cached output route, as Linux's dst entries hang on the
   * fib's genid) is known to be stale.
   */
  get generation(): number {
    return this.#generation;
  }

  /** Every route of `table`, in the order `ip route show table …` lists them (by prefix). */
  routes(table: 'local' | 'main' = 'main'): readonly Route[] {
    const list = table === 'local' ? this.#local : this.#main;
    return [...list].sort((a, b) =>
      a.dst === b.dst ? a.prefixLength - b.prefixLength : a.dst - b.dst,
    );
  }

  /**
   * fib_lookup: the route for `dst`, trying `local` then `main`; with `oif`, only
   * routes through that device (a socket bound to a device). Undefined: no route.
   */
  lookup(dst: Ipv4Address, oif?: NetInterface): Route | undefined {
    return best(this.#local, dst, oif) ?? best(this.#main, dst, oif);
  }

  /**
   * `ip route add`. A gateway must be reachable through a connected route
   * (Linux fib_check_nh_v4_gw: "Nexthop has invalid gateway", ENETUNREACH without
   * one); the device then comes from that route. A route with the same table,
   * prefix and metric already there is EEXIST.
   */
  add(spec: {
    readonly dst: Ipv4Address;
    readonly prefixLength: number;
    readonly type?: RouteType;
    readonly table?: 'local' | 'main';
    readonly dev?: NetInterface;
    readonly gateway?: Ipv4Address;
    readonly prefsrc?: Ipv4Address;
    readonly scope?: RouteScope;
    readonly protocol?: 'kernel' | 'boot' | 'static';
    readonly metric?: number;
    readonly initcwnd?: number;
  }): RouteResult {
    if (!Number.isInteger(spec.prefixLength) || spec.prefixLength < 0 || spec.prefixLength > 32) {
      return { ok: false, errno: 'EINVAL' };
    }
    const type = spec.type ?? 'unicast';
    const table = spec.table ?? 'main';
    const list = table === 'local' ? this.#local : this.#main;
    const dst = (spec.dst & prefixMask(spec.prefixLength)) >>> 0;
    const metric = spec.metric ?? 0;
    let dev = spec.dev;
    if (spec.gateway !== undefined) {
      const via = this.lookup(spec.gateway, dev);
      if (via === undefined || via.type !== 'unicast' || via.gateway !== undefined) {
        return { ok: false, errno: 'ENETUNREACH' };
      }
      dev = via.dev;
    }
    if (dev === undefined && (type === 'unicast' || type === 'local' || type === 'broadcast')) {
      return { ok: false, errno: 'EINVAL' };
    }
    if (
      list.some((r) => r.dst === dst && r.prefixLength === spec.prefixLength && r.metric === metric)
    ) {
      return { ok: false, errno: 'EEXIST' };
    }
    // iproute2: a route through a gateway (or with no device) is scope global,
    // a device route scope link; the kernel's local routes are scope host.
    const scope: RouteScope =
      spec.scope ??
      (type === 'local'
        ? 'host'
        : spec.gateway !== undefined || dev === undefined
          ? 'global'
          : 'link');
    const route: Route = {
      table,
      type,
      dst,
      prefixLength: spec.prefixLength,
      dev: type === 'unreachable' || type === 'prohibit' || type === 'blackhole' ? undefined : dev,
      gateway: spec.gateway,
      prefsrc: spec.prefsrc,
      scope,
      protocol: spec.protocol ?? 'boot',
      metric,
      initcwnd: spec.initcwnd ?? 0,
    };
    list.push(route);
    this.#generation++;
    return { ok: true, route };
  }

  /** `ip route del`: the first route of `table` with this prefix (and metric, if given). */
  delete(
    dst: Ipv4Address,
    prefixLength: number,
    table: 'local' | 'main' = 'main',
    metric?: number,
  ): RouteResult {
    const list = table === 'local' ? this.#local : this.#main;
    const masked = (dst & prefixMask(prefixLength)) >>> 0;
    const i = list.findIndex(
      (r) =>
        r.dst === masked &&
        r.prefixLength === prefixLength &&
        (metric === undefined || r.metric === metric),
    );
    if (i < 0) return { ok: false, errno: 'ESRCH' };
    const [route] = list.splice(i, 1);
    this.#generation++;
    return { ok: true, route: route! };
  }

  /** fib_add_ifaddr: the routes that come with an address. */
  addInterfaceAddress(dev: NetInterface, address: Ipv4Address, prefixLength: number): void {
    // The device's addresses changed (selectAddress reads them), even if no route did.
    this.#generation++;
    const prefix = (address & prefixMask(prefixLength)) >>> 0;
    const kernel = { protocol: 'kernel' as const, prefsrc: address, dev };
    this.add({ ...kernel, table: 'local', type: 'local', dst: address, prefixLength: 32 });
    if (dev.kind === 'loopback') {
      if (prefixLength < 32) {
        this.add({ ...kernel, table: 'local', type: 'local', dst: prefix, prefixLength });
      }
    } else if (prefixLength < 32) {
      this.add({
        ...kernel,
        table: 'main',
        type: 'unicast',
        dst: prefix,
        prefixLength,
        scope: 'link',
      });
    }
    // RFC 3021: /31 and /32 have no broadcast address.
    if (prefixLength < 31) {
      const broadcast = (prefix | ~prefixMask(prefixLength)) >>> 0;
      this.add({ ...kernel, table: 'local', type: 'broadcast', dst: broadcast, prefixLength: 32 });
    }
  }

  /** fib_del_ifaddr: removes every route the kernel added for `address` on `dev`. */
  removeInterfaceAddress(dev: NetInterface, address: Ipv4Address): void {
    this.#generation++;
    for (const list of [this.#local, this.#main]) {
      for (let i = list.length - 1; i >= 0; i--) {
        const r = list[i]!;
        if (r.protocol === 'kernel' && r.dev === dev && r.prefsrc === address) list.splice(i, 1);
      }
    }
    // Routes through a gateway that is no longer on-link go too (fib_sync_down_addr).
    for (let i = this.#main.length - 1; i >= 0; i--) {
      const r = this.#main[i]!;
      if (r.gateway !== undefined && r.dev === dev) {
        const via = best(this.#main, r.gateway, dev);
        if (via === undefined || via.gateway !== undefined) this.#main.splice(i, 1);
      }
    }
  }

  /** Removes every route through `dev` (the device went away). */
  removeDevice(dev: NetInterface): void {
    this.#generation++;
    for (const list of [this.#local, this.#main]) {
      for (let i = list.length - 1; i >= 0; i--) if (list[i]!.dev === dev) list.splice(i, 1);
    }
  }
}

/** Longest prefix first, then lowest metric, then the route added first. */
function best(list: readonly Route[], dst: Ipv4Address, oif?: NetInterface): Route | undefined {
  let found: Route | undefined;
  for (const r of list) {
    if (!inPrefix(dst, r.dst, r.prefixLength)) continue;
    if (oif !== undefined && r.dev !== undefined && r.dev !== oif) continue;
    if (
      found === undefined ||
      r.prefixLength > found.prefixLength ||
      (r.prefixLength === found.prefixLength && r.metric < found.metric)
    ) {
      found = r;
    }
  }
  return found;
}
