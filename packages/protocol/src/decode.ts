/**
 * Decoding of the binary protocol: one payload at a time ({@link decodePayload}) and a streaming
 * {@link FrameDecoder} that accepts arbitrary chunk boundaries. A malformed frame is a
 * ProtocolError value, never a throw.
 */
import { getAscii, getBigU64, getI64, getU16, getU32, getU64 } from './bytes.js';
import {
  BODY, isTypeFrom, LENGTH_BYTES, MAX_CLIENT_ORDER_ID_BYTES, MAX_PAYLOAD_LENGTH, MAX_SESSION_ID_BYTES, msgTypeName, MsgType, ProtocolError, SYMBOL_BYTES,
  type ClientMessage, type HeartbeatMsg, type LogoutMsg, type Message, type Sender, type ServerMessage,
} from './messages.js';

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
  return end === start ? '' : getAscii(buf, start, end);
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
      const n = getU16(buf, b + 5);
      if (body !== BODY.LOGIN_FIXED + n) return badLength(type, body, `${BODY.LOGIN_FIXED} + token length ${n}`);
      return {
        type: MsgType.Login,
        version: buf[b],
        heartbeatMs: getU32(buf, b + 1),
        token: getAscii(buf, b + 7, b + 7 + n),
      };
    }

    case MsgType.NewOrder: {
      if (body < BODY.NEW_ORDER_FIXED) return badLength(type, body, `>= ${BODY.NEW_ORDER_FIXED}`);
      const n = buf[b + 39];
      if (n > MAX_CLIENT_ORDER_ID_BYTES) return badField('clientOrderId length');
      if (body !== BODY.NEW_ORDER_FIXED + n) return badLength(type, body, `${BODY.NEW_ORDER_FIXED} + clientOrderId length ${n}`);
      const clientSeq = getU64(buf, b);
      if (clientSeq < 0) return badField('clientSeq');
      const price = getI64(buf, b + 23);
      if (Number.isNaN(price)) return badField('price');
      const expireAt = getU64(buf, b + 31);
      if (expireAt < 0) return badField('expireAt');
      return {
        type: MsgType.NewOrder,
        clientSeq,
        symbol: decodeSymbol(buf, b + 8),
        side: buf[b + 16],
        ordType: buf[b + 17],
        timeInForce: buf[b + 18],
        qty: getU32(buf, b + 19),
        price,
        expireAt,
        clientOrderId: n === 0 ? null : getAscii(buf, b + 40, b + 40 + n),
      };
    }

    case MsgType.Cancel: {
      if (body < BODY.CANCEL_FIXED) return badLength(type, body, `>= ${BODY.CANCEL_FIXED}`);
      const n = buf[b + 16];
      if (n > MAX_CLIENT_ORDER_ID_BYTES) return badField('clientOrderId length');
      if (body !== BODY.CANCEL_FIXED + n) return badLength(type, body, `${BODY.CANCEL_FIXED} + clientOrderId length ${n}`);
      const clientSeq = getU64(buf, b);
      if (clientSeq < 0) return badField('clientSeq');
      const small = getU64(buf, b + 8);
      // An id above 2^53 − 1 is a valid u64 (kept as a bigint): it names no order of this gateway.
      const orderId = small < 0 ? getBigU64(buf, b + 8) : small;
      if ((orderId === 0) === (n === 0)) {
        return new ProtocolError('PROTOCOL_BAD_FIELD', 'Cancel must name exactly one of orderId or clientOrderId');
      }
      return {
        type: MsgType.Cancel,
        clientSeq,
        orderId: orderId === 0 ? null : orderId,
        clientOrderId: n === 0 ? null : getAscii(buf, b + 17, b + 17 + n),
      };
    }

    case MsgType.LoginAccepted: {
      if (body < BODY.LOGIN_ACCEPTED_FIXED) return badLength(type, body, `>= ${BODY.LOGIN_ACCEPTED_FIXED}`);
      const n = buf[b + 12];
      if (n > MAX_SESSION_ID_BYTES) return badField('sessionId length');
      if (body !== BODY.LOGIN_ACCEPTED_FIXED + n) return badLength(type, body, `${BODY.LOGIN_ACCEPTED_FIXED} + sessionId length ${n}`);
      const nextClientSeq = getU64(buf, b);
      if (nextClientSeq < 0) return badField('nextClientSeq');
      return {
        type: MsgType.LoginAccepted,
        sessionId: getAscii(buf, b + 13, b + 13 + n),
        nextClientSeq,
        heartbeatMs: getU32(buf, b + 8),
      };
    }

    case MsgType.LoginRejected:
    case MsgType.Goodbye: {
      if (body < BODY.GOODBYE_FIXED) return badLength(type, body, `>= ${BODY.GOODBYE_FIXED}`);
      const n = buf[b + 2];
      if (body !== BODY.GOODBYE_FIXED + n) return badLength(type, body, `${BODY.GOODBYE_FIXED} + text length ${n}`);
      const reasonCode = getU16(buf, b);
      const text = buf.toString('utf8', b + 3, b + 3 + n);
      return type === MsgType.Goodbye
        ? { type: MsgType.Goodbye, reasonCode, text }
        : { type: MsgType.LoginRejected, reasonCode, text };
    }

    case MsgType.Ack: {
      if (body !== BODY.ACK) return badLength(type, body, `${BODY.ACK}`);
      const clientSeq = getU64(buf, b);
      const orderId = getU64(buf, b + 8);
      const sessionSeq = getU64(buf, b + 16);
      if (clientSeq < 0) return badField('clientSeq');
      if (orderId < 0) return badField('orderId');
      if (sessionSeq < 0) return badField('sessionSeq');
      return { type: MsgType.Ack, clientSeq, orderId, sessionSeq, receivedAtNs: getBigU64(buf, b + 24) };
    }

    case MsgType.Reject:
    case MsgType.CancelReject: {
      if (body !== BODY.REJECT) return badLength(type, body, `${BODY.REJECT}`);
      const clientSeq = getU64(buf, b);
      if (clientSeq < 0) return badField('clientSeq');
      const reasonCode = getU16(buf, b + 8);
      return type === MsgType.Reject
        ? { type: MsgType.Reject, clientSeq, reasonCode }
        : { type: MsgType.CancelReject, clientSeq, reasonCode };
    }

    case MsgType.ExecutionReport: {
      if (body !== BODY.EXECUTION_REPORT) return badLength(type, body, `${BODY.EXECUTION_REPORT}`);
      const orderId = getU64(buf, b);
      const transactTime = getU64(buf, b + 38);
      if (orderId < 0) return badField('orderId');
      if (transactTime < 0) return badField('transactTime');
      return {
        type: MsgType.ExecutionReport,
        orderId,
        execType: buf[b + 8]!,
        ordStatus: buf[b + 9]!,
        lastQty: getU32(buf, b + 10),
        lastPx: buf.readDoubleLE(b + 14),
        cumQty: getU32(buf, b + 22),
        leavesQty: getU32(buf, b + 26),
        avgPx: buf.readDoubleLE(b + 30),
        transactTime,
      };
    }

    case MsgType.CancelAck: {
      if (body !== BODY.CANCEL_ACK) return badLength(type, body, `${BODY.CANCEL_ACK}`);
      const clientSeq = getU64(buf, b);
      const orderId = getU64(buf, b + 8);
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
    const len = getU16(cur, this.pos);
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
    const len = getU16(s, 0);
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
