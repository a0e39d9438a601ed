/**
 * The sysctl table: Linux's names and defaults, the kernel's parsing, and the
 * errors a `sysctl` tool turns into Debian's messages (ENOENT, EINVAL).
 */

import { expect, describe as group, test } from 'vitest';
import { Host } from '../../src/host/host.js';
import { SysctlTable } from '../../src/host/sysctl.js';
import { EventQueue } from '../../src/sim/events.js';
import { Random } from '../../src/sim/random.js';

function host(): Host {
  const h = new Host({ name: 'h', events: new EventQueue(), random: new Random(1) });
  h.addEthernet();
  return h;
}

group('defaults of a stock Linux 6.12', () => {
  test.each([
    ['net.ipv4.ip_default_ttl', '64'],
    ['net.ipv4.ip_forward', '0'],
    ['net.ipv4.ip_local_port_range', '32768\t60999'],
    ['net.ipv4.ip_unprivileged_port_start', '1024'],
    ['net.ipv4.icmp_ratelimit', '1000'],
    ['net.ipv4.icmp_ratemask', '6168'],
    ['net.ipv4.icmp_msgs_per_sec', '1000'],
    ['net.ipv4.icmp_msgs_burst', '50'],
    ['net.ipv4.icmp_echo_ignore_broadcasts', '1'],
    ['net.core.somaxconn', '4096'],
    ['net.ipv4.neigh.default.base_reachable_time_ms', '30000'],
    ['net.ipv4.neigh.default.delay_first_probe_time', '5'],
    ['net.ipv4.neigh.default.retrans_time_ms', '1000'],
    ['net.ipv4.neigh.default.mcast_solicit', '3'],
    ['net.ipv4.neigh.default.ucast_solicit', '3'],
    ['net.ipv4.neigh.default.app_solicit', '0'],
    ['net.ipv4.neigh.default.gc_stale_time', '60'],
    ['net.ipv4.neigh.default.gc_thresh1', '128'],
    ['net.ipv4.neigh.default.gc_thresh3', '1024'],
    ['net.ipv4.neigh.default.locktime', '100'],
    ['net.ipv4.neigh.default.unres_qlen_bytes', '212992'],
    ['net.ipv4.neigh.default.unres_qlen', '101'],
    ['net.ipv4.neigh.eth0.base_reachable_time_ms', '30000'],
    ['net.ipv4.neigh.lo.retrans_time_ms', '1000'],
  ])('%s = %s', (key, value) => {
    expect(host().sysctl.read(key)).toEqual({ ok: true, value });
  });

  test('`sysctl -a` lists every key, sorted', () => {
    const keys = host().sysctl.keys();
    expect(keys).toEqual([...keys].sort());
    expect(keys).toContain('net.ipv4.neigh.eth0.unres_qlen');
  });
});

group('failing as the kernel does', () => {
  test('an unknown key: ENOENT on open (tcp_tw_recycle, removed in 4.12)', () => {
    expect(host().sysctl.read('net.ipv4.tcp_tw_recycle')).toEqual({
      ok: false,
      error: {
        code: 'ENOENT',
        errno: 2,
        syscall: 'open',
        path: '/proc/sys/net/ipv4/tcp_tw_recycle',
        message: 'No such file or directory',
      },
    });
    expect(host().sysctl.write('net.ipv4.nope', '1')).toMatchObject({
      ok: false,
      error: { code: 'ENOENT' },
    });
  });

  test.each([
    ['abc'],
    [''],
    ['   '],
    ['64abc'],
    ['0'],
    ['256'],
    ['-1'],
    ['08'],
    ['0x'],
    ['99999999999'],
  ])('ip_default_ttl = %j: EINVAL, nothing changes', (text) => {
    const h = host();
    expect(h.sysctl.write('net.ipv4.ip_default_ttl', text)).toMatchObject({
      ok: false,
      error: { code: 'EINVAL', errno: 22, syscall: 'write', message: 'Invalid argument' },
    });
    expect(h.sysctl.int('net.ipv4.ip_default_ttl')).toBe(64);
  });

  test.each([
    [' 32\n', '32'],
    ['0x40', '64'],
    ['0100', '64'],
    ['128 7', '128'],
  ])('ip_default_ttl = %j reads back %s (proc_dointvec parses C numbers)', (text, value) => {
    const h = host();
    expect(h.sysctl.write('net.ipv4.ip_default_ttl', text)).toEqual({ ok: true, value });
  });

  test('ip_local_port_range: high below low, or low below ip_unprivileged_port_start, is EINVAL', () => {
    const h = host();
    const s = h.sysctl;
    expect(s.write('net.ipv4.ip_local_port_range', '61000 60999')).toMatchObject({ ok: false });
    expect(s.write('net.ipv4.ip_local_port_range', '1000 2000')).toMatchObject({ ok: false });
    expect(s.write('net.ipv4.ip_local_port_range', '1 70000')).toMatchObject({ ok: false });
    expect(s.write('net.ipv4.ip_local_port_range', '1024 65535')).toEqual({
      ok: true,
      value: '1024\t65535',
    });
    // One value changes the low end only.
    expect(s.write('net.ipv4.ip_local_port_range', '40000')).toEqual({
      ok: true,
      value: '40000\t65535',
    });
    expect(s.ints('net.ipv4.ip_local_port_range')).toEqual([40000, 65535]);
    // The privileged limit may not reach into the range.
    expect(s.write('net.ipv4.ip_unprivileged_port_start', '40001')).toMatchObject({ ok: false });
    expect(s.write('net.ipv4.ip_unprivileged_port_start', '40000').ok).toBe(true);
  });

  test('milliseconds kept in jiffies: 1 ms reads back as 4 (HZ 250)', () => {
    const h = host();
    expect(h.sysctl.write('net.ipv4.icmp_ratelimit', '1')).toEqual({ ok: true, value: '4' });
    expect(h.sysctl.jiffies('net.ipv4.icmp_ratelimit')).toBe(1);
    expect(h.sysctl.write('net.ipv4.neigh.eth0.delay_first_probe_time', '7')).toEqual({
      ok: true,
      value: '7',
    });
  });
});

group('neighbour parameters: a device copies the defaults until it sets its own', () => {
  test('a write to default reaches devices that did not set the variable', () => {
    const h = host();
    const s = h.sysctl;
    expect(s.write('net.ipv4.neigh.eth0.retrans_time_ms', '500').ok).toBe(true);
    expect(s.write('net.ipv4.neigh.default.retrans_time_ms', '2000').ok).toBe(true);
    expect(s.write('net.ipv4.neigh.default.ucast_solicit', '5').ok).toBe(true);
    expect(s.int('net.ipv4.neigh.eth0.retrans_time_ms')).toBe(500);
    expect(s.int('net.ipv4.neigh.eth0.ucast_solicit')).toBe(5);
    expect(s.int('net.ipv4.neigh.lo.retrans_time_ms')).toBe(2000);
    // A device made later copies the defaults as they are now.
    h.addEthernet();
    expect(s.int('net.ipv4.neigh.eth1.retrans_time_ms')).toBe(2000);
  });

  test("base_reachable_time_ms redraws the device's reachable time at once", () => {
    const h = host();
    const eth0 = h.interface('eth0')!;
    expect(h.sysctl.write('net.ipv4.neigh.eth0.base_reachable_time_ms', '2000').ok).toBe(true);
    const rt = h.neigh.parms(eth0).reachableTime;
    expect(rt).toBeGreaterThanOrEqual(250);
    expect(rt).toBeLessThan(750);
  });
});

group('other layers register their own keys', () => {
  test('a new key: read, write, validation, listeners; twice is a bug', () => {
    const t = new SysctlTable();
    const seen: unknown[] = [];
    t.register({
      name: 'net.ipv4.tcp_syn_retries',
      kind: { type: 'int', min: 1, max: 127 },
      default: 6,
      source: 'Linux: net/ipv4/tcp_ipv4.c tcp_sk_init (TCP_SYN_RETRIES)',
    });
    t.onChange('net.ipv4.tcp_syn_retries', (v) => seen.push(v));
    expect(t.read('net.ipv4.tcp_syn_retries')).toEqual({ ok: true, value: '6' });
    expect(t.write('net.ipv4.tcp_syn_retries', '0')).toMatchObject({
      ok: false,
      error: { code: 'EINVAL' },
    });
    expect(t.write('net.ipv4.tcp_syn_retries', '3')).toEqual({ ok: true, value: '3' });
    expect(seen).toEqual([3]);
    expect(() =>
      t.register({
        name: 'net.ipv4.tcp_syn_retries',
        kind: { type: 'int' },
        default: 1,
        source: '',
      }),
    ).toThrow(/already registered/);
  });

  test('vectors and strings, with a check that says ENOENT (tcp_congestion_control)', () => {
    const t = new SysctlTable();
    t.register({
      name: 'net.ipv4.tcp_rmem',
      kind: { type: 'intvec', length: 3, min: 1 },
      default: [4096, 131072, 6291456],
      source: 'Linux: net/ipv4/tcp.c tcp_init',
    });
    t.register({
      name: 'net.ipv4.tcp_congestion_control',
      kind: { type: 'string', maxLength: 16 },
      default: 'cubic',
      source: 'Linux: net/ipv4/tcp_cong.c',
      validate: (v) => (['cubic', 'reno', 'bbr'].includes(v as string) ? undefined : 'ENOENT'),
    });
    expect(t.read('net.ipv4.tcp_rmem')).toEqual({ ok: true, value: '4096\t131072\t6291456' });
    expect(t.write('net.ipv4.tcp_rmem', '4096 131072 33554432')).toEqual({
      ok: true,
      value: '4096\t131072\t33554432',
    });
    expect(t.write('net.ipv4.tcp_congestion_control', 'bbr\n')).toEqual({ ok: true, value: 'bbr' });
    expect(t.write('net.ipv4.tcp_congestion_control', 'vegas')).toMatchObject({
      ok: false,
      error: { code: 'ENOENT', syscall: 'write' },
    });
  });
});
