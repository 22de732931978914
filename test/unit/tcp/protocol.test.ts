import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { OrdType, Side, TimeInForce } from '../../../src/contract/order.js';
import { REASONS } from '../../../src/contract/reasons.js';
import {
  ACK_FRAME_SIZE,
  FrameDecoder,
  MAX_CLIENT_ORDER_ID_BYTES,
  MAX_PAYLOAD_LENGTH,
  MAX_TEXT_BYTES,
  MAX_TOKEN_BYTES,
  MsgType,
  PROTOCOL_REASONS,
  PROTOCOL_REASON_CODES,
  PROTOCOL_VERSION,
  ProtocolError,
  decodeFrame,
  describeMessage,
  encodeAck,
  encodeMessage,
  encodeNewOrder,
  encodeToBuffer,
  encodedSize,
  newOrderFrameSize,
  senderOf,
  wireReasonCode,
  reasonFromCode,
  type ClientMessage,
  type Message,
  type NewOrderMsg,
  type Sender,
  type ServerMessage,
  ExecTypeCode,
  OrdStatusCode,
} from '@switchyard/protocol';
import { wireOrderToContract } from '../../../src/transport/tcp/wire-order.js';
import { roundTrip as roundTripHelper } from './round-trip.js';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

const order: NewOrderMsg = {
  type: MsgType.NewOrder,
  clientSeq: 7,
  symbol: 'AAPL',
  side: Side.Buy,
  ordType: OrdType.Limit,
  timeInForce: TimeInForce.GTC,
  qty: 100,
  price: 15000,
  expireAt: 0,
  clientOrderId: 'c-1',
};

/** One or more samples of every client -> server message, including edge values. */
const CLIENT_SAMPLES: ClientMessage[] = [
  { type: MsgType.Login, version: PROTOCOL_VERSION, heartbeatMs: 1000, token: 'eyJhbGciOiJIUzI1NiJ9.e30.sig' },
  { type: MsgType.Login, version: 255, heartbeatMs: 0xffffffff, token: '' },
  { type: MsgType.Login, version: 1, heartbeatMs: 0, token: 'x'.repeat(MAX_TOKEN_BYTES) },
  order,
  { ...order, symbol: 'BTCUSDT1', side: Side.Sell, ordType: OrdType.Market, price: 0, clientOrderId: null },
  { ...order, clientSeq: MAX_SAFE, price: -MAX_SAFE, qty: 0xffffffff, timeInForce: TimeInForce.GTD, expireAt: MAX_SAFE },
  { ...order, clientOrderId: 'z'.repeat(MAX_CLIENT_ORDER_ID_BYTES), price: -1 },
  { ...order, side: 9 as Side, ordType: 0 as OrdType, timeInForce: 200 as TimeInForce, symbol: 'A' },
  { type: MsgType.Cancel, clientSeq: 8, orderId: 42, clientOrderId: null },
  { type: MsgType.Cancel, clientSeq: MAX_SAFE, orderId: MAX_SAFE, clientOrderId: null },
  { type: MsgType.Cancel, clientSeq: 9, orderId: null, clientOrderId: 'c-1' },
  { type: MsgType.Cancel, clientSeq: 10, orderId: null, clientOrderId: 'q'.repeat(64) },
  { type: MsgType.Heartbeat },
  { type: MsgType.Logout },
];

/** One or more samples of every server -> client message, including edge values. */
const SERVER_SAMPLES: ServerMessage[] = [
  { type: MsgType.LoginAccepted, sessionId: 'S-abc', nextClientSeq: 1, heartbeatMs: 1000 },
  { type: MsgType.LoginAccepted, sessionId: '', nextClientSeq: MAX_SAFE, heartbeatMs: 0xffffffff },
  { type: MsgType.LoginAccepted, sessionId: 's'.repeat(64), nextClientSeq: 0, heartbeatMs: 0 },
  { type: MsgType.LoginRejected, reasonCode: PROTOCOL_REASON_CODES.AUTH_FAILED, text: 'bad signature' },
  { type: MsgType.LoginRejected, reasonCode: 0xffff, text: '' },
  { type: MsgType.Ack, clientSeq: 7, orderId: 1, sessionSeq: 1, receivedAtNs: 1_712_345_678_901_234_567n },
  { type: MsgType.Ack, clientSeq: MAX_SAFE, orderId: MAX_SAFE, sessionSeq: MAX_SAFE, receivedAtNs: 2n ** 64n - 1n },
  { type: MsgType.Ack, clientSeq: 0, orderId: 0, sessionSeq: 0, receivedAtNs: 0n },
  { type: MsgType.Reject, clientSeq: 8, reasonCode: REASONS.INVALID_QTY },
  { type: MsgType.CancelAck, clientSeq: 9, orderId: 42 },
  { type: MsgType.CancelReject, clientSeq: 10, reasonCode: REASONS.ORDER_FINAL },
  { type: MsgType.Heartbeat },
  { type: MsgType.Goodbye, reasonCode: PROTOCOL_REASON_CODES.PROTOCOL_BAD_LENGTH, text: 'Ack body is 31 bytes, expected 32' },
  { type: MsgType.Goodbye, reasonCode: PROTOCOL_REASON_CODES.SERVER_SHUTDOWN, text: 'Ünïcödé ✓' },
  { type: MsgType.ExecutionReport, orderId: 1796365000000001, execType: ExecTypeCode.Trade, ordStatus: OrdStatusCode.PartiallyFilled, lastQty: 40, lastPx: 15001, cumQty: 40, leavesQty: 60, avgPx: 15001, transactTime: 1_796_365_000_123 },
  { type: MsgType.ExecutionReport, orderId: MAX_SAFE, execType: ExecTypeCode.Canceled, ordStatus: OrdStatusCode.Canceled, lastQty: 0, lastPx: 0, cumQty: 0xffffffff, leavesQty: 0, avgPx: 14999.333333, transactTime: 0 },
];

function roundTrip<S extends Sender>(msg: Message, from: S): Message {
  const size = encodedSize(msg);
  const buf = Buffer.alloc(size + 10, 0xee);
  const n = encodeMessage(buf, 5, msg);
  assert.equal(n, size, 'encoder returns the frame size');
  assert.equal(buf[4], 0xee, 'no write before offset');
  assert.equal(buf[5 + n], 0xee, 'no write after frame');
  assert.equal(buf.readUInt16LE(5), n - 2, 'length field = type + body');
  assert.equal(buf[7], msg.type, 'type byte');
  const out = decodeFrame(buf.subarray(5, 5 + n), from);
  assert.ok(!(out instanceof ProtocolError), out instanceof ProtocolError ? out.message : '');
  return out;
}

/** Deterministic PRNG (mulberry32) so chunking tests are reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function frame(len: number, type: number, body: Buffer = Buffer.alloc(Math.max(0, len - 1))): Buffer {
  const b = Buffer.alloc(3 + body.length);
  b.writeUInt16LE(len, 0);
  b[2] = type;
  body.copy(b, 3);
  return b;
}

function expectError(bytes: Buffer, from: Sender, reason: keyof typeof PROTOCOL_REASONS): ProtocolError {
  const dec = new FrameDecoder({ from });
  dec.push(bytes);
  const r = dec.next();
  if (!(r instanceof ProtocolError)) assert.fail(`expected ${reason}, got ${JSON.stringify(r && describeMessage(r))}`);
  assert.equal(r.reason, reason);
  assert.equal(r.code, PROTOCOL_REASON_CODES[reason]);
  return r;
}

describe('round trip', () => {
  for (const msg of CLIENT_SAMPLES) {
    test(`client ${MsgType[msg.type]} ${JSON.stringify(describeMessage(msg)).slice(0, 60)}`, () => {
      assert.deepEqual(roundTrip(msg, 'client'), msg);
    });
  }
  for (const msg of SERVER_SAMPLES) {
    test(`server ${MsgType[msg.type]} ${JSON.stringify(describeMessage(msg)).slice(0, 60)}`, () => {
      assert.deepEqual(roundTrip(msg, 'server'), msg);
    });
  }

  test('exported roundTrip helper covers every sample', () => {
    for (const m of [...CLIENT_SAMPLES, ...SERVER_SAMPLES]) assert.deepEqual(roundTripHelper(m), m);
    assert.equal(senderOf(MsgType.Heartbeat), 'client');
    assert.equal(senderOf(MsgType.Ack), 'server');
    assert.throws(() => roundTripHelper({ ...order, symbol: 'WAYTOOLONG' }), RangeError);
  });

  test('every message type has a sample', () => {
    const seen = new Set([...CLIENT_SAMPLES, ...SERVER_SAMPLES].map((m) => m.type));
    for (const v of Object.values(MsgType)) if (typeof v === 'number') assert.ok(seen.has(v), MsgType[v]);
  });

  test('symbol padding: spaces or NULs are stripped; encoder pads with spaces', () => {
    const buf = encodeToBuffer(order);
    assert.equal(buf.toString('latin1', 3 + 8, 3 + 16), 'AAPL    ');
    buf.fill(0, 3 + 12, 3 + 16);
    const m = decodeFrame(buf, 'client');
    assert.ok(!(m instanceof ProtocolError));
    assert.equal((m as NewOrderMsg).symbol, 'AAPL');
  });

  test('long text is truncated to 255 bytes on a character boundary', () => {
    const text = 'é'.repeat(200); // 400 bytes of UTF-8
    const m = roundTrip({ type: MsgType.Goodbye, reasonCode: 1, text }, 'server');
    assert.equal(m.type, MsgType.Goodbye);
    const got = (m as { text: string }).text;
    assert.equal(got, 'é'.repeat(127));
    assert.ok(Buffer.byteLength(got) <= MAX_TEXT_BYTES);
  });
});

describe('byte layout (docs/tcp-protocol.md)', () => {
  test('NewOrder offsets', () => {
    const m: NewOrderMsg = {
      ...order,
      clientSeq: 0x0102030405,
      side: Side.Sell,
      ordType: OrdType.Market,
      timeInForce: TimeInForce.GTD,
      qty: 0x0a0b0c0d,
      price: -2,
      expireAt: 1_800_000_000_000,
      clientOrderId: 'AB',
    };
    const b = encodeToBuffer(m);
    assert.equal(b.length, newOrderFrameSize(2));
    assert.equal(b.length, 45);
    assert.equal(b.readUInt16LE(0), 43);
    assert.equal(b[2], 0x4f);
    const body = b.subarray(3);
    assert.equal(body.readBigUInt64LE(0), 0x0102030405n);
    assert.equal(body.toString('latin1', 8, 16), 'AAPL    ');
    assert.equal(body[16], 2);
    assert.equal(body[17], 2);
    assert.equal(body[18], 2);
    assert.equal(body.readUInt32LE(19), 0x0a0b0c0d);
    assert.equal(body.readBigInt64LE(23), -2n);
    assert.equal(body.readBigUInt64LE(31), 1_800_000_000_000n);
    assert.equal(body[39], 2);
    assert.equal(body.toString('latin1', 40, 42), 'AB');
  });

  test('Ack is a fixed 35-byte frame', () => {
    const b = Buffer.alloc(ACK_FRAME_SIZE);
    encodeAck(b, 0, { clientSeq: 3, orderId: 4, sessionSeq: 5, receivedAtNs: 6n });
    assert.equal(b.length, 35);
    assert.deepEqual(
      [b.readUInt16LE(0), b[2], b.readBigUInt64LE(3), b.readBigUInt64LE(11), b.readBigUInt64LE(19), b.readBigUInt64LE(27)],
      [33, 0x4b, 3n, 4n, 5n, 6n],
    );
  });

  test('fixed frame sizes', () => {
    const size = (m: Message): number => encodedSize(m);
    assert.equal(size({ type: MsgType.Heartbeat }), 3);
    assert.equal(size({ type: MsgType.Logout }), 3);
    assert.equal(size({ type: MsgType.Reject, clientSeq: 1, reasonCode: 1 }), 13);
    assert.equal(size({ type: MsgType.CancelAck, clientSeq: 1, orderId: 1 }), 19);
    assert.equal(size({ type: MsgType.CancelReject, clientSeq: 1, reasonCode: 1 }), 13);
    assert.equal(size({ type: MsgType.Cancel, clientSeq: 1, orderId: 1, clientOrderId: null }), 20);
    assert.equal(size({ ...order, clientOrderId: null }), 43);
  });
});

describe('streaming decoder', () => {
  const stream = Buffer.concat(CLIENT_SAMPLES.map(encodeToBuffer));

  function decodeChunks(chunks: Buffer[], from: Sender): Message[] {
    const dec = new FrameDecoder({ from });
    const out: Message[] = [];
    for (const c of chunks) {
      const r = dec.feed(c);
      assert.equal(r.error, null, r.error?.message);
      out.push(...r.messages);
    }
    assert.equal(dec.buffered, 0);
    return out;
  }

  test('many frames in one chunk', () => {
    assert.deepEqual(decodeChunks([stream], 'client'), CLIENT_SAMPLES);
  });

  test('one byte at a time', () => {
    const chunks: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) chunks.push(stream.subarray(i, i + 1));
    assert.deepEqual(decodeChunks(chunks, 'client'), CLIENT_SAMPLES);
  });

  test('every split point of a two-frame stream', () => {
    const two = Buffer.concat([encodeToBuffer(order), encodeToBuffer(SERVER_SAMPLES[0]).subarray(0, 0), encodeToBuffer({ type: MsgType.Heartbeat })]);
    for (let i = 0; i <= two.length; i++) {
      assert.deepEqual(decodeChunks([two.subarray(0, i), two.subarray(i)], 'client'), [order, { type: MsgType.Heartbeat }], `split at ${i}`);
    }
  });

  test('random chunk boundaries (server stream, seeded)', () => {
    const s = Buffer.concat(Array.from({ length: 20 }, () => SERVER_SAMPLES.map(encodeToBuffer)).flat());
    const expected = Array.from({ length: 20 }, () => SERVER_SAMPLES).flat();
    const rand = prng(42);
    for (let round = 0; round < 50; round++) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < s.length; ) {
        const n = 1 + Math.floor(rand() * 300);
        chunks.push(s.subarray(i, i + n));
        i += n;
      }
      assert.deepEqual(decodeChunks(chunks, 'server'), expected);
    }
  });

  test('push without pulling keeps earlier frames', () => {
    const dec = new FrameDecoder({ from: 'client' });
    const a = encodeToBuffer(order);
    dec.push(Buffer.concat([a, a.subarray(0, 5)]));
    dec.push(Buffer.concat([a.subarray(5), a]));
    const got: Message[] = [];
    for (let m = dec.next(); m !== null; m = dec.next()) {
      assert.ok(!(m instanceof ProtocolError));
      got.push(m);
    }
    assert.deepEqual(got, [order, order, order]);
  });

  test('truncated frame waits without error, then completes', () => {
    const a = encodeToBuffer(order);
    const dec = new FrameDecoder({ from: 'client' });
    dec.push(a.subarray(0, 1));
    assert.equal(dec.next(), null);
    dec.push(a.subarray(1, a.length - 1));
    assert.equal(dec.next(), null);
    assert.equal(dec.next(), null);
    assert.equal(dec.error, null);
    assert.equal(dec.buffered, a.length - 1);
    dec.push(a.subarray(a.length - 1));
    assert.deepEqual(dec.next(), order);
    assert.equal(dec.next(), null);
  });

  test('empty chunks are harmless', () => {
    const dec = new FrameDecoder({ from: 'client' });
    dec.push(Buffer.alloc(0));
    assert.equal(dec.next(), null);
  });
});

describe('protocol errors', () => {
  test('oversized frame is rejected from its length prefix alone', () => {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(MAX_PAYLOAD_LENGTH + 1, 0);
    expectError(b, 'client', 'PROTOCOL_FRAME_TOO_LARGE');
    b.writeUInt16LE(0xffff, 0);
    expectError(b, 'server', 'PROTOCOL_FRAME_TOO_LARGE');
  });

  test('oversized frame split inside the length prefix', () => {
    const dec = new FrameDecoder({ from: 'client' });
    dec.push(Buffer.from([0x01]));
    assert.equal(dec.next(), null);
    dec.push(Buffer.from([0x04])); // 0x0401 = 1025
    const r = dec.next();
    assert.ok(r instanceof ProtocolError);
    assert.equal(r.reason, 'PROTOCOL_FRAME_TOO_LARGE');
  });

  test('a frame of exactly the maximum is accepted by the framing layer', () => {
    const token = 'x'.repeat(MAX_TOKEN_BYTES);
    const b = encodeToBuffer({ type: MsgType.Login, version: 1, heartbeatMs: 0, token });
    assert.equal(b.readUInt16LE(0), MAX_PAYLOAD_LENGTH);
    assert.throws(() => encodeToBuffer({ type: MsgType.Login, version: 1, heartbeatMs: 0, token: token + 'x' }), RangeError);
  });

  test('a smaller configured cap applies', () => {
    const dec = new FrameDecoder({ from: 'client', maxPayloadLength: 40 });
    dec.push(encodeToBuffer(order));
    const r = dec.next();
    assert.ok(r instanceof ProtocolError);
    assert.equal(r.reason, 'PROTOCOL_FRAME_TOO_LARGE');
  });

  test('length 0 is a bad length', () => {
    expectError(Buffer.from([0, 0]), 'client', 'PROTOCOL_BAD_LENGTH');
  });

  test('unknown type', () => {
    expectError(frame(1, 0x00), 'client', 'PROTOCOL_UNKNOWN_MESSAGE_TYPE');
    expectError(frame(1, 0x7a), 'server', 'PROTOCOL_UNKNOWN_MESSAGE_TYPE');
  });

  test('a type from the other direction is unknown', () => {
    expectError(encodeToBuffer(SERVER_SAMPLES[5]), 'client', 'PROTOCOL_UNKNOWN_MESSAGE_TYPE');
    expectError(encodeToBuffer(order), 'server', 'PROTOCOL_UNKNOWN_MESSAGE_TYPE');
  });

  test('wrong length for fixed-size messages', () => {
    expectError(frame(2, MsgType.Heartbeat), 'client', 'PROTOCOL_BAD_LENGTH');
    expectError(frame(2, MsgType.Heartbeat), 'server', 'PROTOCOL_BAD_LENGTH');
    expectError(frame(2, MsgType.Logout), 'client', 'PROTOCOL_BAD_LENGTH');
    expectError(frame(32, MsgType.Ack), 'server', 'PROTOCOL_BAD_LENGTH');
    expectError(frame(34, MsgType.Ack), 'server', 'PROTOCOL_BAD_LENGTH');
    expectError(frame(10, MsgType.Reject), 'server', 'PROTOCOL_BAD_LENGTH');
    expectError(frame(18, MsgType.CancelAck), 'server', 'PROTOCOL_BAD_LENGTH');
    expectError(frame(12, MsgType.CancelReject), 'server', 'PROTOCOL_BAD_LENGTH');
  });

  test('variable-size messages shorter than their fixed part', () => {
    expectError(frame(40, MsgType.NewOrder), 'client', 'PROTOCOL_BAD_LENGTH');
    expectError(frame(7, MsgType.Login), 'client', 'PROTOCOL_BAD_LENGTH');
    expectError(frame(17, MsgType.Cancel), 'client', 'PROTOCOL_BAD_LENGTH');
    expectError(frame(13, MsgType.LoginAccepted), 'server', 'PROTOCOL_BAD_LENGTH');
    expectError(frame(3, MsgType.LoginRejected), 'server', 'PROTOCOL_BAD_LENGTH');
    expectError(frame(3, MsgType.Goodbye), 'server', 'PROTOCOL_BAD_LENGTH');
  });

  test('inner length disagreeing with the frame length', () => {
    const b = encodeToBuffer(order); // clientOrderId 'c-1'
    const longer = Buffer.concat([b, Buffer.from('x')]);
    longer.writeUInt16LE(b.readUInt16LE(0) + 1, 0);
    expectError(longer, 'client', 'PROTOCOL_BAD_LENGTH');
    const login = encodeToBuffer(CLIENT_SAMPLES[0]);
    login.writeUInt16LE(3, 3 + 5); // token length field says 3
    expectError(login, 'client', 'PROTOCOL_BAD_LENGTH');
  });

  test('clientOrderId longer than 64 bytes', () => {
    const body = Buffer.alloc(40 + 65);
    body[39] = 65;
    expectError(frame(1 + body.length, MsgType.NewOrder, body), 'client', 'PROTOCOL_BAD_FIELD');
  });

  test('64-bit values beyond 2^53 - 1', () => {
    const b = encodeToBuffer(order);
    b.writeBigUInt64LE(2n ** 53n, 3);
    expectError(b, 'client', 'PROTOCOL_BAD_FIELD');
    const p = encodeToBuffer(order);
    p.writeBigInt64LE(-(2n ** 53n), 3 + 23);
    expectError(p, 'client', 'PROTOCOL_BAD_FIELD');
    const a = encodeToBuffer(SERVER_SAMPLES[5]);
    a.writeBigUInt64LE(2n ** 64n - 1n, 3 + 8);
    expectError(a, 'server', 'PROTOCOL_BAD_FIELD');
  });

  test('Cancel naming both or neither order', () => {
    const both = encodeToBuffer({ type: MsgType.Cancel, clientSeq: 1, orderId: null, clientOrderId: 'x' });
    both.writeBigUInt64LE(5n, 3 + 8);
    expectError(both, 'client', 'PROTOCOL_BAD_FIELD');
    const neither = encodeToBuffer({ type: MsgType.Cancel, clientSeq: 1, orderId: 5, clientOrderId: null });
    neither.writeBigUInt64LE(0n, 3 + 8);
    expectError(neither, 'client', 'PROTOCOL_BAD_FIELD');
  });

  test('the decoder stays failed after an error', () => {
    const dec = new FrameDecoder({ from: 'client' });
    dec.push(Buffer.concat([frame(1, 0x00), encodeToBuffer(order)]));
    const first = dec.next();
    assert.ok(first instanceof ProtocolError);
    dec.push(encodeToBuffer(order));
    assert.equal(dec.next(), first);
    assert.equal(dec.error, first);
  });

  test('frames before the bad one are still delivered', () => {
    const dec = new FrameDecoder({ from: 'client' });
    const r = dec.feed(Buffer.concat([encodeToBuffer(order), frame(2, MsgType.Heartbeat)]));
    assert.deepEqual(r.messages, [order]);
    assert.equal(r.error?.reason, 'PROTOCOL_BAD_LENGTH');
  });
});

describe('encoders', () => {
  test('refuse values the encoding cannot carry', () => {
    const buf = Buffer.alloc(200);
    const bad: Partial<NewOrderMsg>[] = [
      { symbol: 'TOOLONGSY' },
      { symbol: 'ÄAPL' },
      { clientOrderId: 'x'.repeat(65) },
      { clientOrderId: 'tab\t' },
      { qty: 2 ** 32 },
      { qty: 1.5 },
      { clientSeq: -1 },
      { clientSeq: 2 ** 53 },
      { price: 0.5 },
      { side: 256 as Side },
    ];
    for (const b of bad) assert.throws(() => encodeNewOrder(buf, 0, { ...order, ...b }), RangeError, JSON.stringify(b));
    assert.throws(() => encodeToBuffer({ type: MsgType.Cancel, clientSeq: 1, orderId: 1, clientOrderId: 'x' }), RangeError);
    assert.throws(() => encodeToBuffer({ type: MsgType.Cancel, clientSeq: 1, orderId: null, clientOrderId: null }), RangeError);
  });

  test('refuse to write past the end of the buffer', () => {
    const buf = Buffer.alloc(ACK_FRAME_SIZE - 1);
    assert.throws(() => encodeAck(buf, 0, { clientSeq: 1, orderId: 1, sessionSeq: 1, receivedAtNs: 1n }), RangeError);
    assert.throws(() => encodeAck(Buffer.alloc(100), 70, { clientSeq: 1, orderId: 1, sessionSeq: 1, receivedAtNs: 1n }), RangeError);
  });

  test('back-to-back encoding into one buffer', () => {
    const buf = Buffer.alloc(4096);
    let off = 0;
    for (const m of CLIENT_SAMPLES.slice(3)) off += encodeMessage(buf, off, m);
    const r = new FrameDecoder({ from: 'client' }).feed(buf.subarray(0, off));
    assert.deepEqual(r.messages, CLIENT_SAMPLES.slice(3));
  });
});

describe('reason codes', () => {
  test('protocol codes do not collide with the shared table', () => {
    const shared = new Map<number, string>(Object.entries(REASONS).map(([k, v]) => [v, k]));
    for (const [name, code] of Object.entries(PROTOCOL_REASON_CODES)) {
      const other = shared.get(code);
      assert.ok(other === undefined || other === name, `${name}=${code} collides with ${other}`);
      assert.ok(code > 0 && code <= 0xffff);
    }
    assert.equal(new Set(Object.values(PROTOCOL_REASON_CODES)).size, Object.keys(PROTOCOL_REASON_CODES).length);
  });

  test('lookup both ways', () => {
    assert.equal(wireReasonCode('INVALID_QTY'), REASONS.INVALID_QTY);
    assert.equal(wireReasonCode('AUTH_FAILED'), PROTOCOL_REASON_CODES.AUTH_FAILED);
    assert.equal(reasonFromCode(REASONS.RATE_LIMITED), 'RATE_LIMITED');
    assert.equal(reasonFromCode(PROTOCOL_REASON_CODES.PROTOCOL_FRAME_TOO_LARGE), 'PROTOCOL_FRAME_TOO_LARGE');
    assert.equal(reasonFromCode(65000), undefined);
  });

  test('describeMessage names reasons and stringifies bigints', () => {
    assert.deepEqual(describeMessage({ type: MsgType.Reject, clientSeq: 3, reasonCode: REASONS.INVALID_QTY }), {
      type: 'Reject',
      clientSeq: 3,
      reasonCode: REASONS.INVALID_QTY,
      reason: 'INVALID_QTY',
    });
    assert.equal(describeMessage(SERVER_SAMPLES[5]).receivedAtNs, '1712345678901234567');
  });
});

describe('wireOrderToContract', () => {
  const now = 1_700_000_000_000;
  test('maps a valid order', () => {
    assert.deepEqual(wireOrderToContract(order, now), {
      symbol: 'AAPL',
      side: Side.Buy,
      type: OrdType.Limit,
      qty: 100,
      price: 15000,
      timeInForce: TimeInForce.GTC,
      expireAt: 0,
      clientOrderId: 'c-1',
    });
    const gtd = wireOrderToContract({ ...order, timeInForce: TimeInForce.GTD, expireAt: now + 1 }, now);
    assert.equal(typeof gtd, 'object');
    const market = wireOrderToContract({ ...order, ordType: OrdType.Market, price: 0 }, now);
    assert.equal(typeof market, 'object');
  });

  test('reject reasons', () => {
    const cases: [Partial<NewOrderMsg>, string][] = [
      [{ symbol: '' }, 'INVALID_SYMBOL'],
      [{ symbol: 'A B' }, 'INVALID_SYMBOL'],
      [{ side: 3 as Side }, 'INVALID_SIDE'],
      [{ ordType: 0 as OrdType }, 'INVALID_TYPE'],
      [{ timeInForce: 3 as TimeInForce }, 'INVALID_TIME_IN_FORCE'],
      [{ qty: 0 }, 'INVALID_QTY'],
      [{ price: -1 }, 'INVALID_PRICE'],
      [{ price: 0 }, 'INVALID_PRICE'],
      [{ timeInForce: TimeInForce.GTD, expireAt: now }, 'INVALID_EXPIRE_AT'],
      [{ expireAt: now + 1000 }, 'INVALID_EXPIRE_AT'],
      [{ clientOrderId: 'has space' }, 'INVALID_CLIENT_ORDER_ID'],
    ];
    for (const [patch, reason] of cases) assert.equal(wireOrderToContract({ ...order, ...patch }, now), reason, JSON.stringify(patch));
  });
});
