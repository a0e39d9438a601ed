/**
 * Real frames from the Linux reference traces (../shared/linux-traces/<case>/capture.pcap,
 * frame numbers counted from 1, as tcpdump lists them), copied here as hex so the
 * tests do not depend on those files, with what `tcpdump -n -v -e -S -r` (4.99.3)
 * printed for each, timestamp removed. The -v output of a TCP segment spans two
 * lines; they are joined with a newline here as tcpdump prints them.
 */

export interface GoldenFrame {
  readonly name: string;
  /** Trace file and frame number. */
  readonly source: string;
  readonly hex: string;
  readonly tcpdump: string;
}

export function fromHex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHexString(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export const ARP_REQUEST: GoldenFrame = {
  name: 'ARP request',
  source: 'data-exchange/nc #1',
  hex: 'ffffffffffff02000000002108060001080006040001020000000021c0a80015000000000000c0a80016',
  tcpdump:
    '02:00:00:00:00:21 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Ethernet (len 6), IPv4 (len 4), Request who-has 192.168.0.22 tell 192.168.0.21, length 28',
};

export const ARP_REPLY: GoldenFrame = {
  name: 'ARP reply',
  source: 'data-exchange/nc #2',
  hex: '02000000002102000000002208060001080006040002020000000022c0a80016020000000021c0a80015',
  tcpdump:
    '02:00:00:00:00:22 > 02:00:00:00:00:21, ethertype ARP (0x0806), length 42: Ethernet (len 6), IPv4 (len 4), Reply 192.168.0.22 is-at 02:00:00:00:00:22, length 28',
};

export const SYN: GoldenFrame = {
  name: 'SYN',
  source: 'data-exchange/nc #3',
  hex:
    '02000000002202000000002108004500003c0d4240004006abfec0a80015c0a800169c410050bc339c29' +
    '00000000a002faf0df5c0000020405b40402080a4eb8a88c000000000103030a',
  tcpdump:
    '02:00:00:00:00:21 > 02:00:00:00:00:22, ethertype IPv4 (0x0800), length 74: (tos 0x0, ttl 64, id 3394, offset 0, flags [DF], proto TCP (6), length 60)\n' +
    '    192.168.0.21.40001 > 192.168.0.22.80: Flags [S], cksum 0xdf5c (correct), seq 3157498921, win 64240, options [mss 1460,sackOK,TS val 1320724620 ecr 0,nop,wscale 10], length 0',
};

export const SYN_ACK: GoldenFrame = {
  name: 'SYN-ACK',
  source: 'data-exchange/nc #4',
  hex:
    '02000000002102000000002208004500003c000040004006b940c0a80016c0a8001500509c4175180f76' +
    'bc339c2aa012fe8829140000020405b40402080a87e9a6274eb8a88c0103030a',
  tcpdump:
    '02:00:00:00:00:22 > 02:00:00:00:00:21, ethertype IPv4 (0x0800), length 74: (tos 0x0, ttl 64, id 0, offset 0, flags [DF], proto TCP (6), length 60)\n' +
    '    192.168.0.22.80 > 192.168.0.21.40001: Flags [S.], cksum 0x2914 (correct), seq 1964511094, ack 3157498922, win 65160, options [mss 1460,sackOK,TS val 2280236583 ecr 1320724620,nop,wscale 10], length 0',
};

export const ACK: GoldenFrame = {
  name: 'handshake ACK',
  source: 'data-exchange/nc #5',
  hex:
    '0200000000220200000000210800450000340d4340004006ac05c0a80015c0a800169c410050bc339c2a' +
    '75180f778010003f562d00000101080a4eb8a88c87e9a627',
  tcpdump:
    '02:00:00:00:00:21 > 02:00:00:00:00:22, ethertype IPv4 (0x0800), length 66: (tos 0x0, ttl 64, id 3395, offset 0, flags [DF], proto TCP (6), length 52)\n' +
    '    192.168.0.21.40001 > 192.168.0.22.80: Flags [.], cksum 0x562d (correct), ack 1964511095, win 63, options [nop,nop,TS val 1320724620 ecr 2280236583], length 0',
};

export const DATA: GoldenFrame = {
  name: 'data segment (hello\\r\\n)',
  source: 'data-exchange/nc #6',
  hex:
    '02000000002202000000002108004500003b0d4440004006abfdc0a80015c0a800169c410050bc339c2a' +
    '75180f778018003f064b00000101080a4eb8aa8087e9a62768656c6c6f0d0a',
  tcpdump:
    '02:00:00:00:00:21 > 02:00:00:00:00:22, ethertype IPv4 (0x0800), length 73: (tos 0x0, ttl 64, id 3396, offset 0, flags [DF], proto TCP (6), length 59)\n' +
    '    192.168.0.21.40001 > 192.168.0.22.80: Flags [P.], cksum 0x064b (correct), seq 3157498922:3157498929, ack 1964511095, win 63, options [nop,nop,TS val 1320725120 ecr 2280236583], length 7: HTTP',
};

export const FIN_ACK: GoldenFrame = {
  name: 'FIN',
  source: 'data-exchange/nc #13',
  hex:
    '0200000000220200000000210800450000340d4840004006ac00c0a80015c0a800169c410050bc339c3f' +
    '75180f988011003f464800000101080a4eb8b25987e9ac08',
  tcpdump:
    '02:00:00:00:00:21 > 02:00:00:00:00:22, ethertype IPv4 (0x0800), length 66: (tos 0x0, ttl 64, id 3400, offset 0, flags [DF], proto TCP (6), length 52)\n' +
    '    192.168.0.21.40001 > 192.168.0.22.80: Flags [F.], cksum 0x4648 (correct), seq 3157498943, ack 1964511128, win 63, options [nop,nop,TS val 1320727129 ecr 2280238088], length 0',
};

export const RST_ACK: GoldenFrame = {
  name: 'RST|ACK from a closed port',
  source: 'closed-port/nc #4',
  hex:
    '020000000021020000000022080045000028000040004006b954c0a80016c0a8001500509c4100000000' +
    'b90f1c0b50140000bca80000',
  tcpdump:
    '02:00:00:00:00:22 > 02:00:00:00:00:21, ethertype IPv4 (0x0800), length 54: (tos 0x0, ttl 64, id 0, offset 0, flags [DF], proto TCP (6), length 40)\n' +
    '    192.168.0.22.80 > 192.168.0.21.40001: Flags [R.], cksum 0xbca8 (correct), seq 0, ack 3104775179, win 0, length 0',
};

export const RST: GoldenFrame = {
  name: 'bare RST answering a FIN after FIN_WAIT2 expired',
  source: 'time-wait/fw2-orphan-default #9',
  hex:
    '020000000022020000000021080045000028000040004006b954c0a80015c0a800169c410050032f6605' +
    '0000000050040000289f0000',
  tcpdump:
    '02:00:00:00:00:21 > 02:00:00:00:00:22, ethertype IPv4 (0x0800), length 54: (tos 0x0, ttl 64, id 0, offset 0, flags [DF], proto TCP (6), length 40)\n' +
    '    192.168.0.21.40001 > 192.168.0.22.80: Flags [R], cksum 0x289f (correct), seq 53437957, win 0, length 0',
};

export const SYN_MSS_ONLY: GoldenFrame = {
  name: 'flood SYN with only an MSS option',
  source: 'syn-flood/syncookies1 #3',
  hex:
    '02000000002202000000002108004500002c000040004006b8e5c0a80080c0a800162665005091b7584a' +
    '000000006002faf00a980000020405b4',
  tcpdump:
    '02:00:00:00:00:21 > 02:00:00:00:00:22, ethertype IPv4 (0x0800), length 58: (tos 0x0, ttl 64, id 0, offset 0, flags [DF], proto TCP (6), length 44)\n' +
    '    192.168.0.128.9829 > 192.168.0.22.80: Flags [S], cksum 0x0a98 (correct), seq 2444712010, win 64240, options [mss 1460], length 0',
};

export const REJECTED_SYN: GoldenFrame = {
  name: 'SYN that REJECT answers with ICMP',
  source: 'reject-icmp/nc #3',
  hex:
    '02000000002202000000002108004500003c324b4000400686f5c0a80015c0a800169c410050ae06d5a7' +
    '00000000a002faf0ef800000020405b40402080a4eb86d17000000000103030a',
  tcpdump:
    '02:00:00:00:00:21 > 02:00:00:00:00:22, ethertype IPv4 (0x0800), length 74: (tos 0x0, ttl 64, id 12875, offset 0, flags [DF], proto TCP (6), length 60)\n' +
    '    192.168.0.21.40001 > 192.168.0.22.80: Flags [S], cksum 0xef80 (correct), seq 2919683495, win 64240, options [mss 1460,sackOK,TS val 1320709399 ecr 0,nop,wscale 10], length 0',
};

export const ICMP_PORT_UNREACHABLE: GoldenFrame = {
  name: 'ICMP port unreachable quoting the SYN',
  source: 'reject-icmp/nc #4',
  hex:
    '020000000021020000000022080045c00058e0e1000040011788c0a80016c0a8001503037ea700000000' +
    '4500003c324b4000400686f5c0a80015c0a800169c410050ae06d5a700000000a002faf0ef8000000204' +
    '05b40402080a4eb86d17000000000103030a',
  tcpdump:
    '02:00:00:00:00:22 > 02:00:00:00:00:21, ethertype IPv4 (0x0800), length 102: (tos 0xc0, ttl 64, id 57569, offset 0, flags [none], proto ICMP (1), length 88)\n' +
    '    192.168.0.22 > 192.168.0.21: ICMP 192.168.0.22 tcp port 80 unreachable, length 68\n' +
    '\t(tos 0x0, ttl 64, id 12875, offset 0, flags [DF], proto TCP (6), length 60)\n' +
    '    192.168.0.21.40001 > 192.168.0.22.80: Flags [S], cksum 0xef80 (correct), seq 2919683495, win 64240, options [mss 1460,sackOK,TS val 1320709399 ecr 0,nop,wscale 10], length 0',
};

export const TCP_FRAMES: readonly GoldenFrame[] = [
  SYN,
  SYN_ACK,
  ACK,
  DATA,
  FIN_ACK,
  RST_ACK,
  RST,
  SYN_MSS_ONLY,
  REJECTED_SYN,
];

export const ALL_FRAMES: readonly GoldenFrame[] = [
  ARP_REQUEST,
  ARP_REPLY,
  ...TCP_FRAMES,
  ICMP_PORT_UNREACHABLE,
];
