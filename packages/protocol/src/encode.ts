/**
 * Encoders of the binary protocol: each writes one frame into a caller-provided Buffer at an
 * offset and returns the bytes written; they allocate nothing except for strings that must be
 * measured. Values the format cannot carry throw RangeError.
 */
import { putAscii, putBigU64, putI64, putU16, putU32, putU64 } from './bytes.js';
import {
  BODY, LENGTH_BYTES, MAX_CLIENT_ORDER_ID_BYTES, MAX_SESSION_ID_BYTES, MAX_TEXT_BYTES, MAX_TOKEN_BYTES, MsgType, SYMBOL_BYTES,
  type AckMsg, type CancelAckMsg, type CancelMsg, type CancelRejectMsg, type Fields, type GoodbyeMsg, type ExecutionReportMsg, type LoginAcceptedMsg,
  type LoginMsg, type LoginRejectedMsg, type Message, type NewOrderMsg, type RejectMsg,
} from './messages.js';

const U64_MAX = 2n ** 64n - 1n;

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
  putU16(buf, off, size - LENGTH_BYTES);
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
  putU32(buf, b + 1, m.heartbeatMs);
  putU16(buf, b + 5, n);
  putAscii(buf, b + 7, m.token, n);
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
  putU64(buf, b, m.clientSeq);
  putAscii(buf, b + 8, m.symbol, symLen);
  for (let i = b + 8 + symLen; i < b + 16; i++) buf[i] = 0x20;
  buf[b + 16] = m.side;
  buf[b + 17] = m.ordType;
  buf[b + 18] = m.timeInForce;
  putU32(buf, b + 19, m.qty);
  putI64(buf, b + 23, m.price);
  putU64(buf, b + 31, m.expireAt);
  buf[b + 39] = idLen;
  if (idLen > 0) putAscii(buf, b + 40, m.clientOrderId as string, idLen);
  return size;
}

/** Encodes Cancel at `off`; returns bytes written. Exactly one of orderId / clientOrderId must be set. */
export function encodeCancel(buf: Buffer, off: number, m: Fields<CancelMsg>): number {
  checkU64(m.clientSeq, 'clientSeq');
  const byId = m.orderId !== null;
  const byClientId = m.clientOrderId !== null && m.clientOrderId !== '';
  if (byId === byClientId) throw new RangeError('cancel needs exactly one of orderId or clientOrderId');
  if (byId) {
    if (typeof m.orderId === 'bigint') {
      if (m.orderId <= 0n || m.orderId > U64_MAX) throw new RangeError(`orderId must be an integer in [1, 2^64-1], got ${m.orderId}`);
    } else {
      checkU64(m.orderId as number, 'orderId');
      if (m.orderId === 0) throw new RangeError('orderId 0 is reserved for "absent"');
    }
  }
  const idLen = byClientId ? asciiLength(m.clientOrderId, MAX_CLIENT_ORDER_ID_BYTES, 'clientOrderId') : 0;
  const size = cancelFrameSize(idLen);
  const b = header(buf, off, size, MsgType.Cancel);
  putU64(buf, b, m.clientSeq);
  if (typeof m.orderId === 'bigint') putBigU64(buf, b + 8, m.orderId);
  else putU64(buf, b + 8, byId ? (m.orderId as number) : 0);
  buf[b + 16] = idLen;
  if (idLen > 0) putAscii(buf, b + 17, m.clientOrderId as string, idLen);
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
  putU64(buf, b, m.nextClientSeq);
  putU32(buf, b + 8, m.heartbeatMs);
  buf[b + 12] = n;
  putAscii(buf, b + 13, m.sessionId, n);
  return size;
}

/** Encodes LoginRejected; text is UTF-8, truncated to 255 bytes. Returns bytes written. */
export function encodeLoginRejected(buf: Buffer, off: number, m: Fields<LoginRejectedMsg>): number {
  checkUInt(m.reasonCode, 0xffff, 'reasonCode');
  const n = textLength(m.text);
  const size = HEADER + BODY.LOGIN_REJECTED_FIXED + n;
  const b = header(buf, off, size, MsgType.LoginRejected);
  putU16(buf, b, m.reasonCode);
  writeText(buf, b + 2, m.text, n);
  return size;
}

/** Encodes Ack (fixed 35 bytes); returns bytes written. */
export function encodeAck(buf: Buffer, off: number, m: Fields<AckMsg>): number {
  checkU64(m.clientSeq, 'clientSeq');
  checkU64(m.orderId, 'orderId');
  checkU64(m.sessionSeq, 'sessionSeq');
  const b = header(buf, off, ACK_FRAME_SIZE, MsgType.Ack);
  putU64(buf, b, m.clientSeq);
  putU64(buf, b + 8, m.orderId);
  putU64(buf, b + 16, m.sessionSeq);
  putBigU64(buf, b + 24, m.receivedAtNs);
  return ACK_FRAME_SIZE;
}

/**
 * Encodes Ack from plain numbers (the server's hot path: no message object, no bigint).
 * `receivedAtNs` must be a non-negative integer below 2^53 here.
 */
export function encodeAckFast(buf: Buffer, off: number, clientSeq: number, orderId: number, sessionSeq: number, receivedAtNs: number): number {
  const b = header(buf, off, ACK_FRAME_SIZE, MsgType.Ack);
  putU64(buf, b, clientSeq);
  putU64(buf, b + 8, orderId);
  putU64(buf, b + 16, sessionSeq);
  putU64(buf, b + 24, receivedAtNs);
  return ACK_FRAME_SIZE;
}

/** Encodes Reject (fixed 13 bytes); returns bytes written. */
export function encodeReject(buf: Buffer, off: number, m: Fields<RejectMsg>): number {
  checkU64(m.clientSeq, 'clientSeq');
  checkUInt(m.reasonCode, 0xffff, 'reasonCode');
  const b = header(buf, off, REJECT_FRAME_SIZE, MsgType.Reject);
  putU64(buf, b, m.clientSeq);
  putU16(buf, b + 8, m.reasonCode);
  return REJECT_FRAME_SIZE;
}

/** Encodes CancelAck (fixed 19 bytes); returns bytes written. */
export function encodeCancelAck(buf: Buffer, off: number, m: Fields<CancelAckMsg>): number {
  checkU64(m.clientSeq, 'clientSeq');
  checkU64(m.orderId, 'orderId');
  const b = header(buf, off, CANCEL_ACK_FRAME_SIZE, MsgType.CancelAck);
  putU64(buf, b, m.clientSeq);
  putU64(buf, b + 8, m.orderId);
  return CANCEL_ACK_FRAME_SIZE;
}

/** Encodes CancelReject (fixed 13 bytes); returns bytes written. */
export function encodeCancelReject(buf: Buffer, off: number, m: Fields<CancelRejectMsg>): number {
  checkU64(m.clientSeq, 'clientSeq');
  checkUInt(m.reasonCode, 0xffff, 'reasonCode');
  const b = header(buf, off, CANCEL_REJECT_FRAME_SIZE, MsgType.CancelReject);
  putU64(buf, b, m.clientSeq);
  putU16(buf, b + 8, m.reasonCode);
  return CANCEL_REJECT_FRAME_SIZE;
}

export const EXECUTION_REPORT_FRAME_SIZE = HEADER + BODY.EXECUTION_REPORT;

/** Encodes ExecutionReport (version 2 sessions only); returns bytes written. */
export function encodeExecutionReport(buf: Buffer, off: number, m: Fields<ExecutionReportMsg>): number {
  checkU64(m.orderId, 'orderId');
  checkUInt(m.lastQty, 0xffff_ffff, 'lastQty');
  checkUInt(m.cumQty, 0xffff_ffff, 'cumQty');
  checkUInt(m.leavesQty, 0xffff_ffff, 'leavesQty');
  checkU64(m.transactTime, 'transactTime');
  const b = header(buf, off, EXECUTION_REPORT_FRAME_SIZE, MsgType.ExecutionReport);
  putU64(buf, b, m.orderId);
  buf[b + 8] = m.execType;
  buf[b + 9] = m.ordStatus;
  putU32(buf, b + 10, m.lastQty);
  buf.writeDoubleLE(m.lastPx, b + 14);
  putU32(buf, b + 22, m.cumQty);
  putU32(buf, b + 26, m.leavesQty);
  buf.writeDoubleLE(m.avgPx, b + 30);
  putU64(buf, b + 38, m.transactTime);
  return EXECUTION_REPORT_FRAME_SIZE;
}

/** Encodes Goodbye; text is UTF-8, truncated to 255 bytes. Returns bytes written. */
export function encodeGoodbye(buf: Buffer, off: number, m: Fields<GoodbyeMsg>): number {
  checkUInt(m.reasonCode, 0xffff, 'reasonCode');
  const n = textLength(m.text);
  const size = HEADER + BODY.GOODBYE_FIXED + n;
  const b = header(buf, off, size, MsgType.Goodbye);
  putU16(buf, b, m.reasonCode);
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
    case MsgType.ExecutionReport:
      return EXECUTION_REPORT_FRAME_SIZE;
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
    case MsgType.ExecutionReport:
      return encodeExecutionReport(buf, off, msg);
  }
}

/** Encodes one message into a new Buffer of exactly its size (convenience; allocates). */
export function encodeToBuffer(msg: Message): Buffer {
  const buf = Buffer.allocUnsafe(encodedSize(msg));
  encodeMessage(buf, 0, msg);
  return buf;
}
