import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/config.js';
import { type NewOrder, OrdType, Side, TimeInForce } from '../../../src/contract/order.js';
import { FastPath } from '../../../src/fastpath/fast-path.js';
import { httpStatus } from '../../../src/transport/http/status.js';
import { RingConsumer } from '../../../src/fastpath/ingress-ring.js';
import { StageTimers } from '../../../src/metrics/gateway-metrics.js';
import { RiskEngine } from '../../../src/risk/engine.js';

const order: NewOrder = { symbol: 'AAPL', side: Side.Buy, type: OrdType.Limit, qty: 100, price: 15000, timeInForce: TimeInForce.GTC, expireAt: 0, clientOrderId: null };

function fastPath(env: Record<string, string>) {
  const cfg = loadConfig({ V3_SHARD_COUNT: '1', V3_INGRESS_QUEUE_CAPACITY: '20', ...env });
  const clock = { ms: 1_000_000, nowMs: () => clock.ms, monoMs: () => performance.now() };
  const stages = new StageTimers();
  const fp = new FastPath(cfg.fastPath, { risk: new RiskEngine(cfg.risk), stages, clock });
  return { fp, clock, stages, consumer: new RingConsumer(fp.rings[0]!) };
}

describe('fast path', () => {
  it('acknowledges with per-session sequence numbers and records stage timings', () => {
    const { fp, stages } = fastPath({});
    const s = fp.session('sess-1');
    assert.equal(fp.submit('acct-1', s, order), null);
    assert.equal(fp.lastSessionSeq, 1);
    assert.equal(fp.submit('acct-1', s, order), null);
    assert.equal(fp.lastSessionSeq, 2);
    assert.equal(fp.submit('acct-1', fp.session('sess-2'), order), null);
    assert.equal(fp.lastSessionSeq, 1);
    assert.equal(fp.orderId(fp.lastOrderNo), String(fp.lastOrderNo));
    assert.ok(fp.lastOrderNo > Date.UTC(2020, 0) * 1000, "order numbers start from the start-up time");
    assert.equal(fp.counters.accepted, 3);
    assert.equal(stages.risk.count, 3);
    assert.equal(stages.enqueue.count, 3);
    assert.equal(fp.totalDepth(), 3);
  });

  it('rejects contract and risk violations without consuming a sequence number', () => {
    const { fp } = fastPath({});
    const s = fp.session('s');
    assert.equal(fp.submit('a', s, { ...order, price: 0 }), 'INVALID_PRICE');
    assert.equal(fp.submit('a', s, { ...order, symbol: 'ZZZ' }), 'INVALID_SYMBOL');
    assert.equal(fp.submit('a', s, { ...order, qty: 20_000 }), 'INVALID_QTY');
    assert.equal(s.seq, 0);
    assert.equal(fp.totalDepth(), 0);
    assert.equal(fp.counters.riskRejected, 3);
    assert.equal(httpStatus('INVALID_QTY'), 422);
    assert.equal(httpStatus('RATE_LIMITED'), 429);
  });

  it('walks the watermarks with the drain paused: 85% soft, 95% kill, then auto-recovers with hysteresis', () => {
    const { fp, clock, consumer } = fastPath({ V3_KILL_RECOVER_AFTER_MS: '3000' });
    const s = fp.session('s');
    // capacity 20: 17 orders fill it to 85%
    for (let i = 0; i < 17; i++) assert.equal(fp.submit('a', s, order), null, `order ${i}`);
    assert.equal(fp.utilisation(0), 85);
    assert.equal(fp.submit('a', s, order), 'V3_BACKPRESSURE_SOFT');
    assert.equal(fp.counters.softRejected, 1);
    assert.equal(fp.kill.engaged, false);

    // With one producer the soft band keeps the depth below the kill mark; use marks close
    // together to reach the kill watermark itself.
    const k = fastPath({ V3_SOFT_REJECT_PCT: '96', V3_KILL_REJECT_PCT: '97' });
    const ks = k.fp.session('s');
    for (let i = 0; i < 19; i++) assert.equal(k.fp.submit('a', ks, order), null);
    assert.equal(k.fp.utilisation(0), 95);
    assert.equal(k.fp.submit('a', ks, order), null, '95% is below this kill mark');
    assert.equal(k.fp.submit('a', ks, order), 'V3_QUEUE_KILLED');
    assert.equal(k.fp.kill.shards[0]!.killed, true);

    // kill watermark at 100%: the full ring raises it
    const f = fastPath({ V3_SOFT_REJECT_PCT: '98', V3_KILL_REJECT_PCT: '100' });
    const fs = f.fp.session('s');
    for (let i = 0; i < 20; i++) assert.equal(f.fp.submit('a', fs, order), null);
    assert.equal(f.fp.submit('a', fs, order), 'V3_QUEUE_KILLED', '100% reaches the kill mark');
    assert.equal(f.fp.submit('a', fs, order), 'V3_SHARD_KILLED', 'kill is sticky');
    assert.equal(f.fp.counters.killed, 2);

    // hysteresis on the default-policy instance: raise the kill, drain, wait
    fp.kill.admit(0, 95, clock.ms);
    assert.equal(fp.submit('a', s, order), 'V3_SHARD_KILLED');
    const n = consumer.available();
    consumer.release(n); // drain everything: utilisation 0
    clock.ms += 2999;
    assert.equal(fp.submit('a', s, order), 'V3_SHARD_KILLED', 'kill younger than V3_KILL_RECOVER_AFTER_MS');
    clock.ms += 1;
    assert.equal(fp.submit('a', s, order), null, 'recovered');
    assert.equal(fp.kill.recoveredTotal, 1);
  });

  it('does not recover while utilisation stays above V3_KILL_RECOVER_PCT', () => {
    const { fp, clock, consumer } = fastPath({});
    const s = fp.session('s');
    for (let i = 0; i < 16; i++) fp.submit('a', s, order);
    fp.kill.admit(0, 95, clock.ms);
    consumer.release(3); // 13/20 = 65% > 60%
    clock.ms += 10_000;
    assert.equal(fp.submit('a', s, order), 'V3_SHARD_KILLED');
    consumer.release(1); // 12/20 = 60%
    assert.equal(fp.submit('a', s, order), null);
  });

  it('raises the kill when the enqueue finds the ring closed', () => {
    const { fp } = fastPath({});
    fp.close();
    assert.equal(fp.submit('a', fp.session('s'), order), 'V3_INGRESS_CLOSED');
    assert.equal(fp.kill.shards[0]!.killed, true);
  });

  it('books exposure only for accepted orders (medium profile)', () => {
    const { fp } = fastPath({ V3_RISK_PROFILE: 'medium', V3_RISK_MAX_ABS_POSITION_QTY: '1000', V3_SOFT_REJECT_PCT: '10', V3_KILL_REJECT_PCT: '99', V3_KILL_RECOVER_PCT: '5' });
    const s = fp.session('s');
    assert.equal(fp.submit('a', s, { ...order, qty: 1000 }), null);
    assert.equal(fp.submit('a', s, { ...order, side: Side.Sell, qty: 100 }), null);
    assert.equal(fp.submit('a', s, { ...order, side: Side.Sell, qty: 100 }), 'V3_BACKPRESSURE_SOFT');
    // the soft-refused sell booked nothing: a 900 sell still fits (-100 -900 = -1000)
    const acct = fp.risk.account('a', 0);
    assert.equal(acct.exposure('AAPL').openSell, 100);
  });
});

describe('fast path cancels', () => {
  it('cancels the caller\'s open orders by number or clientOrderId, once, releasing exposure', () => {
    const cfg = loadConfig({ V3_SHARD_COUNT: '1', V3_RISK_PROFILE: 'medium', V3_RISK_MAX_ABS_POSITION_QTY: '100', V3_CANCEL_WINDOW: '4' });
    const fp = new FastPath(cfg.fastPath, { risk: new RiskEngine(cfg.risk), stages: new StageTimers() });
    const s = fp.session('s');
    assert.equal(fp.submit('a', s, { ...order, clientOrderId: 'c1' }), null);
    const first = fp.lastOrderNo;
    assert.equal(fp.submit('a', s, { ...order, qty: 1 }), 'POSITION_LIMIT');
    assert.equal(fp.cancel('b', first, null), 'ORDER_NOT_FOUND', 'another account');
    assert.equal(fp.cancel('a', first, null), null);
    assert.equal(fp.lastOrderNo, first);
    assert.equal(fp.cancel('a', first, null), 'ORDER_FINAL');
    assert.equal(fp.submit('a', s, { ...order, clientOrderId: 'c1' }), null, 'exposure and clientOrderId released');
    assert.equal(fp.cancel('a', 0, 'c1'), null);
    assert.equal(fp.cancel('a', 0, 'nope'), 'ORDER_NOT_FOUND');
    assert.equal(fp.counters.canceled, 2);
    assert.equal(fp.counters.accepted, 2);
    // orders older than the window are no longer cancellable
    for (let i = 0; i < 5; i++) {
      fp.submit('a', s, { ...order, qty: 1 });
      fp.cancel('a', fp.lastOrderNo, null);
    }
    assert.equal(fp.cancel('a', first, null), 'ORDER_NOT_FOUND');
  });
});
