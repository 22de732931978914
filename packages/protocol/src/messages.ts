/**
 * Switchyard binary order-entry protocol: constants, message types and shapes, and the reason
 * codes that end a session. No encoding here (encode.ts, decode.ts); the byte layout of every
 * message is in docs/tcp-protocol.md.
 */
import { REASONS, type Reason } from './reasons.js';
import type { OrdType, Side, TimeInForce } from './order.js';

// ---------------------------------------------------------------------------------------------
// Constants

/**
 * Protocol version carried in Login. Bump it for any incompatible change of a layout.
 * 2 adds ExecutionReport (server → client); a version-1 session receives none.
 */
export const PROTOCOL_VERSION = 2;
/** The oldest version a server still accepts. */
export const MIN_PROTOCOL_VERSION = 1;
/** Bytes of the length prefix. */
export const LENGTH_BYTES = 2;
/** Largest accepted value of the length field (type byte + body). */
export const MAX_PAYLOAD_LENGTH = 1024;
/** Largest frame on the wire, length prefix included. */
export const MAX_FRAME_BYTES = LENGTH_BYTES + MAX_PAYLOAD_LENGTH;
/** Width of the fixed symbol field (ASCII, left-justified, padded with spaces or NULs). */
export const SYMBOL_BYTES = 8;
/** Maximum clientOrderId length in bytes (0 means "no clientOrderId"). */
export const MAX_CLIENT_ORDER_ID_BYTES = 64;
/** Maximum session id length in bytes (LoginAccepted). */
export const MAX_SESSION_ID_BYTES = 64;
/** Maximum free-text length in bytes (LoginRejected, Goodbye); longer text is truncated. */
export const MAX_TEXT_BYTES = 255;

/** Body sizes of the fixed part of each message (the bytes after the type byte). */
export const BODY = {
  LOGIN_FIXED: 7,
  NEW_ORDER_FIXED: 40,
  CANCEL_FIXED: 17,
  HEARTBEAT: 0,
  LOGOUT: 0,
  LOGIN_ACCEPTED_FIXED: 13,
  LOGIN_REJECTED_FIXED: 3,
  ACK: 32,
  REJECT: 10,
  CANCEL_ACK: 16,
  CANCEL_REJECT: 10,
  GOODBYE_FIXED: 3,
  EXECUTION_REPORT: 46,
} as const;

/** Maximum JWT length that fits in one Login frame. */
export const MAX_TOKEN_BYTES = MAX_PAYLOAD_LENGTH - 1 - BODY.LOGIN_FIXED;

/**
 * Message type byte. Printable ASCII letters, so a hex dump reads like SoupBinTCP/OUCH.
 * Heartbeat ('H') is the only type used in both directions.
 */
export enum MsgType {
  // client -> server
  Login = 0x4c, // 'L'
  NewOrder = 0x4f, // 'O'
  Cancel = 0x58, // 'X'
  Logout = 0x51, // 'Q'
  // both directions
  Heartbeat = 0x48, // 'H'
  // server -> client
  LoginAccepted = 0x41, // 'A'
  LoginRejected = 0x4a, // 'J'
  Ack = 0x4b, // 'K'
  Reject = 0x52, // 'R'
  CancelAck = 0x43, // 'C'
  CancelReject = 0x49, // 'I'
  Goodbye = 0x5a, // 'Z'
  ExecutionReport = 0x45, // 'E' (version 2)
}

/** ExecType of an ExecutionReport (FIX 150). */
export enum ExecTypeCode {
  New = 1,
  Trade = 2,
  Canceled = 3,
  Rejected = 4,
  Expired = 5,
  Replaced = 6,
  OrderStatus = 7,
}

/** Order status of an ExecutionReport (FIX OrdStatus, the gateway's names). */
export enum OrdStatusCode {
  Accepted = 0,
  PartiallyFilled = 1,
  Filled = 2,
  CancelRequested = 3,
  Canceled = 4,
  Rejected = 5,
  Expired = 6,
}

// ---------------------------------------------------------------------------------------------
// Protocol-level reason codes

/**
 * The shared reasons (src/contract/reasons.ts) that end a session or refuse a login, carried in
 * Goodbye and LoginRejected. Messages for each are in the shared table of the HTTP transport.
 */
const PROTOCOL_REASON_NAMES = [
  'PROTOCOL_FRAME_TOO_LARGE',
  'PROTOCOL_UNKNOWN_MESSAGE_TYPE',
  'PROTOCOL_BAD_LENGTH',
  'PROTOCOL_BAD_FIELD',
  'PROTOCOL_NOT_LOGGED_IN',
  'PROTOCOL_ALREADY_LOGGED_IN',
  'PROTOCOL_SEQ_NOT_INCREASING',
  'PROTOCOL_UNSUPPORTED_VERSION',
  'PROTOCOL_HEARTBEAT_TIMEOUT',
  'PROTOCOL_LOGIN_TIMEOUT',
  'SESSION_LOGOUT',
  'SERVER_SHUTDOWN',
  'SESSION_SLOW_CONSUMER',
  'AUTH_FAILED',
  'AUTH_TOKEN_EXPIRED',
] as const satisfies readonly Reason[];

export type ProtocolReason = (typeof PROTOCOL_REASON_NAMES)[number];
/** Any reason name that can appear on the wire. */
export type WireReason = Reason;

/** Numeric code of each protocol reason, from the shared table. */
export const PROTOCOL_REASON_CODES: Readonly<Record<ProtocolReason, number>> = Object.freeze(
  Object.fromEntries(PROTOCOL_REASON_NAMES.map((name) => [name, REASONS[name]])) as Record<ProtocolReason, number>,
);
export const PROTOCOL_REASONS = PROTOCOL_REASON_CODES;

/** Numeric wire code of a reason name. */
export function wireReasonCode(reason: WireReason): number {
  return REASONS[reason];
}


/** A framing or session violation. The server answers it with Goodbye(code, message) and closes. */
export class ProtocolError extends Error {
  readonly code: number;
  constructor(
    readonly reason: ProtocolReason,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
    this.code = PROTOCOL_REASON_CODES[reason];
  }
}

// ---------------------------------------------------------------------------------------------
// Message shapes

/**
 * Client -> server: first message of every connection.
 * `heartbeatMs` is the interval the client asks for (0 = server default).
 */
export interface LoginMsg {
  readonly type: MsgType.Login;
  version: number;
  heartbeatMs: number;
  token: string;
}

/**
 * Client -> server: a new order. `side`, `ordType` and `timeInForce` are passed through as sent:
 * a value outside the enum is for validation (the server's mapping to its order contract) to reject, not the codec.
 */
export interface NewOrderMsg {
  readonly type: MsgType.NewOrder;
  clientSeq: number;
  symbol: string;
  side: Side;
  ordType: OrdType;
  timeInForce: TimeInForce;
  qty: number;
  /** integer ticks; 0 = absent (MARKET) */
  price: number;
  /** epoch ms; 0 = absent (GTC) */
  expireAt: number;
  /** null when absent (length 0 on the wire) */
  clientOrderId: string | null;
}

/** Client -> server: cancel one order, named by exactly one of `orderId` or `clientOrderId`. */
export interface CancelMsg {
  readonly type: MsgType.Cancel;
  clientSeq: number;
  /**
   * null when the order is named by clientOrderId (0 on the wire). Order ids are u64 on the wire: a
   * bigint carries one above 2^53 − 1 (the gateway issues ids below that, so such a cancel names no
   * order and is answered ORDER_NOT_FOUND).
   */
  orderId: number | bigint | null;
  /** null when the order is named by orderId (length 0 on the wire) */
  clientOrderId: string | null;
}

/** Both directions: keep-alive, sent by a side that has sent nothing else for one interval. */
export interface HeartbeatMsg {
  readonly type: MsgType.Heartbeat;
}

/** Client -> server: end the session. The server answers the requests before it, then Goodbye(SESSION_LOGOUT). */
export interface LogoutMsg {
  readonly type: MsgType.Logout;
}

/** Server -> client: login accepted. */
export interface LoginAcceptedMsg {
  readonly type: MsgType.LoginAccepted;
  sessionId: string;
  /** the smallest client sequence number the next NewOrder/Cancel may carry */
  nextClientSeq: number;
  /** heartbeat interval both sides use on this connection */
  heartbeatMs: number;
}

/** Server -> client: login refused; the server closes the connection after it. */
export interface LoginRejectedMsg {
  readonly type: MsgType.LoginRejected;
  reasonCode: number;
  text: string;
}

/** Server -> client: order accepted. */
export interface AckMsg {
  readonly type: MsgType.Ack;
  clientSeq: number;
  orderId: number;
  sessionSeq: number;
  /** server receive timestamp, nanoseconds (full u64 range) */
  receivedAtNs: bigint;
}

/** Server -> client: order rejected; `reasonCode` is a numeric id from the shared reason table. */
export interface RejectMsg {
  readonly type: MsgType.Reject;
  clientSeq: number;
  reasonCode: number;
}

/** Server -> client: cancel accepted for the order `orderId` (resolved even when named by clientOrderId). */
export interface CancelAckMsg {
  readonly type: MsgType.CancelAck;
  clientSeq: number;
  orderId: number;
}

/** Server -> client: cancel refused (e.g. ORDER_NOT_FOUND, ORDER_FINAL). */
export interface CancelRejectMsg {
  readonly type: MsgType.CancelReject;
  clientSeq: number;
  reasonCode: number;
}

/** Server -> client: end of session with a reason; the server closes the connection after it. */
export interface GoodbyeMsg {
  readonly type: MsgType.Goodbye;
  reasonCode: number;
  text: string;
}

/**
 * Server -> client (version 2): what happened to an order at its venue — a fill, a cancel
 * confirmed, a reject, an expiry. Quantities are cumulative except `lastQty` (this fill).
 */
export interface ExecutionReportMsg {
  readonly type: MsgType.ExecutionReport;
  orderId: number;
  execType: ExecTypeCode;
  ordStatus: OrdStatusCode;
  lastQty: number;
  /** price of this fill in ticks (fractional when implied by an average) */
  lastPx: number;
  cumQty: number;
  leavesQty: number;
  avgPx: number;
  /** epoch ms */
  transactTime: number;
}

export type ClientMessage = LoginMsg | NewOrderMsg | CancelMsg | HeartbeatMsg | LogoutMsg;
export type ServerMessage =
  | LoginAcceptedMsg
  | LoginRejectedMsg
  | AckMsg
  | RejectMsg
  | CancelAckMsg
  | CancelRejectMsg
  | HeartbeatMsg
  | GoodbyeMsg
  | ExecutionReportMsg;
export type Message = ClientMessage | ServerMessage;

/** The fields of a message without its `type` tag (encoder input). */
export type Fields<M extends Message> = Omit<M, 'type'>;

/** Which side sent the bytes a decoder reads. */
export type Sender = 'client' | 'server';

const CLIENT_TYPES: ReadonlySet<number> = new Set([
  MsgType.Login,
  MsgType.NewOrder,
  MsgType.Cancel,
  MsgType.Logout,
  MsgType.Heartbeat,
]);
const SERVER_TYPES: ReadonlySet<number> = new Set([
  MsgType.LoginAccepted,
  MsgType.LoginRejected,
  MsgType.Ack,
  MsgType.Reject,
  MsgType.CancelAck,
  MsgType.CancelReject,
  MsgType.Heartbeat,
  MsgType.Goodbye,
  MsgType.ExecutionReport,
]);

/** True when `type` is a message type the given sender may send. */
export function isTypeFrom(sender: Sender, type: number): boolean {
  return (sender === 'client' ? CLIENT_TYPES : SERVER_TYPES).has(type);
}

/** Human-readable name of a type byte ("NewOrder", or "0x7a" when unknown). */
export function msgTypeName(type: number): string {
  return MsgType[type] ?? `0x${type.toString(16).padStart(2, '0')}`;
}

/** The side that sends messages of this type ('client' for Heartbeat, which both sides send). */
export function senderOf(type: MsgType): Sender {
  return CLIENT_TYPES.has(type) ? 'client' : 'server';
}
