/**
 * Public types of `@switchyard/client`.
 */
import type { OrdType, Side, TimeInForce } from '@switchyard/protocol';
import type { ServerMessage, WireReason } from '@switchyard/protocol';

/** Side as the enum value or its contract name. */
export type SideInput = Side | 'BUY' | 'SELL';
/** Order type as the enum value or its contract name. */
export type OrdTypeInput = OrdType | 'LIMIT' | 'MARKET';
/** Time in force as the enum value or its contract name. */
export type TimeInForceInput = TimeInForce | 'GTC' | 'GTD';

/**
 * A new order, shaped like the HTTP contract `order_request_v1` (prices in integer ticks).
 * Omitted optional fields take the contract defaults (LIMIT, GTC, no price/expiry/clientOrderId).
 */
export interface OrderRequest {
  symbol: string;
  side: SideInput;
  /** default LIMIT */
  type?: OrdTypeInput;
  qty: number;
  /** integer ticks; required (> 0) for LIMIT, omitted or null for MARKET */
  price?: number | null;
  /** default GTC */
  timeInForce?: TimeInForceInput;
  /** epoch ms; required (in the future) for GTD */
  expireAt?: number | null;
  /** at most 64 printable ASCII characters, unique per account */
  clientOrderId?: string | null;
}

/** Names the order to cancel: by the server's order id, or by the clientOrderId given at entry. */
/**
 * Order ids are 64-bit: give them as the decimal string the gateway printed (HTTP `orderId`), a
 * bigint, or a number up to 2^53 − 1.
 */
export type CancelRequest = { orderId: string | bigint | number } | { clientOrderId: string };

/** A reason name from the shared table, or `UNKNOWN_<code>` for a code this build does not know. */
export type ReasonName = WireReason | `UNKNOWN_${number}`;

/** The server accepted the order. */
export interface OrderAck {
  status: 'ACK';
  clientSeq: number;
  orderId: number;
  sessionSeq: number;
  /** server receive timestamp in nanoseconds */
  receivedAtNs: bigint;
}

/** The server rejected the order (validation, risk or admission). */
export interface OrderReject {
  status: 'REJECTED';
  clientSeq: number;
  reason: ReasonName;
  reasonCode: number;
}

/** Outcome of {@link SwitchyardClient.newOrder}: a business answer, never a transport failure. */
export type OrderResult = OrderAck | OrderReject;

/** The server accepted the cancel for `orderId`. */
export interface CancelAccepted {
  status: 'CANCEL_ACK';
  clientSeq: number;
  orderId: number;
}

/** The server refused the cancel (e.g. ORDER_NOT_FOUND, ORDER_FINAL). */
export interface CancelRejected {
  status: 'CANCEL_REJECTED';
  clientSeq: number;
  reason: ReasonName;
  reasonCode: number;
}

/** Outcome of {@link SwitchyardClient.cancel}. */
export type CancelResult = CancelAccepted | CancelRejected;

/** What the server granted at login. */
export interface SessionInfo {
  sessionId: string;
  /** heartbeat interval in force on this connection */
  heartbeatMs: number;
  /** smallest client sequence number the server expects next */
  nextClientSeq: number;
}

/** A Goodbye from the server, decoded. */
export interface GoodbyeInfo {
  reason: ReasonName;
  reasonCode: number;
  text: string;
}

/** Millisecond clock used for heartbeats and timeouts (monotonic by default). */
export interface Clock {
  now(): number;
}

/** Exponential backoff for reconnects: delay(n) = min(maxDelayMs, initialDelayMs · factor^(n−1)) · (1 ± jitter). */
export interface ReconnectPolicy {
  /** default 100 */
  initialDelayMs?: number;
  /** default 5000 */
  maxDelayMs?: number;
  /** default 2 */
  factor?: number;
  /** attempts after each disconnect before giving up; default unlimited */
  maxAttempts?: number;
  /** fraction of random spread, 0..1; default 0.2 */
  jitter?: number;
}

export interface ClientOptions {
  host: string;
  port: number;
  /** JWT, or a function returning one (called for every connect, so it can refresh tokens) */
  token: string | (() => string | Promise<string>);
  /** heartbeat interval asked for at login (the server decides); default 1000 ms */
  heartbeatMs?: number;
  /** the server is dead after this many intervals with nothing received; default 3 */
  missedHeartbeats?: number;
  /** reconnect after a lost session (never after a rejected login or close()); default false */
  reconnect?: boolean | ReconnectPolicy;
  /** limit for TCP connect + login; default 5000 ms */
  connectTimeoutMs?: number;
  /** limit for the graceful close (Logout → Goodbye); default 2000 ms */
  closeTimeoutMs?: number;
  /** time source for heartbeats and timeouts; default performance.now() */
  clock?: Clock;
  /**
   * Run heartbeats and timeouts from an internal timer (default true). Set false to drive them
   * by calling {@link SwitchyardClient.tick} yourself (tests, custom event loops).
   */
  autoTick?: boolean;
  /** TCP_NODELAY; default true */
  noDelay?: boolean;
}

export type ClientState = 'connecting' | 'active' | 'reconnecting' | 'closing' | 'closed';

/** Events of {@link SwitchyardClient} with their argument lists. */
export interface ClientEventMap {
  /** a session was established (first connect and every reconnect) */
  connected: [info: SessionInfo];
  /** the session was lost; outstanding requests have failed with ConnectionLostError */
  disconnected: [cause: Error];
  /** a reconnect attempt is scheduled */
  reconnecting: [attempt: number, delayMs: number];
  /** final: no more sessions (null after a clean close) */
  closed: [cause: Error | null];
  /** every message received from the server, solicited or not */
  message: [msg: ServerMessage];
  /** a server heartbeat */
  heartbeat: [];
  /** the server ended the session */
  goodbye: [info: GoodbyeInfo];
  /** what happened to one of the session's orders at its venue (a fill, a cancel, a reject, an expiry) */
  executionReport: [report: ExecutionReport];
}

/** An execution report of one of the session's orders, with names spelled out. */
export interface ExecutionReport {
  orderId: number;
  execType: 'NEW' | 'TRADE' | 'CANCELED' | 'REJECTED' | 'EXPIRED' | 'REPLACED' | 'ORDER_STATUS';
  status: 'ACCEPTED' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCEL_REQUESTED' | 'CANCELED' | 'REJECTED' | 'EXPIRED';
  lastQty: number;
  lastPx: number;
  cumQty: number;
  leavesQty: number;
  avgPx: number;
  /** epoch ms */
  transactTime: number;
}
