import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PairIndex } from '../../../src/orders/pair-index.js';
import { decodeEvent, decodeEventBytes } from '../../../src/orders/events.js';

describe('pair index', () => {
  it('behaves like a Map through growth and deletions (random operations)', () => {
    const idx = new PairIndex(16);
    const model = new Map<string, number>();
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 50_000; i++) {
      const acct = `a${rnd(7)}`;
      const key = `k${rnd(3000)}`;
      const id = `${acct}\u0000${key}`;
      const op = rnd(10);
      if (op < 4) {
        idx.set(acct, key, i);
        model.set(id, i);
      } else if (op < 6) {
        assert.equal(idx.swap(acct, key, i), model.get(id) ?? -1, 'swap returns the value it replaced');
        model.set(id, i);
      } else if (op < 8) {
        const v = model.get(id);
        const removed = idx.deleteIf(acct, key, v ?? -5);
        assert.equal(removed, v !== undefined);
        model.delete(id);
      } else {
        assert.equal(idx.get(acct, key), model.get(id) ?? -1);
      }
    }
    assert.equal(idx.size, model.size);
    for (const [id, v] of model) {
      const [acct, key] = id.split('\u0000') as [string, string];
      assert.equal(idx.get(acct, key), v);
    }
    assert.equal(idx.deleteIf('a1', 'never', 1), false);
  });

  it('keeps pairs apart: (ab, c) is not (a, bc)', () => {
    const idx = new PairIndex();
    idx.set('ab', 'c', 1);
    idx.set('a', 'bc', 2);
    assert.deepEqual([idx.get('ab', 'c'), idx.get('a', 'bc')], [1, 2]);
  });
});

describe('event decoding from journal bytes', () => {
  const samples = [
    '{"type":"OrderAccepted","at":1795609514003,"accountId":"acct-1","orderId":"ord_mhx3_12","data":{"acceptSeq":12,"clientOrderId":"c-1","expireAt":null,"idempotencyKey":"c-1","price":15000,"qty":100,"side":"BUY","symbol":"AAPL","timeInForce":"GTC","type":"LIMIT"}}',
    '{"type":"OrderAccepted","at":1,"accountId":"a","orderId":"custom","data":{"acceptSeq":3,"clientOrderId":null,"expireAt":1795609514003,"idempotencyKey":"hdr","price":null,"qty":7,"side":"SELL","symbol":"BTC","timeInForce":"GTD","type":"MARKET"}}',
    '{"type":"OrderAccepted","at":1,"accountId":"a\\"q","orderId":"ord_x_1","data":{"acceptSeq":1,"clientOrderId":"c\\\\1","expireAt":null,"idempotencyKey":"k","price":1,"qty":1,"side":"BUY","symbol":"AAPL","timeInForce":"GTC","type":"LIMIT"}}',
    '{"type":"CancelRequested","at":5,"accountId":"acct-1","orderId":"ord_mhx3_12","data":{}}',
    '{"type":"OrderUpdated","at":6,"accountId":"acct-1","orderId":"ord_mhx3_12","data":{"filledQty":0,"reason":"CLIENT_CANCEL","status":"CANCELED"}}',
    '{"type":"OrderUpdated","at":6,"accountId":"acct-1","orderId":"ord_mhx3_12","data":{"filledQty":40,"reason":null,"status":"PARTIALLY_FILLED"}}',
    // other key order: only the JSON path reads it
    '{"at":6,"type":"OrderUpdated","accountId":"acct-1","orderId":"o","data":{"status":"FILLED","filledQty":40}}',
  ];
  const typeOf = (s: string) => ({ OrderAccepted: 1, CancelRequested: 2, OrderUpdated: 3 })[JSON.parse(s).type as string]!;

  it('gives the same result as JSON decoding, escaped strings included', () => {
    for (const s of samples) {
      const fast = decodeEventBytes(typeOf(s), Buffer.from(s));
      const slow = decodeEvent(typeOf(s), s);
      const { idPrefix, ...rest } = fast;
      assert.deepEqual(rest, slow, s);
      if (idPrefix !== undefined) assert.equal(fast.orderId, idPrefix + fast.acceptSeq);
    }
  });

  it('refuses what is not an event of the record type', () => {
    assert.throws(() => decodeEventBytes(1, Buffer.from(samples[3]!)), /bad|missing/);
    assert.throws(() => decodeEventBytes(3, Buffer.from('{"type":"OrderUpdated"')), /not JSON/);
  });
});
