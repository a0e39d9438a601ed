/**
 * A packetdrill script as the parser hands it to the executor: header options,
 * then events in file order, each with its time and its action. The shapes follow
 * packetdrill's own (google/packetdrill gtests/net/packetdrill/script.h: struct
 * event, enum event_time_t; packet.h; parser.y), reduced to what tcplab runs.
 */

/** Where something is in a script (1-based, as editors count). */
export interface Loc {
  readonly line: number;
  readonly col: number;
}

/**
 * When an event happens (packetdrill enum event_time_t). Times are integer
 * microseconds, as packetdrill keeps them. `relative` times count from the
 * previous event (see the executor for which instant that is).
 */
export type EventTime =
  | { readonly kind: 'absolute'; readonly usecs: number }
  | { readonly kind: 'relative'; readonly usecs: number }
  | { readonly kind: 'any' }
  | { readonly kind: 'absoluteRange'; readonly usecs: number; readonly endUsecs: number }
  | { readonly kind: 'relativeRange'; readonly usecs: number; readonly endUsecs: number };

/** One TCP option as a script writes it. */
export type OptionSpec =
  | { readonly kind: 'nop' }
  | { readonly kind: 'eol' }
  | { readonly kind: 'mss'; readonly mss: number }
  | { readonly kind: 'wscale'; readonly shift: number }
  | { readonly kind: 'sackOK' }
  | { readonly kind: 'sack'; readonly blocks: readonly (readonly [number, number])[] }
  | { readonly kind: 'ts'; readonly val: number; readonly ecr: number };

/** `S. 0:0(0) ack 1 win 5840 <mss 1460,nop>`. */
export interface TcpSpec {
  /** TCP flag bits (src/wire/tcp.ts FIN, SYN, …). */
  readonly flags: number;
  /** As written (`S.`, `FP.`, `-`). */
  readonly flagsText: string;
  readonly seqStart: number;
  readonly seqEnd: number;
  readonly len: number;
  readonly ack: number | undefined;
  readonly win: number | undefined;
  /** undefined: no option list written; 'any': `<...>`. */
  readonly options: readonly OptionSpec[] | 'any' | undefined;
}

/** `icmp unreachable port_unreachable [0:0(0)]`: an ICMP error quoting one of our segments. */
export interface IcmpSpec {
  readonly type: string;
  readonly code: string;
  readonly mtu: number | undefined;
  /** The quoted TCP segment: seq relative to our ISN, and its length. */
  readonly quotedSeq: number;
  readonly quotedLen: number;
}

export interface PacketAction {
  readonly kind: 'packet';
  readonly direction: 'inbound' | 'outbound';
  readonly tcp?: TcpSpec;
  readonly icmp?: IcmpSpec;
}

/** An argument or an expected value of a system call (packetdrill struct expression). */
export type Expr =
  | { readonly kind: 'ellipsis'; readonly loc: Loc }
  | { readonly kind: 'int'; readonly value: number; readonly loc: Loc }
  | { readonly kind: 'symbol'; readonly name: string; readonly loc: Loc }
  | { readonly kind: 'null'; readonly loc: Loc }
  | { readonly kind: 'string'; readonly value: string; readonly loc: Loc }
  | { readonly kind: 'list'; readonly items: readonly Expr[]; readonly loc: Loc }
  | {
      readonly kind: 'struct';
      readonly fields: readonly { readonly name: string; readonly value: Expr }[];
      readonly loc: Loc;
    }
  | { readonly kind: 'or'; readonly left: Expr; readonly right: Expr; readonly loc: Loc };

export interface SyscallAction {
  readonly kind: 'syscall';
  readonly name: string;
  readonly args: readonly Expr[];
  /** The expected return value. */
  readonly result: Expr;
  /** The expected errno when the result is -1 (`EINPROGRESS`). */
  readonly errno: string | undefined;
  /** The parenthesised note after the result (`(Operation now in progress)`). */
  readonly note: string | undefined;
}

/** A backquoted shell command; tcplab interprets a few, never runs anything. */
export interface CommandAction {
  readonly kind: 'command';
  readonly text: string;
}

/** A `%{ … }%` Python snippet asserting over tcp_info fields. */
export interface CodeAction {
  readonly kind: 'code';
  readonly text: string;
}

export type Action = PacketAction | SyscallAction | CommandAction | CodeAction;

export interface Event {
  readonly loc: Loc;
  /** undefined for a command written without a time (the init and cleanup commands). */
  readonly time: EventTime | undefined;
  /** `start...end`: the end of a blocking system call, microseconds as written. */
  readonly blockingEndUsecs: number | undefined;
  readonly action: Action;
  /** The event's source text, trimmed (for messages). */
  readonly text: string;
}

export interface HeaderOption {
  readonly name: string;
  readonly value: string | undefined;
  readonly loc: Loc;
}

export interface Script {
  readonly path: string;
  readonly options: readonly HeaderOption[];
  readonly events: readonly Event[];
}
