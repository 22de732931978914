/**
 * The execution loop end to end, with the embedded exchange simulator: a gateway process, real
 * sockets, orders from /orders, /v3/orders and binary TCP, fills back into orders, positions
 * and the TCP session; cancels confirmed by the venue; venue rejects; GTD expiry; and a
 * kill -9 while orders work, then a restart that reconciles them.
 *
 * Conditions are awaited, never timed: `until` polls an API until it holds (or fails after a
 * long bound that only a broken gateway reaches).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SwitchyardClient } from '@switchyard/client';
import { get, post, type RunningGateway, startGateway, token, until } from '../../helpers/gateway.js';

/** A fast walk and thin book: resting orders near the touch fill in several parts. */
const SIM = {
  SOR_VENUES: 'sim',
  VENUE_SIM_SEED: '7',
  VENUE_SIM_LATENCY_US: '50',
  VENUE_SIM_LP_DEPTH: '30',
  VENUE_SIM_LP_LEVELS: '5',
  VENUE_SIM_WALK_STEP_TICKS: '1',
  VENUE_SIM_WALK_INTERVAL_MS: '5',
  V3_LOSS_GAP_TIMEOUT_MS: '60000',
};

function order(over: Record<string, unknown>): Record<string, unknown> {
  return { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', qty: 50, price: 15_000, timeInForce: 'GTC', ...over };
}

/** The order once it satisfies `done`. */
async function orderWhen(gw: RunningGateway, tok: string, id: string, done: (o: any) => boolean): Promise<any> {
  return until(`order ${id}`, async () => {
    const r = await get(gw.base, `/orders/${id}`, tok);
    return r.status === 200 && done(r.json) ? r.json : undefined;
  });
}

const sum = (fills: Array<{ qty: number }>) => fills.reduce((n, f) => n + f.qty, 0);
const TERMINAL = new Set(['FILLED', 'CANCELED', 'REJECTED', 'EXPIRED']);

describe('execution loop with the embedded simulator', () => {
  let gw: RunningGateway;
  let tok: string;
  before(async () => {
    gw = await startGateway(SIM);
    tok = await token('acct-exec');
  });
  after(async () => {
    assert.equal(await gw.stop(), 0);
  });

  it('a crossing /orders order fills completely; its fills, venue and average price are on the order', async () => {
    const r = await post(gw.base, '/orders', tok, order({ price: 15_100, qty: 80, clientOrderId: 'x-cross' }));
    assert.equal(r.status, 202);
    const o = await orderWhen(gw, tok, r.json.orderId, (x) => x.status === 'FILLED');
    assert.equal(o.filledQty, 80);
    assert.equal(o.venue, 'sim');
    assert.equal(sum(o.fills), 80);
    assert.ok(o.avgPx > 14_990 && o.avgPx <= 15_100, String(o.avgPx));
    const ev = await get(gw.base, `/orders/${r.json.orderId}/events`, tok);
    assert.deepEqual(
      ev.json.events.map((e: any) => e.type).filter((t: string, i: number, a: string[]) => a.indexOf(t) === i),
      ['OrderAccepted', 'OrderSent', 'ExecutionReport'],
    );
  });

  it('a resting order fills partially over several reports', async () => {
    const r = await post(gw.base, '/orders', tok, order({ price: 15_000, qty: 200, clientOrderId: 'x-rest' }));
    assert.equal(r.status, 202);
    const o = await orderWhen(gw, tok, r.json.orderId, (x) => x.fills !== undefined && x.fills.length >= 2);
    assert.ok(o.fills.every((f: any) => f.qty > 0 && f.qty <= 200));
    assert.equal(sum(o.fills), o.filledQty);
  });

  it('cancel of a resting order is CANCELED only once the venue confirms it', async () => {
    const r = await post(gw.base, '/orders', tok, order({ price: 13_600, clientOrderId: 'x-cancel' }));
    assert.equal(r.status, 202);
    await orderWhen(gw, tok, r.json.orderId, (x) => x.venue === 'sim');
    const c = await post(gw.base, `/orders/${r.json.orderId}/cancel`, tok, '');
    assert.equal(c.status, 202);
    assert.equal(c.json.status, 'CANCEL_REQUESTED', 'the answer does not claim the venue confirmed');
    const o = await orderWhen(gw, tok, r.json.orderId, (x) => x.status === 'CANCELED');
    assert.equal(o.filledQty, 0);
    const ev = await get(gw.base, `/orders/${r.json.orderId}/events`, tok);
    const types = ev.json.events.map((e: any) => e.type);
    assert.deepEqual(types, ['OrderAccepted', 'OrderSent', 'CancelRequested', 'CancelSent', 'ExecutionReport']);
    assert.equal(ev.json.events[4].data.status, 'CANCELED');
  });

  it('a GTD order expires at the venue', async () => {
    // expireAt must still be in the future when the gateway reads the order: on a machine so
    // loaded that the request takes longer than the margin, try again with a longer one.
    let r = await post(gw.base, '/orders', tok, order({ price: 13_600, timeInForce: 'GTD', expireAt: Date.now() + 400, clientOrderId: 'x-gtd' }));
    for (let margin = 2_000; r.status === 422 && r.json.reason === 'INVALID_EXPIRE_AT' && margin <= 32_000; margin *= 2) {
      r = await post(gw.base, '/orders', tok, order({ price: 13_600, timeInForce: 'GTD', expireAt: Date.now() + margin, clientOrderId: `x-gtd-${margin}` }));
    }
    assert.equal(r.status, 202);
    const o = await orderWhen(gw, tok, r.json.orderId, (x) => x.status === 'EXPIRED');
    assert.equal(o.filledQty, 0);
  });

  it('/v3 orders are routed once durable and readable with their fills', async () => {
    const r = await post(gw.base, '/v3/orders', tok, order({ side: 'SELL', price: 14_900, qty: 40 }));
    assert.equal(r.status, 202);
    const o = await orderWhen(gw, tok, r.json.orderId, (x) => x.status === 'FILLED');
    assert.equal(sum(o.fills), 40);
    assert.equal(o.venue, 'sim');
  });

  it('binary TCP sessions receive execution reports of their orders', async () => {
    const ttok = await token('acct-exec-tcp', { sub: 'tcp-exec' });
    const c = await SwitchyardClient.connect({ host: '127.0.0.1', port: gw.tcpPort, token: ttok });
    try {
      const reports: any[] = [];
      c.on('executionReport', (r) => reports.push(r));
      const ack = await c.newOrder({ symbol: 'AAPL', side: 'BUY', type: 'LIMIT', qty: 25, price: 15_100 });
      assert.equal(ack.status, 'ACK');
      const orderId = (ack as { orderId: number }).orderId;
      await until('a FILLED report', async () => (reports.some((r) => r.orderId === orderId && r.status === 'FILLED') ? true : undefined));
      const mine = reports.filter((r) => r.orderId === orderId);
      assert.equal(mine.reduce((n, r) => n + r.lastQty, 0), 25, 'the fills add up to the order');
      assert.ok(mine.every((r) => r.execType === 'TRADE'));
    } finally {
      await c.close();
    }
  });

  it('positions equal the sum of fills', async () => {
    const ptok = await token('acct-pos');
    const ids: string[] = [];
    for (const [side, qty] of [['BUY', 30], ['BUY', 20], ['SELL', 15]] as const) {
      const r = await post(gw.base, '/orders', ptok, order({ side, qty, price: side === 'BUY' ? 15_100 : 14_900, clientOrderId: `p-${ids.length}` }));
      ids.push(r.json.orderId);
    }
    const done = await Promise.all(ids.map((id) => orderWhen(gw, ptok, id, (x) => TERMINAL.has(x.status))));
    const net = done.reduce((n, o) => n + (o.side === 'BUY' ? 1 : -1) * sum(o.fills), 0);
    assert.equal(net, 35);
    const p = await get(gw.base, '/accounts/acct-pos/positions', ptok);
    assert.deepEqual(p.json.positions.find((x: any) => x.symbol === 'AAPL').net, net);
    assert.equal((await get(gw.base, '/accounts/acct-exec/positions', ptok)).status, 404, 'another account is not visible');
  });
});

describe('execution loop: venue rejects', () => {
  it('an order the venue rejects is REJECTED, and its exposure released', async () => {
    const gw = await startGateway({ ...SIM, VENUE_SIM_REJECT_PCT: '100', V3_RISK_PROFILE: 'medium' });
    try {
      const tok = await token('acct-rej');
      const r = await post(gw.base, '/orders', tok, order({ clientOrderId: 'r-1' }));
      assert.equal(r.status, 202);
      const o = await orderWhen(gw, tok, r.json.orderId, (x) => x.status === 'REJECTED');
      assert.equal(o.filledQty, 0);
      const p = await get(gw.base, '/accounts/acct-rej/positions', tok);
      assert.deepEqual(p.json.positions, [], 'no open exposure left');
    } finally {
      await gw.stop();
    }
  });
});

describe('execution loop: kill -9 and restart', () => {
  it('every fill is applied exactly once, and orders left working are reconciled with the venue', async () => {
    const gw = await startGateway(SIM);
    const dataDir = gw.dataDir;
    const tok = await token('acct-crash');
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      // some cross, some rest near the touch (they fill while we kill), some rest far away
      const price = i % 3 === 0 ? 15_100 : i % 3 === 1 ? 15_000 : 13_600;
      const r = await post(gw.base, '/orders', tok, order({ qty: 60, price, clientOrderId: `k-${i}` }));
      assert.equal(r.status, 202);
      ids.push(r.json.orderId);
    }
    await until('some fills', async () => ((await get(gw.base, `/orders/${ids[0]}`, tok)).json.status === 'FILLED' ? true : undefined));
    await gw.kill();

    const again = await startGateway({ ...SIM, GATEWAY_DATA_DIR: dataDir });
    try {
      // The embedded venue died with the gateway (cancel-on-disconnect): every order still
      // working is asked for its status and ends CANCELED; nothing is left working.
      const final = await Promise.all(ids.map((id) => orderWhen(again, tok, id, (x) => TERMINAL.has(x.status))));
      for (const o of final) {
        const ev = await get(again.base, `/orders/${o.orderId}/events?limit=1000`, tok);
        const reports = ev.json.events.filter((e: any) => e.type === 'ExecutionReport');
        const fills = reports.filter((e: any) => e.data.lastQty > 0);
        assert.equal(fills.reduce((n: number, e: any) => n + e.data.lastQty, 0), o.filledQty, `${o.orderId}: fills add up`);
        assert.equal(new Set(fills.map((e: any) => e.data.execId)).size, fills.length, `${o.orderId}: no fill twice`);
        assert.equal(sum(o.fills), o.filledQty);
      }
      const p = await get(again.base, '/accounts/acct-crash/positions', tok);
      const net = final.reduce((n, o) => n + o.filledQty, 0);
      assert.equal(p.json.positions.find((x: any) => x.symbol === 'AAPL')?.net ?? 0, net, 'positions rebuilt from the journal');
      assert.ok(final.some((o) => o.status === 'CANCELED'), 'far orders were reconciled as cancelled by the venue');
    } finally {
      await again.stop();
    }
  });
});
