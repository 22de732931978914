import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/config.js';
import { type NewOrder, OrdType, Side, TimeInForce } from '../../../src/contract/order.js';
import { OrderBook } from '../../../src/orders/book.js';
import { BINARY_TYPE_OFFSET, decodeBinaryEvent, encodeEvent, maxEncodedBytes } from '../../../src/orders/event-codec.js';
import { decodeEvent, EventDecodeError, eventJson } from '../../../src/orders/events.js';
import type { OrderEvent } from '../../../src/orders/order.js';
import { RiskEngine } from '../../../src/risk/engine.js';

const T0 = Date.UTC(2026, 0, 5, 12);

function order(over: Partial<NewOrder> = {}): NewOrder {
  return { symbol: 'AAPL', side: Side.Buy, type: OrdType.Limit, qty: 100, price: 15000, timeInForce: TimeInForce.GTC, expireAt: 0, clientOrderId: null, ...over };
}

function bin(e: OrderEvent): Buffer {
  const b = Buffer.alloc(maxEncodedBytes(e));
  return b.subarray(0, encodeEvent(e, b));
}

/** The binary and the JSON forms decode to the same event. */
function same(e: OrderEvent): void {
  const fromBinary = decodeBinaryEvent(e.type + BINARY_TYPE_OFFSET, bin(e));
  const fromJson = decodeEvent(e.type, eventJson(e));
  // A sequence id travels as prefix + acceptSeq: no id string is built for it.
  if (fromBinary.seqId === true) assert.equal(fromBinary.idPrefix! + fromBinary.acceptSeq, e.order.orderId);
  else assert.equal(fromBinary.orderId, e.order.orderId);
  const norm = (d: typeof fromBinary) => ({ ...d, idPrefix: undefined, seqId: undefined, orderId: e.order.orderId });
  assert.deepEqual(norm(fromBinary), norm(fromJson));
}

describe('binary event codec', () => {
  it('round-trips every event shape and agrees with the JSON form', () => {
    const book = new OrderBook(new RiskEngine(loadConfig({ V3_RISK_PROFILE: 'medium' }).risk), { idempotencyTtlMs: 0, orderIdPrefix: 'ord_b_' });
    const a = book.accept('acct-1', 'c-1', order({ clientOrderId: 'c-1' }), T0);
    same(a);
    assert.equal(decodeBinaryEvent(a.type + BINARY_TYPE_OFFSET, bin(a)).idPrefix, 'ord_b_');
    same(book.accept('acct-1', 'key-2', order({ clientOrderId: 'c-2', timeInForce: TimeInForce.GTD, expireAt: T0 + 1000 }), T0));
    same(book.accept('compte-é', 'key-3', order({ type: OrdType.Market, price: 0, side: Side.Sell }), T0));
    const c = book.requestCancel(a.order, T0 + 1);
    same(c);
    same(book.update(a.order, 'CANCELED', 0, 'CLIENT_CANCEL', T0 + 1) as OrderEvent);
    const b = book.accept('acct-1', 'k-4', order(), T0 + 2);
    same(book.update(b.order, 'PARTIALLY_FILLED', 5, null, T0 + 3) as OrderEvent);
    assert.ok(bin(a).length * 2 < Buffer.byteLength(eventJson(a)), 'less than half the JSON size');
  });

  it('refuses truncated, extended and malformed payloads', () => {
    const book = new OrderBook(new RiskEngine(loadConfig({}).risk), { idempotencyTtlMs: 0, orderIdPrefix: 'ord_b_' });
    const e = book.accept('acct-1', 'key-1', order({ clientOrderId: 'c-1' }), T0);
    const good = bin(e);
    const t = e.type + BINARY_TYPE_OFFSET;
    for (let n = 0; n < good.length; n++) assert.throws(() => decodeBinaryEvent(t, good.subarray(0, n)), EventDecodeError, `cut at ${n}`);
    assert.throws(() => decodeBinaryEvent(t, Buffer.concat([good, Buffer.from([0])])), EventDecodeError);
    const badVersion = Buffer.from(good);
    badVersion[0] = 9;
    assert.throws(() => decodeBinaryEvent(t, badVersion), /version/);
    assert.throws(() => decodeBinaryEvent(BINARY_TYPE_OFFSET + 7, good), EventDecodeError);
  });

  it('decodes a record in the middle of a larger buffer and reads nothing outside its bounds', () => {
    const book = new OrderBook(new RiskEngine(loadConfig({}).risk), { idempotencyTtlMs: 0, orderIdPrefix: 'ord_b_' });
    const e = book.accept('acct-1', 'key-1', order({ clientOrderId: 'c-ü' }), T0);
    const good = bin(e);
    const t = e.type + BINARY_TYPE_OFFSET;
    // surrounded by bytes that would decode as more string or more record
    const big = Buffer.concat([Buffer.alloc(13, 0x41), good, Buffer.alloc(9, 0x41)]);
    assert.deepEqual(decodeBinaryEvent(t, big, 13, 13 + good.length), decodeBinaryEvent(t, good));
    assert.equal(decodeBinaryEvent(t, big, 13, 13 + good.length).request!.clientOrderId, 'c-ü');
    for (let n = 13; n < 13 + good.length; n++) assert.throws(() => decodeBinaryEvent(t, big, 13, n), EventDecodeError, `cut at ${n - 13}`);
    assert.throws(() => decodeBinaryEvent(t, big, 13, 14 + good.length), EventDecodeError, 'one byte too many');
  });
});
