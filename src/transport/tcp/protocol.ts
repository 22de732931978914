/**
 * Switchyard binary order-entry protocol, version 1 (codec only: no sockets, no session state).
 *
 * In the spirit of NASDAQ OUCH 4.2 carried over SoupBinTCP, but flattened into one layer:
 *
 *   frame   = length:u16 LE | type:u8 | body
 *   length  = number of bytes after the length field (1 type byte + body), 1..MAX_PAYLOAD_LENGTH
 *
 * All integers are little-endian. 64-bit integers that the JS side carries as `number`
 * (sequence numbers, order ids, prices, quantities, timestamps in ms) must lie within
 * ±(2^53 − 1); a frame carrying a larger value is malformed (PROTOCOL_BAD_FIELD). The only
 * full-range 64-bit field is `receivedAtNs` in Ack, carried as a bigint.
 *
 * The byte-level layout of every message is documented in docs/tcp-protocol.md; keep the two in
 * step (the round-trip tests pin the offsets listed there).
 *
 * Encoders write into a caller-provided Buffer at an offset and return the number of bytes
 * written; they allocate nothing except for strings that must be measured. {@link FrameDecoder}
 * is a streaming decoder that accepts arbitrary chunk boundaries.
 */
import { REASONS, reasonFromCode, type Reason } from '../../contract/reasons.js';
import { OrdType, Side, TimeInForce, type NewOrder } from '../../contract/order.js';

// ---------------------------------------------------------------------------------------------
// Constants

/** Protocol version carried in Login. Bump it for any incompatible change of a layout. */
export const PROTOCOL_VERSION = 1;
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

/** Reason name for a numeric wire code, or undefined for a code this build does not know. */
export function wireReasonFromCode(code: number): WireReason | undefined {
  return reasonFromCode(code);
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
 * a value outside the enum is for validation ({@link wireOrderToContract}) to reject, not the codec.
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
  /** null when the order is named by clientOrderId (0 on the wire) */
  orderId: number | null;
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

export type ClientMessage = LoginMsg | NewOrderMsg | CancelMsg | HeartbeatMsg | LogoutMsg;
export type ServerMessage =
  | LoginAcceptedMsg
  | LoginRejectedMsg
  | AckMsg
  | RejectMsg
  | CancelAckMsg
  | CancelRejectMsg
  | HeartbeatMsg
  | GoodbyeMsg;
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
]);

/** True when `type` is a message type the given sender may send. */
export function isTypeFrom(sender: Sender, type: number): boolean {
  return (sender === 'client' ? CLIENT_TYPES : SERVER_TYPES).has(type);
}

/** Human-readable name of a type byte ("NewOrder", or "0x7a" when unknown). */
export function msgTypeName(type: number): string {
  return MsgType[type] ?? `0x${type.toString(16).padStart(2, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// Low-level field helpers

const TWO_32 = 4294967296;
/** Largest high word of a u64 whose value is still a safe integer. */
const MAX_SAFE_HI = 0x1fffff;

// Byte-level little-endian accessors. Plain index arithmetic is several times faster than the
// Buffer#read*/write* methods on the hot path; callers check bounds once per frame.

function wU16(buf: Buffer, off: number, v: number): void {
  buf[off] = v;
  buf[off + 1] = v >>> 8;
}

function wU32(buf: Buffer, off: number, v: number): void {
  buf[off] = v;
  buf[off + 1] = v >>> 8;
  buf[off + 2] = v >>> 16;
  buf[off + 3] = v >>> 24;
}

function rU16(buf: Buffer, off: number): number {
  return buf[off] | (buf[off + 1] << 8);
}

function rU32(buf: Buffer, off: number): number {
  return (buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16)) + buf[off + 3] * 0x1000000;
}

function rI32(buf: Buffer, off: number): number {
  return buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24);
}

function writeU64(buf: Buffer, off: number, v: number): void {
  wU32(buf, off, v >>> 0);
  wU32(buf, off + 4, Math.floor(v / TWO_32));
}

/** Two's complement: the low word is v mod 2^32 and the high word floor(v / 2^32), both as 32-bit patterns. */
function writeI64(buf: Buffer, off: number, v: number): void {
  wU32(buf, off, v >>> 0);
  wU32(buf, off + 4, Math.floor(v / TWO_32) | 0);
}

/** Reads a u64 as a number; returns -1 when it exceeds 2^53 − 1. */
function readU64(buf: Buffer, off: number): number {
  const hi = rU32(buf, off + 4);
  if (hi > MAX_SAFE_HI) return -1;
  return hi * TWO_32 + rU32(buf, off);
}

/** Reads an i64 as a number; returns NaN when it lies outside ±(2^53 − 1). */
function readI64(buf: Buffer, off: number): number {
  const v = rI32(buf, off + 4) * TWO_32 + rU32(buf, off);
  return Number.isSafeInteger(v) ? v : NaN;
}

// Full-range u64 (bigint) through a DataView, cached for the last ArrayBuffer seen.
let viewOf: ArrayBufferLike | null = null;
let view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(8));

function dataView(buf: Buffer): DataView<ArrayBufferLike> {
  if (buf.buffer !== viewOf) {
    viewOf = buf.buffer;
    view = new DataView(buf.buffer);
  }
  return view;
}

function writeBigU64(buf: Buffer, off: number, v: bigint): void {
  dataView(buf).setBigUint64(buf.byteOffset + off, v, true);
}

function readBigU64(buf: Buffer, off: number): bigint {
  return dataView(buf).getBigUint64(buf.byteOffset + off, true);
}

/** Writes `n` characters of an ASCII string (already validated) byte by byte. */
function writeAscii(buf: Buffer, off: number, s: string, n: number): void {
  for (let i = 0; i < n; i++) buf[off + i] = s.charCodeAt(i);
}

/** Reads bytes [start, end) as a latin1 string; short fields avoid the Buffer#toString call. */
function readAscii(buf: Buffer, start: number, end: number): string {
  const n = end - start;
  if (n <= 16) {
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]);
    return s;
  }
  return buf.toString('latin1', start, end);
}

function checkU64(v: number, field: string): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${field} must be an integer in [0, 2^53-1], got ${v}`);
}

function checkI64(v: number, field: string): void {
  if (!Number.isSafeInteger(v)) throw new RangeError(`${field} must be a safe integer, got ${v}`);
}

function checkUInt(v: number, max: number, field: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${field} must be an integer in [0, ${max}], got ${v}`);
}

/** True when every character is printable ASCII (0x20..0x7e). */
export function isPrintableAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/** Byte length of an ASCII field value; throws when it is not printable ASCII or too long. */
function asciiLength(s: string | null, max: number, field: string): number {
  if (s === null) return 0;
  if (s.length > max) throw new RangeError(`${field} longer than ${max} bytes`);
  if (!isPrintableAscii(s)) throw new RangeError(`${field} must be printable ASCII`);
  return s.length;
}

/** Byte length of a UTF-8 text field once truncated to MAX_TEXT_BYTES (on a character boundary). */
function textLength(s: string): number {
  const n = Buffer.byteLength(s, 'utf8');
  if (n <= MAX_TEXT_BYTES) return n;
  // Buffer#write never writes a partial character, so measure what it would write.
  return truncatedUtf8(s).length;
}

function truncatedUtf8(s: string): Buffer {
  const tmp = Buffer.allocUnsafe(MAX_TEXT_BYTES);
  const n = tmp.write(s, 0, MAX_TEXT_BYTES, 'utf8');
  return tmp.subarray(0, n);
}

function writeText(buf: Buffer, off: number, s: string, n: number): void {
  buf[off] = n;
  if (n > 0) buf.write(s, off + 1, n, 'utf8');
}

function ensureRoom(buf: Buffer, off: number, size: number): void {
  if (!Number.isInteger(off) || off < 0 || off + size > buf.length) {
    throw new RangeError(`no room for a ${size}-byte frame at offset ${off} in a ${buf.length}-byte buffer`);
  }
}

/** Writes the length prefix and type byte; returns the body offset. */
function header(buf: Buffer, off: number, size: number, type: MsgType): number {
  ensureRoom(buf, off, size);
  wU16(buf, off, size - LENGTH_BYTES);
  buf[off + 2] = type;
  return off + 3;
}

const HEADER = LENGTH_BYTES + 1;

// ---------------------------------------------------------------------------------------------
// Frame sizes

/** Size on the wire of a Login frame with a token of `tokenBytes`. */
export function loginFrameSize(tokenBytes: number): number {
  return HEADER + BODY.LOGIN_FIXED + tokenBytes;
}
/** Size on the wire of a NewOrder frame with a clientOrderId of `idBytes` (0 for none). */
export function newOrderFrameSize(idBytes: number): number {
  return HEADER + BODY.NEW_ORDER_FIXED + idBytes;
}
/** Size on the wire of a Cancel frame with a clientOrderId of `idBytes` (0 when cancelling by orderId). */
export function cancelFrameSize(idBytes: number): number {
  return HEADER + BODY.CANCEL_FIXED + idBytes;
}
export const HEARTBEAT_FRAME_SIZE = HEADER;
export const LOGOUT_FRAME_SIZE = HEADER;
export const ACK_FRAME_SIZE = HEADER + BODY.ACK;
export const REJECT_FRAME_SIZE = HEADER + BODY.REJECT;
export const CANCEL_ACK_FRAME_SIZE = HEADER + BODY.CANCEL_ACK;
export const CANCEL_REJECT_FRAME_SIZE = HEADER + BODY.CANCEL_REJECT;
/** Largest NewOrder frame (with a 64-byte clientOrderId). */
export const MAX_NEW_ORDER_FRAME_SIZE = newOrderFrameSize(MAX_CLIENT_ORDER_ID_BYTES);

// ---------------------------------------------------------------------------------------------
// Encoders (client -> server)

/** Encodes Login at `off`; returns bytes written. Throws RangeError for a non-ASCII or oversized token. */
export function encodeLogin(buf: Buffer, off: number, m: Fields<LoginMsg>): number {
  checkUInt(m.version, 0xff, 'version');
  checkUInt(m.heartbeatMs, 0xffffffff, 'heartbeatMs');
  const n = asciiLength(m.token, MAX_TOKEN_BYTES, 'token');
  const size = loginFrameSize(n);
  const b = header(buf, off, size, MsgType.Login);
  buf[b] = m.version;
  wU32(buf, b + 1, m.heartbeatMs);
  wU16(buf, b + 5, n);
  writeAscii(buf, b + 7, m.token, n);
  return size;
}

/**
 * Encodes NewOrder at `off`; returns bytes written. Throws RangeError for values the encoding
 * cannot carry (symbol over 8 bytes or non-ASCII, clientOrderId over 64 bytes, qty beyond u32,
 * 64-bit values beyond 2^53 − 1, enum values beyond a byte). It does not judge business validity.
 */
export function encodeNewOrder(buf: Buffer, off: number, m: Fields<NewOrderMsg>): number {
  checkU64(m.clientSeq, 'clientSeq');
  const symLen = asciiLength(m.symbol, SYMBOL_BYTES, 'symbol');
  checkUInt(m.side, 0xff, 'side');
  checkUInt(m.ordType, 0xff, 'ordType');
  checkUInt(m.timeInForce, 0xff, 'timeInForce');
  checkUInt(m.qty, 0xffffffff, 'qty');
  checkI64(m.price, 'price');
  checkU64(m.expireAt, 'expireAt');
  const idLen = asciiLength(m.clientOrderId, MAX_CLIENT_ORDER_ID_BYTES, 'clientOrderId');
  const size = newOrderFrameSize(idLen);
  const b = header(buf, off, size, MsgType.NewOrder);
  writeU64(buf, b, m.clientSeq);
  writeAscii(buf, b + 8, m.symbol, symLen);
  for (let i = b + 8 + symLen; i < b + 16; i++) buf[i] = 0x20;
  buf[b + 16] = m.side;
  buf[b + 17] = m.ordType;
  buf[b + 18] = m.timeInForce;
  wU32(buf, b + 19, m.qty);
  writeI64(buf, b + 23, m.price);
  writeU64(buf, b + 31, m.expireAt);
  buf[b + 39] = idLen;
  if (idLen > 0) writeAscii(buf, b + 40, m.clientOrderId as string, idLen);
  return size;
}

/** Encodes Cancel at `off`; returns bytes written. Exactly one of orderId / clientOrderId must be set. */
export function encodeCancel(buf: Buffer, off: number, m: Fields<CancelMsg>): number {
  checkU64(m.clientSeq, 'clientSeq');
  const byId = m.orderId !== null;
  const byClientId = m.clientOrderId !== null && m.clientOrderId !== '';
  if (byId === byClientId) throw new RangeError('cancel needs exactly one of orderId or clientOrderId');
  if (byId) {
    checkU64(m.orderId as number, 'orderId');
    if (m.orderId === 0) throw new RangeError('orderId 0 is reserved for "absent"');
  }
  const idLen = byClientId ? asciiLength(m.clientOrderId, MAX_CLIENT_ORDER_ID_BYTES, 'clientOrderId') : 0;
  const size = cancelFrameSize(idLen);
  const b = header(buf, off, size, MsgType.Cancel);
  writeU64(buf, b, m.clientSeq);
  writeU64(buf, b + 8, byId ? (m.orderId as number) : 0);
  buf[b + 16] = idLen;
  if (idLen > 0) writeAscii(buf, b + 17, m.clientOrderId as string, idLen);
  return size;
}

/** Encodes Heartbeat (either direction); returns bytes written (3). */
export function encodeHeartbeat(buf: Buffer, off: number): number {
  header(buf, off, HEARTBEAT_FRAME_SIZE, MsgType.Heartbeat);
  return HEARTBEAT_FRAME_SIZE;
}

/** Encodes Logout; returns bytes written (3). */
export function encodeLogout(buf: Buffer, off: number): number {
  header(buf, off, LOGOUT_FRAME_SIZE, MsgType.Logout);
  return LOGOUT_FRAME_SIZE;
}

// ---------------------------------------------------------------------------------------------
// Encoders (server -> client)

/** Encodes LoginAccepted; returns bytes written. */
export function encodeLoginAccepted(buf: Buffer, off: number, m: Fields<LoginAcceptedMsg>): number {
  checkU64(m.nextClientSeq, 'nextClientSeq');
  checkUInt(m.heartbeatMs, 0xffffffff, 'heartbeatMs');
  const n = asciiLength(m.sessionId, MAX_SESSION_ID_BYTES, 'sessionId');
  const size = HEADER + BODY.LOGIN_ACCEPTED_FIXED + n;
  const b = header(buf, off, size, MsgType.LoginAccepted);
  writeU64(buf, b, m.nextClientSeq);
  wU32(buf, b + 8, m.heartbeatMs);
  buf[b + 12] = n;
  writeAscii(buf, b + 13, m.sessionId, n);
  return size;
}

/** Encodes LoginRejected; text is UTF-8, truncated to 255 bytes. Returns bytes written. */
export function encodeLoginRejected(buf: Buffer, off: number, m: Fields<LoginRejectedMsg>): number {
  checkUInt(m.reasonCode, 0xffff, 'reasonCode');
  const n = textLength(m.text);
  const size = HEADER + BODY.LOGIN_REJECTED_FIXED + n;
  const b = header(buf, off, size, MsgType.LoginRejected);
  wU16(buf, b, m.reasonCode);
  writeText(buf, b + 2, m.text, n);
  return size;
}

/** Encodes Ack (fixed 35 bytes); returns bytes written. */
export function encodeAck(buf: Buffer, off: number, m: Fields<AckMsg>): number {
  checkU64(m.clientSeq, 'clientSeq');
  checkU64(m.orderId, 'orderId');
  checkU64(m.sessionSeq, 'sessionSeq');
  const b = header(buf, off, ACK_FRAME_SIZE, MsgType.Ack);
  writeU64(buf, b, m.clientSeq);
  writeU64(buf, b + 8, m.orderId);
  writeU64(buf, b + 16, m.sessionSeq);
  writeBigU64(buf, b + 24, m.receivedAtNs);
  return ACK_FRAME_SIZE;
}

/**
 * Encodes Ack from plain numbers (the server's hot path: no message object, no bigint).
 * `receivedAtNs` must be a non-negative integer below 2^53 here.
 */
export function encodeAckFast(buf: Buffer, off: number, clientSeq: number, orderId: number, sessionSeq: number, receivedAtNs: number): number {
  const b = header(buf, off, ACK_FRAME_SIZE, MsgType.Ack);
  writeU64(buf, b, clientSeq);
  writeU64(buf, b + 8, orderId);
  writeU64(buf, b + 16, sessionSeq);
  writeU64(buf, b + 24, receivedAtNs);
  return ACK_FRAME_SIZE;
}

/** Encodes Reject (fixed 13 bytes); returns bytes written. */
export function encodeReject(buf: Buffer, off: number, m: Fields<RejectMsg>): number {
  checkU64(m.clientSeq, 'clientSeq');
  checkUInt(m.reasonCode, 0xffff, 'reasonCode');
  const b = header(buf, off, REJECT_FRAME_SIZE, MsgType.Reject);
  writeU64(buf, b, m.clientSeq);
  wU16(buf, b + 8, m.reasonCode);
  return REJECT_FRAME_SIZE;
}

/** Encodes CancelAck (fixed 19 bytes); returns bytes written. */
export function encodeCancelAck(buf: Buffer, off: number, m: Fields<CancelAckMsg>): number {
  checkU64(m.clientSeq, 'clientSeq');
  checkU64(m.orderId, 'orderId');
  const b = header(buf, off, CANCEL_ACK_FRAME_SIZE, MsgType.CancelAck);
  writeU64(buf, b, m.clientSeq);
  writeU64(buf, b + 8, m.orderId);
  return CANCEL_ACK_FRAME_SIZE;
}

/** Encodes CancelReject (fixed 13 bytes); returns bytes written. */
export function encodeCancelReject(buf: Buffer, off: number, m: Fields<CancelRejectMsg>): number {
  checkU64(m.clientSeq, 'clientSeq');
  checkUInt(m.reasonCode, 0xffff, 'reasonCode');
  const b = header(buf, off, CANCEL_REJECT_FRAME_SIZE, MsgType.CancelReject);
  writeU64(buf, b, m.clientSeq);
  wU16(buf, b + 8, m.reasonCode);
  return CANCEL_REJECT_FRAME_SIZE;
}

/** Encodes Goodbye; text is UTF-8, truncated to 255 bytes. Returns bytes written. */
export function encodeGoodbye(buf: Buffer, off: number, m: Fields<GoodbyeMsg>): number {
  checkUInt(m.reasonCode, 0xffff, 'reasonCode');
  const n = textLength(m.text);
  const size = HEADER + BODY.GOODBYE_FIXED + n;
  const b = header(buf, off, size, MsgType.Goodbye);
  wU16(buf, b, m.reasonCode);
  writeText(buf, b + 2, m.text, n);
  return size;
}

// ---------------------------------------------------------------------------------------------
// Generic encoding

/** Size on the wire of `msg` once encoded. Throws RangeError for values the encoders reject. */
export function encodedSize(msg: Message): number {
  switch (msg.type) {
    case MsgType.Login:
      return loginFrameSize(asciiLength(msg.token, MAX_TOKEN_BYTES, 'token'));
    case MsgType.NewOrder:
      return newOrderFrameSize(asciiLength(msg.clientOrderId, MAX_CLIENT_ORDER_ID_BYTES, 'clientOrderId'));
    case MsgType.Cancel:
      return cancelFrameSize(
        msg.clientOrderId === null ? 0 : asciiLength(msg.clientOrderId, MAX_CLIENT_ORDER_ID_BYTES, 'clientOrderId'),
      );
    case MsgType.Heartbeat:
    case MsgType.Logout:
      return HEADER;
    case MsgType.LoginAccepted:
      return HEADER + BODY.LOGIN_ACCEPTED_FIXED + asciiLength(msg.sessionId, MAX_SESSION_ID_BYTES, 'sessionId');
    case MsgType.LoginRejected:
      return HEADER + BODY.LOGIN_REJECTED_FIXED + textLength(msg.text);
    case MsgType.Ack:
      return ACK_FRAME_SIZE;
    case MsgType.Reject:
      return REJECT_FRAME_SIZE;
    case MsgType.CancelAck:
      return CANCEL_ACK_FRAME_SIZE;
    case MsgType.CancelReject:
      return CANCEL_REJECT_FRAME_SIZE;
    case MsgType.Goodbye:
      return HEADER + BODY.GOODBYE_FIXED + textLength(msg.text);
  }
}

/** Encodes any message at `off`; returns bytes written. */
export function encodeMessage(buf: Buffer, off: number, msg: Message): number {
  switch (msg.type) {
    case MsgType.Login:
      return encodeLogin(buf, off, msg);
    case MsgType.NewOrder:
      return encodeNewOrder(buf, off, msg);
    case MsgType.Cancel:
      return encodeCancel(buf, off, msg);
    case MsgType.Heartbeat:
      return encodeHeartbeat(buf, off);
    case MsgType.Logout:
      return encodeLogout(buf, off);
    case MsgType.LoginAccepted:
      return encodeLoginAccepted(buf, off, msg);
    case MsgType.LoginRejected:
      return encodeLoginRejected(buf, off, msg);
    case MsgType.Ack:
      return encodeAck(buf, off, msg);
    case MsgType.Reject:
      return encodeReject(buf, off, msg);
    case MsgType.CancelAck:
      return encodeCancelAck(buf, off, msg);
    case MsgType.CancelReject:
      return encodeCancelReject(buf, off, msg);
    case MsgType.Goodbye:
      return encodeGoodbye(buf, off, msg);
  }
}

/** Encodes one message into a new Buffer of exactly its size (convenience; allocates). */
export function encodeToBuffer(msg: Message): Buffer {
  const buf = Buffer.allocUnsafe(encodedSize(msg));
  encodeMessage(buf, 0, msg);
  return buf;
}

// ---------------------------------------------------------------------------------------------
// Decoding

const HEARTBEAT: HeartbeatMsg = Object.freeze({ type: MsgType.Heartbeat });
const LOGOUT: LogoutMsg = Object.freeze({ type: MsgType.Logout });

function badLength(type: number, got: number, want: string): ProtocolError {
  return new ProtocolError('PROTOCOL_BAD_LENGTH', `${msgTypeName(type)} body is ${got} bytes, expected ${want}`);
}

function badField(field: string): ProtocolError {
  return new ProtocolError('PROTOCOL_BAD_FIELD', `${field} out of range`);
}

function decodeSymbol(buf: Buffer, start: number): string {
  let end = start + SYMBOL_BYTES;
  while (end > start) {
    const c = buf[end - 1];
    if (c !== 0x20 && c !== 0x00) break;
    end--;
  }
  return end === start ? '' : readAscii(buf, start, end);
}

/**
 * Decodes one payload (type byte + body) already known to be complete.
 * `start` indexes the type byte; `len` is the value of the length field.
 * Returns the message, or a ProtocolError when the payload is malformed.
 */
export function decodePayload(buf: Buffer, start: number, len: number, from: Sender): Message | ProtocolError {
  const type = buf[start];
  if (!isTypeFrom(from, type)) {
    return new ProtocolError(
      'PROTOCOL_UNKNOWN_MESSAGE_TYPE',
      `unknown message type ${msgTypeName(type)} from ${from}`,
    );
  }
  const b = start + 1;
  const body = len - 1;
  switch (type as MsgType) {
    case MsgType.Heartbeat:
      return body === 0 ? HEARTBEAT : badLength(type, body, '0');
    case MsgType.Logout:
      return body === 0 ? LOGOUT : badLength(type, body, '0');

    case MsgType.Login: {
      if (body < BODY.LOGIN_FIXED) return badLength(type, body, `>= ${BODY.LOGIN_FIXED}`);
      const n = rU16(buf, b + 5);
      if (body !== BODY.LOGIN_FIXED + n) return badLength(type, body, `${BODY.LOGIN_FIXED} + token length ${n}`);
      return {
        type: MsgType.Login,
        version: buf[b],
        heartbeatMs: rU32(buf, b + 1),
        token: readAscii(buf, b + 7, b + 7 + n),
      };
    }

    case MsgType.NewOrder: {
      if (body < BODY.NEW_ORDER_FIXED) return badLength(type, body, `>= ${BODY.NEW_ORDER_FIXED}`);
      const n = buf[b + 39];
      if (n > MAX_CLIENT_ORDER_ID_BYTES) return badField('clientOrderId length');
      if (body !== BODY.NEW_ORDER_FIXED + n) return badLength(type, body, `${BODY.NEW_ORDER_FIXED} + clientOrderId length ${n}`);
      const clientSeq = readU64(buf, b);
      if (clientSeq < 0) return badField('clientSeq');
      const price = readI64(buf, b + 23);
      if (Number.isNaN(price)) return badField('price');
      const expireAt = readU64(buf, b + 31);
      if (expireAt < 0) return badField('expireAt');
      return {
        type: MsgType.NewOrder,
        clientSeq,
        symbol: decodeSymbol(buf, b + 8),
        side: buf[b + 16],
        ordType: buf[b + 17],
        timeInForce: buf[b + 18],
        qty: rU32(buf, b + 19),
        price,
        expireAt,
        clientOrderId: n === 0 ? null : readAscii(buf, b + 40, b + 40 + n),
      };
    }

    case MsgType.Cancel: {
      if (body < BODY.CANCEL_FIXED) return badLength(type, body, `>= ${BODY.CANCEL_FIXED}`);
      const n = buf[b + 16];
      if (n > MAX_CLIENT_ORDER_ID_BYTES) return badField('clientOrderId length');
      if (body !== BODY.CANCEL_FIXED + n) return badLength(type, body, `${BODY.CANCEL_FIXED} + clientOrderId length ${n}`);
      const clientSeq = readU64(buf, b);
      if (clientSeq < 0) return badField('clientSeq');
      const orderId = readU64(buf, b + 8);
      if (orderId < 0) return badField('orderId');
      if ((orderId === 0) === (n === 0)) {
        return new ProtocolError('PROTOCOL_BAD_FIELD', 'Cancel must name exactly one of orderId or clientOrderId');
      }
      return {
        type: MsgType.Cancel,
        clientSeq,
        orderId: orderId === 0 ? null : orderId,
        clientOrderId: n === 0 ? null : readAscii(buf, b + 17, b + 17 + n),
      };
    }

    case MsgType.LoginAccepted: {
      if (body < BODY.LOGIN_ACCEPTED_FIXED) return badLength(type, body, `>= ${BODY.LOGIN_ACCEPTED_FIXED}`);
      const n = buf[b + 12];
      if (n > MAX_SESSION_ID_BYTES) return badField('sessionId length');
      if (body !== BODY.LOGIN_ACCEPTED_FIXED + n) return badLength(type, body, `${BODY.LOGIN_ACCEPTED_FIXED} + sessionId length ${n}`);
      const nextClientSeq = readU64(buf, b);
      if (nextClientSeq < 0) return badField('nextClientSeq');
      return {
        type: MsgType.LoginAccepted,
        sessionId: readAscii(buf, b + 13, b + 13 + n),
        nextClientSeq,
        heartbeatMs: rU32(buf, b + 8),
      };
    }

    case MsgType.LoginRejected:
    case MsgType.Goodbye: {
      if (body < BODY.GOODBYE_FIXED) return badLength(type, body, `>= ${BODY.GOODBYE_FIXED}`);
      const n = buf[b + 2];
      if (body !== BODY.GOODBYE_FIXED + n) return badLength(type, body, `${BODY.GOODBYE_FIXED} + text length ${n}`);
      const reasonCode = rU16(buf, b);
      const text = buf.toString('utf8', b + 3, b + 3 + n);
      return type === MsgType.Goodbye
        ? { type: MsgType.Goodbye, reasonCode, text }
        : { type: MsgType.LoginRejected, reasonCode, text };
    }

    case MsgType.Ack: {
      if (body !== BODY.ACK) return badLength(type, body, `${BODY.ACK}`);
      const clientSeq = readU64(buf, b);
      const orderId = readU64(buf, b + 8);
      const sessionSeq = readU64(buf, b + 16);
      if (clientSeq < 0) return badField('clientSeq');
      if (orderId < 0) return badField('orderId');
      if (sessionSeq < 0) return badField('sessionSeq');
      return { type: MsgType.Ack, clientSeq, orderId, sessionSeq, receivedAtNs: readBigU64(buf, b + 24) };
    }

    case MsgType.Reject:
    case MsgType.CancelReject: {
      if (body !== BODY.REJECT) return badLength(type, body, `${BODY.REJECT}`);
      const clientSeq = readU64(buf, b);
      if (clientSeq < 0) return badField('clientSeq');
      const reasonCode = rU16(buf, b + 8);
      return type === MsgType.Reject
        ? { type: MsgType.Reject, clientSeq, reasonCode }
        : { type: MsgType.CancelReject, clientSeq, reasonCode };
    }

    case MsgType.CancelAck: {
      if (body !== BODY.CANCEL_ACK) return badLength(type, body, `${BODY.CANCEL_ACK}`);
      const clientSeq = readU64(buf, b);
      const orderId = readU64(buf, b + 8);
      if (clientSeq < 0) return badField('clientSeq');
      if (orderId < 0) return badField('orderId');
      return { type: MsgType.CancelAck, clientSeq, orderId };
    }
  }
  // isTypeFrom() admitted only the types handled above.
  return new ProtocolError('PROTOCOL_UNKNOWN_MESSAGE_TYPE', `unknown message type ${msgTypeName(type)}`);
}

/** The messages a given sender may send. */
export type MessageFrom<S extends Sender> = S extends 'client' ? ClientMessage : S extends 'server' ? ServerMessage : Message;

export interface FrameDecoderOptions<S extends Sender = Sender> {
  /** Which side produced the bytes: 'client' for a server's decoder, 'server' for a client's. */
  from: S;
  /** Largest accepted length field; defaults to MAX_PAYLOAD_LENGTH (never above it). */
  maxPayloadLength?: number;
}

/**
 * Streaming frame decoder. Feed it raw socket chunks with {@link push}; pull messages with
 * {@link next} until it returns null (more bytes needed). Chunk boundaries may fall anywhere:
 * inside the length prefix, inside a body, or between many frames in one chunk.
 *
 * Complete frames are decoded straight out of the pushed chunk (no copy). Only the tail of a
 * chunk that ends mid-frame is copied, into a fixed scratch buffer of one maximum frame.
 *
 * After a protocol error the stream has lost its framing: the decoder stays failed and every
 * further {@link next} returns the same error.
 */
export class FrameDecoder<S extends Sender = Sender> {
  readonly from: S;
  readonly maxPayloadLength: number;

  private cur: Buffer = Buffer.alloc(0);
  private pos = 0;
  private readonly scratch: Buffer;
  private scratchLen = 0;
  private failed: ProtocolError | null = null;

  constructor(opts: FrameDecoderOptions<S>) {
    this.from = opts.from;
    const max = opts.maxPayloadLength ?? MAX_PAYLOAD_LENGTH;
    if (!Number.isInteger(max) || max < 1 || max > MAX_PAYLOAD_LENGTH) {
      throw new RangeError(`maxPayloadLength must be in [1, ${MAX_PAYLOAD_LENGTH}]`);
    }
    this.maxPayloadLength = max;
    this.scratch = Buffer.allocUnsafe(LENGTH_BYTES + max);
  }

  /** The protocol error that stopped this decoder, if any. */
  get error(): ProtocolError | null {
    return this.failed;
  }

  /** Bytes received but not yet returned as messages (a partial frame, or frames not yet pulled). */
  get buffered(): number {
    return this.scratchLen + (this.cur.length - this.pos);
  }

  /** Appends a chunk. The decoder keeps a reference to it until its frames have been pulled. */
  push(chunk: Buffer): void {
    if (this.failed !== null || chunk.length === 0) return;
    if (this.pos < this.cur.length) {
      // Frames of the previous chunk were not all pulled yet: keep both (rare path).
      this.cur = Buffer.concat([this.cur.subarray(this.pos), chunk]);
    } else {
      this.cur = chunk;
    }
    this.pos = 0;
  }

  /** Next decoded message, null when more bytes are needed, or the ProtocolError that ended the stream. */
  next(): MessageFrom<S> | ProtocolError | null {
    if (this.failed !== null) return this.failed;
    if (this.scratchLen > 0) return this.completeScratch();

    const cur = this.cur;
    const avail = cur.length - this.pos;
    if (avail === 0) return null;
    if (avail < LENGTH_BYTES) return this.stash();
    const len = rU16(cur, this.pos);
    const bad = this.checkLength(len);
    if (bad !== null) return this.fail(bad);
    if (avail < LENGTH_BYTES + len) return this.stash();
    const start = this.pos + LENGTH_BYTES;
    this.pos = start + len;
    const msg = decodePayload(cur, start, len, this.from);
    return msg instanceof ProtocolError ? this.fail(msg) : (msg as MessageFrom<S>);
  }

  /** Pushes `chunk` and pulls everything now complete (convenience; allocates an array). */
  feed(chunk: Buffer): { messages: MessageFrom<S>[]; error: ProtocolError | null } {
    this.push(chunk);
    const messages: MessageFrom<S>[] = [];
    for (;;) {
      const m = this.next();
      if (m === null) return { messages, error: null };
      if (m instanceof ProtocolError) return { messages, error: m };
      messages.push(m);
    }
  }

  private checkLength(len: number): ProtocolError | null {
    if (len === 0) return new ProtocolError('PROTOCOL_BAD_LENGTH', 'frame length 0 (no type byte)');
    if (len > this.maxPayloadLength) {
      return new ProtocolError(
        'PROTOCOL_FRAME_TOO_LARGE',
        `frame length ${len} exceeds the maximum of ${this.maxPayloadLength}`,
      );
    }
    return null;
  }

  /** Moves the unconsumed tail of the current chunk (a partial frame) into the scratch buffer. */
  private stash(): null {
    const n = this.cur.copy(this.scratch, 0, this.pos);
    this.scratchLen = n;
    this.pos = this.cur.length;
    return null;
  }

  /** Continues a frame started in an earlier chunk, taking bytes from the current chunk. */
  private completeScratch(): MessageFrom<S> | ProtocolError | null {
    const s = this.scratch;
    if (this.scratchLen < LENGTH_BYTES) {
      if (this.pos >= this.cur.length) return null;
      s[this.scratchLen++] = this.cur[this.pos++];
      if (this.scratchLen < LENGTH_BYTES) return null;
    }
    const len = rU16(s, 0);
    const bad = this.checkLength(len);
    if (bad !== null) return this.fail(bad);
    const want = LENGTH_BYTES + len - this.scratchLen;
    const take = Math.min(want, this.cur.length - this.pos);
    this.cur.copy(s, this.scratchLen, this.pos, this.pos + take);
    this.scratchLen += take;
    this.pos += take;
    if (take < want) return null;
    this.scratchLen = 0;
    const msg = decodePayload(s, LENGTH_BYTES, len, this.from);
    return msg instanceof ProtocolError ? this.fail(msg) : (msg as MessageFrom<S>);
  }

  private fail(err: ProtocolError): ProtocolError {
    this.failed = err;
    this.cur = Buffer.alloc(0);
    this.pos = 0;
    this.scratchLen = 0;
    return err;
  }
}

/** Decodes a buffer holding exactly one complete frame (convenience for tests and tools). */
export function decodeFrame<S extends Sender>(frame: Buffer, from: S): MessageFrom<S> | ProtocolError {
  const dec = new FrameDecoder<S>({ from });
  dec.push(frame);
  const m = dec.next();
  if (m === null) return new ProtocolError('PROTOCOL_BAD_LENGTH', `incomplete frame (${frame.length} bytes)`);
  if (m instanceof ProtocolError) return m;
  if (dec.buffered !== 0) return new ProtocolError('PROTOCOL_BAD_LENGTH', `${dec.buffered} bytes after the frame`);
  return m;
}

/** The side that sends messages of this type ('client' for Heartbeat, which both sides send). */
export function senderOf(type: MsgType): Sender {
  return CLIENT_TYPES.has(type) ? 'client' : 'server';
}

/**
 * Encodes `msg` and decodes it back (test and tooling helper). Throws the ProtocolError when
 * the decoder refuses the bytes, and RangeError when the encoder refuses the values.
 */
export function roundTrip<M extends Message>(msg: M): M {
  const out = decodeFrame(encodeToBuffer(msg), senderOf(msg.type));
  if (out instanceof ProtocolError) throw out;
  return out as M;
}

// ---------------------------------------------------------------------------------------------
// Mapping to the domain order

/**
 * Maps a decoded NewOrder to the contract order (`order_request_v1` semantics), or returns the
 * reason to reject it with. Checks what the binary encoding leaves open: enum bytes in range,
 * symbol and clientOrderId characters, qty >= 1, price >= 0 (> 0 for LIMIT), a future expireAt
 * for GTD and none for GTC. Symbol master, collars and every other risk check stay with the
 * risk engine.
 */
export function wireOrderToContract(m: NewOrderMsg, nowMs: number): NewOrder | Reason {
  if (m.symbol.length === 0 || !isSymbolText(m.symbol)) return 'INVALID_SYMBOL';
  if (m.side !== Side.Buy && m.side !== Side.Sell) return 'INVALID_SIDE';
  if (m.ordType !== OrdType.Limit && m.ordType !== OrdType.Market) return 'INVALID_TYPE';
  if (m.timeInForce !== TimeInForce.GTC && m.timeInForce !== TimeInForce.GTD) return 'INVALID_TIME_IN_FORCE';
  if (m.qty < 1) return 'INVALID_QTY';
  if (m.price < 0 || (m.ordType === OrdType.Limit && m.price === 0)) return 'INVALID_PRICE';
  if (m.timeInForce === TimeInForce.GTD ? m.expireAt <= nowMs : m.expireAt !== 0) return 'INVALID_EXPIRE_AT';
  if (m.clientOrderId !== null && !isIdText(m.clientOrderId)) return 'INVALID_CLIENT_ORDER_ID';
  return {
    symbol: m.symbol,
    side: m.side,
    type: m.ordType,
    qty: m.qty,
    price: m.price,
    timeInForce: m.timeInForce,
    expireAt: m.expireAt,
    clientOrderId: m.clientOrderId,
  };
}

/** Symbol text: visible ASCII without spaces (padding has already been stripped). */
function isSymbolText(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c > 0x7e) return false;
  }
  return true;
}

/** clientOrderId text: visible ASCII without spaces. */
function isIdText(s: string): boolean {
  return isSymbolText(s);
}

// ---------------------------------------------------------------------------------------------
// Display

/** A JSON-friendly view of a message (bigints as decimal strings, type and reason names spelled out). */
export function describeMessage(msg: Message): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = { type: msgTypeName(msg.type) };
  for (const [k, v] of Object.entries(msg)) {
    if (k === 'type') continue;
    out[k] = typeof v === 'bigint' ? v.toString() : (v as string | number | null);
    if (k === 'reasonCode') out.reason = wireReasonFromCode(v as number) ?? `UNKNOWN_${String(v)}`;
  }
  return out;
}
