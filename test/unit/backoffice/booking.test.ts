import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AppliedKey, planEvent, type Step } from '../../../src/backoffice/domain/booking.js';
import { formatFixed, parseFixed } from '../../../src/backoffice/domain/decimal.js';
import { parseEventId } from '../../../src/backoffice/domain/event-id.js';
import { Replay } from '../../../src/backoffice/domain/reconcile.js';
import { decodeEvent } from '../../../src/backoffice/input/delivery.js';
import { accepted, allStreams, MemoryBooks, mixed, other, partialFills, type Recorded, report, RULES, throughZero } from './fixtures.js';

function keyOf(r: Recorded): AppliedKey {
  return { id: r.id, position: parseEventId(r.id), type: r.event.type, at: r.event.at };
}

async function run(books: MemoryBooks, stream: Recorded[], rules = RULES): Promise<string[]> {
  const outcomes: string[] = [];
  for (const r of stream) {
    const res = await books.apply(keyOf(r), planEvent(r.id, r.event, rules));
    outcomes.push(res.fresh ? res.writes.outcome : 'duplicate');
  }
  return outcomes;
}

const fx = (s: string): bigint => parseFixed(s);

describe('booking rules (no database)', () => {
  it('partial fills: only the increase of cumQty is a fill, at lastPx; fee 1 bps; cash = −notional − fee', async () => {
    const b = new MemoryBooks();
    const outcomes = await run(b, partialFills());
    assert.deepEqual(outcomes, ['booked', 'recorded', 'updated', 'booked', 'booked']);
    assert.deepEqual(
      b.fills.map((f) => [f.qty, formatFixed(f.price), f.notional, formatFixed(f.fee)]),
      [
        [40n, '15000', 600_000n, '60'],
        [60n, '15010', 900_600n, '90.06'],
      ],
    );
    const p = b.positions.get('acct-1|AAPL')!;
    assert.equal(p.netQty, 100n);
    assert.equal(p.cost, fx('1500600'));
    assert.equal(p.realized, 0n);
    assert.equal(p.currency, 'USD');
    const bal = b.balances.get('acct-1|USD')!;
    assert.equal(formatFixed(bal.cash), '-1500750.06');
    assert.equal(formatFixed(bal.fees), '150.06');
    const o = b.orders.get('acct-1|o-1')!;
    assert.equal(o.cumQty, 100n);
    assert.equal(o.qty, 100n);
    assert.equal(o.status, 'FILLED');
    assert.equal(o.clientOrderId, 'c-o-1');
  });

  it('sells through zero: realized P&L on the closed part, a short opened at the fill price, then closed', async () => {
    const b = new MemoryBooks();
    const stream = throughZero();
    await run(b, stream.slice(0, 4));
    let p = b.positions.get('acct-2|BTC')!;
    assert.equal(p.netQty, -15n);
    assert.equal(formatFixed(p.cost), '-136500000'); // short 15 @ 9 100 000
    assert.equal(formatFixed(p.realized), '1000000'); // 10 × (9 100 000 − 9 000 000)
    await run(b, stream.slice(4));
    p = b.positions.get('acct-2|BTC')!;
    assert.equal(p.netQty, 0n);
    assert.equal(p.cost, 0n);
    assert.equal(formatFixed(p.realized), '3250000'); // + 15 × (9 100 000 − 8 950 000)
    const bal = b.balances.get('acct-2|USDT')!;
    // fees: (90 000 000 + 227 500 000 + 134 250 000) × 1 bps = 45 175
    assert.equal(formatFixed(bal.fees), '45175');
    assert.equal(formatFixed(bal.cash), String(3_250_000 - 45_175));
    assert.equal(b.balances.has('acct-2|USD'), false);
  });

  it('two currencies, reports before OrderAccepted, coalesced and stale reports, a cancel', async () => {
    const b = new MemoryBooks();
    const outcomes = await run(b, mixed());
    assert.deepEqual(outcomes, ['booked', 'booked', 'booked', 'stale', 'booked', 'recorded', 'booked', 'recorded', 'updated', 'booked', 'booked']);
    const eth = b.positions.get('acct-3|ETH')!;
    assert.equal(eth.netQty, 5n);
    assert.equal(formatFixed(eth.cost), '1751500');
    assert.equal(eth.currency, 'USDT');
    // the coalesced report: 2 more at 701 500 in all, 350 750 each
    const ethFills = b.fills.filter((f) => f.symbol === 'ETH');
    assert.deepEqual(ethFills.map((f) => [f.qty, f.notional, formatFixed(f.price)]), [
      [3n, 1_050_000n, '350000'],
      [2n, 701_500n, '350750'],
    ]);
    // the order row was created by the report and completed by OrderAccepted
    const o21 = b.orders.get('acct-3|o-21')!;
    assert.equal(o21.qty, 5n);
    assert.equal(o21.price, 351_000n);
    assert.equal(o21.cumQty, 5n);
    assert.equal(o21.bookedNotional, 1_751_500n);
    // fractional average: 3 @ 100.333… → notional rounded to the whole 301 ticks
    const msft = b.fills.find((f) => f.symbol === 'MSFT')!;
    assert.equal(msft.notional, 301n);
    assert.equal(formatFixed(msft.price), '100.33333333');
    assert.equal(b.orders.get('acct-3|o-22')!.status, 'CANCELED');
    assert.equal(b.positions.get('acct-3|AAPL')!.netQty, -4n);
    assert.equal(formatFixed(b.balances.get('acct-3|USDT')!.cash), '-1751675.15');
    assert.equal(formatFixed(b.balances.get('acct-3|USD')!.cash), '60092.9299');
  });

  it('a redelivered event and a replayed stream change nothing', async () => {
    const b = new MemoryBooks();
    const stream = allStreams();
    await run(b, stream);
    const before = JSON.stringify([...b.positions, ...b.balances, b.fills.length, b.ledger.length], (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    const again = await run(b, [stream[3]!, ...stream]);
    assert.ok(again.every((o) => o === 'duplicate'));
    const after = JSON.stringify([...b.positions, ...b.balances, b.fills.length, b.ledger.length], (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    assert.equal(after, before);
  });

  it('fees follow BACKOFFICE_FEE_BPS exactly (fractional bps, zero)', async () => {
    for (const [bps4, fee] of [
      [25_000n, '150'], // 2.5 bps of 600 000
      [1n, '0.006'], // 0.0001 bps
      [0n, '0'],
    ] as const) {
      const b = new MemoryBooks();
      await run(b, partialFills().slice(0, 4), { ...RULES, feeBps4: bps4 });
      assert.equal(formatFixed(b.fills[0]!.fee), fee);
    }
  });

  it('unknown symbols book in the default currency; configured ones in theirs', async () => {
    const b = new MemoryBooks();
    const rules = { ...RULES, currencies: new Map([...RULES.currencies, ['XYZ', 'EUR']]), defaultCurrency: 'CHF' };
    await run(b, [report('g.orders.1', 'a', 'o1', 'XYZ', 'BUY', { cumQty: 1, lastQty: 1, lastPx: 10, avgPx: 10, leavesQty: 0 })], rules);
    await run(b, [report('g.orders.2', 'a', 'o2', 'QQQ', 'SELL', { cumQty: 1, lastQty: 1, lastPx: 10, avgPx: 10, leavesQty: 0 })], rules);
    assert.deepEqual([...b.balances.keys()].sort(), ['a|CHF', 'a|EUR']);
  });

  it('the ledger replays to the same positions and balances', async () => {
    const b = new MemoryBooks();
    await run(b, allStreams());
    const replay = new Replay();
    for (const e of b.ledger) replay.add(e);
    const report = replay.diff([...b.positions.values()], [...b.balances.values()]);
    assert.equal(report.result, 'PASS');
    assert.equal(report.ledgerEntries, b.fills.length);
  });

  it('invalid events are rejected as values, with a reason, and book nothing', async () => {
    const cases: Array<[Recorded['event'] | null, string]> = [
      [null, 'rejected:NOT_JSON'],
      [{ ...accepted('x', 'a', 'o', 'AAPL', 'BUY', 1, 1).event, orderId: null }, 'rejected:MISSING_ORDER_ID'],
      [{ ...accepted('x', 'a', 'o', 'AAPL', 'BUY', 1, 1).event, data: { symbol: 'AAPL', side: 'HOLD', qty: 1, price: 1 } }, 'rejected:BAD_SIDE'],
      [{ ...accepted('x', 'a', 'o', 'AAPL', 'BUY', 1, 1).event, data: { symbol: 'AAPL', side: 'BUY', qty: 1.5, price: 1 } }, 'rejected:BAD_QTY'],
      [{ ...accepted('x', 'a', 'o', 'AAPL', 'BUY', 1, 1).event, accountId: 'has space' }, 'rejected:BAD_ACCOUNT'],
      [{ ...report('x', 'a', 'o', 'AAPL', 'BUY', { cumQty: 1, lastQty: 1, lastPx: 1, avgPx: 1, leavesQty: 0 }).event, data: { symbol: 'AAPL', side: 'BUY', cumQty: -1 } }, 'rejected:BAD_QTY'],
      [{ ...report('x', 'a', 'o', 'AAPL', 'BUY', { cumQty: 1, lastQty: 1, lastPx: 1, avgPx: 1, leavesQty: 0 }).event, data: { symbol: 'AAPL', side: 'BUY', cumQty: 1, lastQty: 1, lastPx: 1.5 } }, 'rejected:BAD_PRICE'],
    ];
    for (const [event, want] of cases) {
      const b = new MemoryBooks();
      const step: Step = planEvent('g.orders.9', event, RULES, event === null ? 'NOT_JSON' : null);
      const r = await b.apply({ id: 'g.orders.9', position: null, type: 'x', at: null }, step);
      assert.ok(r.fresh);
      assert.equal(r.writes.outcome, want);
      assert.equal(b.fills.length + b.positions.size + b.balances.size, 0);
    }
  });

  it('a report whose side or symbol contradicts its order is rejected; an inconsistent avgPx too', async () => {
    const b = new MemoryBooks();
    const outcomes = await run(b, [
      accepted('g.orders.1', 'a', 'o1', 'AAPL', 'BUY', 10, 100),
      report('g.orders.2', 'a', 'o1', 'AAPL', 'SELL', { cumQty: 1, lastQty: 1, lastPx: 100, avgPx: 100, leavesQty: 9 }),
      report('g.orders.3', 'a', 'o1', 'AAPL', 'BUY', { cumQty: 5, lastQty: 5, lastPx: 100, avgPx: 100, leavesQty: 5 }),
      // cum 8, lastQty 1 ≠ increase 3, avgPx says the 8 cost less than the 5 already booked
      report('g.orders.4', 'a', 'o1', 'AAPL', 'BUY', { cumQty: 8, lastQty: 1, lastPx: 100, avgPx: 50, leavesQty: 2 }),
    ]);
    assert.deepEqual(outcomes, ['booked', 'rejected:ORDER_MISMATCH', 'booked', 'rejected:INCONSISTENT_AVG_PX']);
    assert.equal(b.positions.get('a|AAPL')!.netQty, 5n);
  });

  it('decodes bodies into events or rejection codes, never throwing', () => {
    const good = JSON.stringify(accepted('x', 'a', 'o', 'AAPL', 'BUY', 1, 1).event);
    assert.equal(decodeEvent('i', good).problem, null);
    assert.equal(decodeEvent('i', '{').problem, 'NOT_JSON');
    assert.equal(decodeEvent('i', '{"type":"X"}').problem, 'NOT_BUS_EVENT_V1');
    assert.equal(decodeEvent('i', good.replace('c-o', 'c-\\u0000')).problem, 'NUL_CHARACTER');
    assert.equal(decodeEvent('i', good.replace(/"at":"[^"]+"/, '"at":"1969-12-31T23:59:59Z"')).problem, 'BAD_AT');
    assert.equal(decodeEvent('i', good.replace(/"at":"[^"]+"/, '"at":"2026-13-45T00:00:00Z"')).problem, 'BAD_AT');
    assert.equal(decodeEvent('i', good.replace('"OrderAccepted"', '"has space"')).problem, 'BAD_TYPE');
    assert.equal(decodeEvent('i', 'x'.repeat((1 << 20) + 1)).problem, 'TOO_LARGE');
    assert.equal(other('i', 'OrderSent', 'a', 'o').event.type, 'OrderSent');
  });
});
