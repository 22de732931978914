/**
 * Snapshots hold state, not history, end to end: a gateway with the embedded venue takes
 * orders on /orders and /v3 (fills, partial fills, orders resting at the venue, a cancel),
 * snapshots, takes more orders and fills, is killed with SIGKILL and restarted. Every
 * acknowledged order, idempotency answer, position and open venue order is back; fills after
 * the restart apply exactly once; and the records before the snapshot are not read (the
 * recovery reports how many records it replayed, and from which snapshot format).
 *
 * A second test shows the retention: a terminal order past SNAPSHOT_RETAIN_TERMINAL_SEC whose
 * key has expired is not in the snapshot, so the restarted gateway does not hold it.
 *
 * Conditions are awaited, never timed (`until` polls an API until it holds).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { get, metrics, post, type RunningGateway, startGateway, token, until } from '../helpers/gateway.js';

/**
 * The embedded venue, seeded, and its liquidity provider quoting once (no walk, no requote
 * within the test): 100 per level, 5 levels a side. Crossing orders fill at once; a large order
 * takes what the levels hold and rests PARTIALLY_FILLED; orders far away rest untouched.
 */
const SIM = {
  SOR_VENUES: 'sim',
  VENUE_SIM_SEED: '7',
  VENUE_SIM_LATENCY_US: '50',
  VENUE_SIM_LP_DEPTH: '100',
  VENUE_SIM_LP_LEVELS: '5',
  VENUE_SIM_WALK_STEP_TICKS: '0',
  VENUE_SIM_WALK_INTERVAL_MS: '3600000',
  V3_LOSS_GAP_TIMEOUT_MS: '60000',
  SNAPSHOT_EVERY_RECORDS: '25',
};

function order(over: Record<string, unknown>): Record<string, unknown> {
  return { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', qty: 50, price: 15_000, timeInForce: 'GTC', ...over };
}

async function orderWhen(gw: RunningGateway, tok: string, id: string, done: (o: any) => boolean): Promise<any> {
  let last = '';
  return until(`order ${id} (last seen: ${last})`, async () => {
    const r = await get(gw.base, `/orders/${id}`, tok);
    last = `${r.status} ${r.json?.status} ${r.json?.filledQty}`;
    return r.status === 200 && done(r.json) ? r.json : undefined;
  }).catch((err: Error) => {
    throw new Error(`${err.message}; last seen ${last}`);
  });
}

const TERMINAL = new Set(['FILLED', 'CANCELED', 'REJECTED', 'EXPIRED']);
const signed = (o: any) => (o.side === 'SELL' ? -o.filledQty : o.filledQty);
/** Net filled quantity per symbol of a set of orders. */
function nets(orders: any[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of orders) if (o.filledQty > 0) out[o.symbol] = (out[o.symbol] ?? 0) + signed(o);
  return out;
}
const fillsOf = (o: any) => (o.fills ?? []).map((f: any) => `${f.execId}:${f.qty}`).sort();

/** The "durable path recovered" line of a start. */
function recoveredLine(gw: RunningGateway): any {
  const line = gw.output.find((l) => l.includes('"msg":"durable path recovered"'));
  assert.ok(line !== undefined, 'the start logs its recovery');
  return JSON.parse(line);
}

describe('snapshots hold state: kill -9 and restart', () => {
  it('brings back every order, key answer, position and open venue order without reading the records before the snapshot', async () => {
    const gw = await startGateway(SIM);
    const tok = await token('acct-snap');
    const ids = new Map<string, string>();
    const bodies = new Map<string, Record<string, unknown>>();
    const durable = async (name: string, over: Record<string, unknown>) => {
      const body = order({ clientOrderId: name, ...over });
      const r = await post(gw.base, '/orders', tok, body, { 'Idempotency-Key': `key-${name}` });
      assert.equal(r.status, 202, name);
      ids.set(name, r.json.orderId);
      bodies.set(name, body);
      return r.json;
    };
    const fast = async (name: string, over: Record<string, unknown>) => {
      const r = await post(gw.base, '/v3/orders', tok, order(over));
      assert.equal(r.status, 202, name);
      ids.set(name, String(r.json.orderId));
    };
    // Before the snapshot: fills, partial fills, resting orders, a cancel, on both paths.
    const acks = new Map<string, any>();
    for (const i of [0, 1]) acks.set(`fill-${i}`, await durable(`fill-${i}`, { qty: 60, price: 15_100 }));
    for (const i of [0, 1]) await durable(`rest-${i}`, { price: 13_600 });
    await durable('part', { symbol: 'NVDA', qty: 10_000, price: 14_010 });
    await durable('cxl', { price: 13_700 });
    await fast('v3-fill', { side: 'SELL', price: 14_900, qty: 40 });
    await fast('v3-part', { symbol: 'MSFT', side: 'SELL', price: 41_990, qty: 10_000 });
    for (const i of [0, 1]) await fast(`v3-rest-${i}`, { price: 13_600, qty: 20 });
    for (const n of ['fill-0', 'fill-1', 'v3-fill']) await orderWhen(gw, tok, ids.get(n)!, (o) => o.status === 'FILLED');
    for (const n of ['part', 'v3-part']) await orderWhen(gw, tok, ids.get(n)!, (o) => o.status === 'PARTIALLY_FILLED');
    for (const n of ['rest-0', 'rest-1', 'v3-rest-0', 'v3-rest-1']) await orderWhen(gw, tok, ids.get(n)!, (o) => o.status === 'ACCEPTED' && o.venue === 'sim');
    assert.equal((await post(gw.base, `/orders/${ids.get('cxl')}/cancel`, tok, '')).status, 202);
    await orderWhen(gw, tok, ids.get('cxl')!, (o) => o.status === 'CANCELED');

    // A snapshot that covers all of it (the filler orders rest far away and add records).
    const covered = (await metrics(gw.base)).get('gateway_wal_durable_seq')!;
    let fillers = 0;
    await until('a snapshot covering the first orders', async () => {
      if ((await metrics(gw.base)).get('gateway_snapshot_last_seq')! >= covered) return true;
      await durable(`filler-${fillers++}`, { price: 13_600, qty: 1 });
      return undefined;
    });

    // After the snapshot: more orders and fills on both paths.
    await durable('after-fill', { qty: 30, price: 15_100 });
    await durable('after-rest', { price: 13_600 });
    await fast('after-v3-fill', { side: 'SELL', price: 14_900, qty: 25 });
    await fast('after-v3-rest', { price: 13_600, qty: 15 });
    for (const n of ['after-fill', 'after-v3-fill']) await orderWhen(gw, tok, ids.get(n)!, (o) => o.status === 'FILLED');
    for (const n of ['after-rest', 'after-v3-rest']) await orderWhen(gw, tok, ids.get(n)!, (o) => o.status === 'ACCEPTED' && o.venue === 'sim');

    const before = new Map<string, any>();
    for (const [n, id] of ids) before.set(n, (await get(gw.base, `/orders/${id}`, tok)).json);
    const lastSeq = (await metrics(gw.base)).get('gateway_wal_durable_seq')!;
    await gw.kill();

    const again = await startGateway({ ...SIM, GATEWAY_DATA_DIR: gw.dataDir, LOG_LEVEL: 'info' });
    try {
      // Recovery: from a state snapshot, only the records after it.
      const rec = recoveredLine(again);
      assert.equal(rec.snapshotFormat, 2);
      assert.ok(rec.snapshotSeq >= covered, `snapshot seq ${rec.snapshotSeq} covers ${covered}`);
      assert.ok(rec.lastSeq >= lastSeq, 'nothing acknowledged is missing from the journal');
      assert.equal(rec.replayedRecords, rec.lastSeq - rec.snapshotSeq, 'records before the snapshot are not read');
      assert.ok(rec.replayedRecords < rec.snapshotSeq, `${rec.replayedRecords} records replayed of ${rec.lastSeq}`);
      const m = await metrics(again.base);
      assert.equal(m.get('gateway_recovery_records'), rec.replayedRecords);
      assert.equal(m.get('gateway_recovery_snapshot_format'), 2);

      // Every acknowledged order is back. Those left working are reconciled with the venue,
      // which died with the gateway (cancel-on-disconnect): they end CANCELED, their fills kept.
      for (const [n, id] of ids) {
        const was = before.get(n);
        const o = await orderWhen(again, tok, id, (x) => TERMINAL.has(x.status));
        if (TERMINAL.has(was.status)) {
          assert.deepEqual([o.status, o.filledQty, fillsOf(o)], [was.status, was.filledQty, fillsOf(was)], `${n}: as it was`);
        } else {
          assert.equal(o.status, 'CANCELED', `${n}: reconciled`);
          assert.ok(o.filledQty >= was.filledQty, `${n}: fills kept (${was.filledQty} → ${o.filledQty})`);
          assert.ok(fillsOf(was).every((f: string) => fillsOf(o).includes(f)), `${n}: the same fills`);
        }
        assert.equal(new Set(fillsOf(o)).size, fillsOf(o).length, `${n}: no fill twice`);
        assert.equal((o.fills ?? []).reduce((s: number, f: any) => s + f.qty, 0), o.filledQty, `${n}: fills add up`);
      }
      assert.ok(before.get('part').filledQty > 0 && before.get('v3-part').filledQty > 0, 'partially filled orders on both paths');

      // Idempotency: a key from before the snapshot gets its original answer.
      const replay = await post(again.base, '/orders', tok, bodies.get('fill-0'), { 'Idempotency-Key': 'key-fill-0' });
      assert.equal(replay.status, 202);
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(replay.json, acks.get('fill-0'));
      const conflict = await post(again.base, '/orders', tok, { ...bodies.get('fill-0'), qty: 61 }, { 'Idempotency-Key': 'key-fill-0' });
      assert.equal(conflict.status, 409);

      // Fills after the restart apply once; the position is the sum of every fill, before and after.
      const late = await post(again.base, '/orders', tok, order({ clientOrderId: 'late', qty: 35, price: 15_100 }));
      assert.equal(late.status, 202);
      await orderWhen(again, tok, late.json.orderId, (o) => o.status === 'FILLED');
      const all = [(await get(again.base, `/orders/${late.json.orderId}`, tok)).json];
      for (const id of ids.values()) all.push((await get(again.base, `/orders/${id}`, tok)).json);
      const p = await get(again.base, '/accounts/acct-snap/positions', tok);
      const held: Record<string, number> = {};
      for (const x of p.json.positions) if (x.net !== 0) held[x.symbol] = x.net;
      assert.deepEqual(held, nets(all), 'positions: every fill exactly once, on both paths');
      assert.deepEqual(Object.keys(held).sort(), ['AAPL', 'MSFT', 'NVDA']);
    } finally {
      await again.stop();
    }
  });
});

describe('snapshots hold state: retention', () => {
  it('a terminal order past SNAPSHOT_RETAIN_TERMINAL_SEC with an expired key is not kept; working orders are', async () => {
    const env = { SNAPSHOT_EVERY_RECORDS: '10', SNAPSHOT_RETAIN_TERMINAL_SEC: '0', IDEMPOTENCY_TTL_SEC: '1' };
    const gw = await startGateway(env);
    const tok = await token('acct-ret');
    const old = await post(gw.base, '/orders', tok, order({ clientOrderId: 'old' }));
    assert.equal(old.status, 202);
    assert.equal((await post(gw.base, `/orders/${old.json.orderId}/cancel`, tok, '')).status, 202);
    const keep = await post(gw.base, '/orders', tok, order({ clientOrderId: 'keep' }));
    // The retention is a time: wait until the old order's key has expired (TTL 1 s).
    const acceptedAt = (await get(gw.base, `/orders/${old.json.orderId}`, tok)).json.acceptedAt as number;
    await until('the key TTL to pass', async () => (Date.now() > acceptedAt + 1500 ? true : undefined));
    const from = (await metrics(gw.base)).get('gateway_snapshots_total')!;
    for (let i = 0; i < 12; i++) assert.equal((await post(gw.base, '/orders', tok, order({ clientOrderId: `f-${i}` }))).status, 202);
    await until('a snapshot', async () => ((await metrics(gw.base)).get('gateway_snapshots_total')! > from ? true : undefined));
    const snapOrders = (await metrics(gw.base)).get('gateway_snapshot_last_orders')!;
    await gw.kill();

    const again = await startGateway({ ...env, GATEWAY_DATA_DIR: gw.dataDir });
    try {
      const m = await metrics(again.base);
      assert.equal(m.get('gateway_recovery_snapshot_format'), 2);
      assert.ok(snapOrders <= 13, `the snapshot held the working orders only (${snapOrders})`);
      assert.equal((await get(again.base, `/orders/${old.json.orderId}`, tok)).status, 404, 'left out of the snapshot: not held after the restart');
      assert.equal((await get(again.base, `/orders/${keep.json.orderId}`, tok)).json.status, 'ACCEPTED');
      // Its key expired: the same request is a new order.
      const retry = await post(again.base, '/orders', tok, order({ clientOrderId: 'old' }));
      assert.equal(retry.status, 202);
      assert.notEqual(retry.json.orderId, old.json.orderId);
      assert.equal(retry.headers.get('idempotent-replayed'), null);
    } finally {
      await again.stop();
    }
  });
});
