/**
 * The durable /orders path over real sockets: acknowledgement, idempotency, cancels, reads,
 * events, account isolation, kill switch, audit routes.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { get, metrics, ORDER, post, type RunningGateway, startGateway, token } from '../helpers/gateway.js';

describe('durable /orders', () => {
  let gw: RunningGateway;
  let tok: string;
  let other: string;
  let admin: string;
  before(async () => {
    gw = await startGateway({ AUDIT_HMAC_KEYS: 'k1:integration-secret', V3_RISK_PROFILE: 'medium' });
    tok = await token('acct-1');
    other = await token('acct-2');
    admin = await token('ops', { roles: ['admin'] });
  });
  after(async () => {
    assert.equal(await gw.stop(), 0, 'graceful shutdown exits 0');
    rmSync(gw.dataDir, { recursive: true, force: true });
  });

  it('acknowledges 202 ACCEPTED with orderId, clientOrderId, acceptSeq, requestId', async () => {
    const a = await post(gw.base, '/orders', tok, { ...ORDER, clientOrderId: 'ack-1' }, { 'idempotency-key': 'ack-key-1' });
    assert.equal(a.status, 202, a.text);
    assert.deepEqual(Object.keys(a.json), ['orderId', 'clientOrderId', 'status', 'acceptSeq', 'requestId']);
    assert.equal(a.json.status, 'ACCEPTED');
    assert.equal(a.json.clientOrderId, 'ack-1');
    assert.match(a.json.orderId, /^ord_[0-9a-z]+_\d+$/);
    assert.ok(Number.isInteger(a.json.acceptSeq) && a.json.acceptSeq > 0);
    assert.equal(a.json.requestId, `req_${a.json.acceptSeq}`);
    // clientOrderId alone is a key too; without it the body says null.
    const b = await post(gw.base, '/orders', tok, { ...ORDER, clientOrderId: 'ack-2' });
    assert.equal(b.status, 202);
    assert.equal(b.json.acceptSeq, a.json.acceptSeq + 1);
    const c = await post(gw.base, '/orders', tok, ORDER, { 'idempotency-key': 'ack-key-3' });
    assert.equal(c.status, 202);
    assert.equal(c.json.clientOrderId, null);
  });

  it('needs an Idempotency-Key or a clientOrderId', async () => {
    const r = await post(gw.base, '/orders', tok, ORDER);
    assert.equal(r.status, 400);
    assert.equal(r.json.reason, 'IDEMPOTENCY_REQUIRED');
    const blank = await post(gw.base, '/orders', tok, ORDER, { 'idempotency-key': '   ' });
    assert.equal(blank.json.reason, 'IDEMPOTENCY_REQUIRED', 'a blank header is no key');
    const long = await post(gw.base, '/orders', tok, ORDER, { 'idempotency-key': 'x'.repeat(129) });
    assert.equal(long.status, 400);
    assert.equal(long.json.reason, 'INVALID_IDEMPOTENCY_KEY');
  });

  it('replays the original answer for the same key and body; 409 for another body; keys are per account', async () => {
    const body = { ...ORDER, clientOrderId: 'rep-1' };
    const first = await post(gw.base, '/orders', tok, body, { 'idempotency-key': 'rep-key' });
    assert.equal(first.status, 202);
    const again = await post(gw.base, '/orders', tok, body, { 'idempotency-key': 'rep-key' });
    assert.equal(again.status, 202);
    assert.equal(again.text, first.text, 'byte-identical answer');
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    const spaced = await post(gw.base, '/orders', tok, JSON.stringify(body, null, 2), { 'idempotency-key': ' rep-key ' });
    assert.equal(spaced.text, first.text, 'same order in other JSON formatting, key trimmed');
    const conflict = await post(gw.base, '/orders', tok, { ...body, qty: 101 }, { 'idempotency-key': 'rep-key' });
    assert.equal(conflict.status, 409);
    assert.equal(conflict.json.reason, 'IDEMPOTENCY_KEY_REUSED');
    const elsewhere = await post(gw.base, '/orders', other, body, { 'idempotency-key': 'rep-key' });
    assert.equal(elsewhere.status, 202);
    assert.notEqual(elsewhere.json.orderId, first.json.orderId);
  });

  it('concurrent duplicates create one order', async () => {
    const body = { ...ORDER, clientOrderId: 'conc-1' };
    const before = await metrics(gw.base);
    const answers = await Promise.all(Array.from({ length: 16 }, () => post(gw.base, '/orders', tok, body, { 'idempotency-key': 'conc-key' })));
    for (const a of answers) assert.equal(a.status, 202, a.text);
    assert.equal(new Set(answers.map((a) => a.json.orderId)).size, 1);
    assert.equal(new Set(answers.map((a) => a.text)).size, 1);
    const after = await metrics(gw.base);
    assert.equal(after.get('gateway_idempotency_creates_total')! - before.get('gateway_idempotency_creates_total')!, 1);
    assert.equal(after.get('gateway_idempotency_hits_total')! - before.get('gateway_idempotency_hits_total')!, 15);
  });

  it('rejects are not remembered: a retry with the same key is evaluated anew', async () => {
    const bad = await post(gw.base, '/orders', tok, { ...ORDER, price: 30_000, clientOrderId: 'rej-1' });
    assert.equal(bad.status, 422);
    assert.equal(bad.json.reason, 'PRICE_COLLAR');
    const bad2 = await post(gw.base, '/orders', tok, { ...ORDER, price: 30_000, clientOrderId: 'rej-1' });
    assert.equal(bad2.json.reason, 'PRICE_COLLAR');
    const good = await post(gw.base, '/orders', tok, { ...ORDER, clientOrderId: 'rej-1' });
    assert.equal(good.status, 202);
    assert.equal((await get(gw.base, '/orders/client/rej-1', tok)).json.orderId, good.json.orderId);
  });

  it('applies the contract and risk checks with the /v3 reason codes', async () => {
    const cases: Array<[unknown, number, string]> = [
      ['{"symbol":', 400, 'INVALID_JSON'],
      [{ ...ORDER, accountId: 'x', clientOrderId: 'v1' }, 400, 'UNKNOWN_FIELD'],
      [{ ...ORDER, side: 'HOLD', clientOrderId: 'v2' }, 422, 'INVALID_SIDE'],
      [{ ...ORDER, symbol: 'NOPE', clientOrderId: 'v3' }, 422, 'INVALID_SYMBOL'],
      [{ ...ORDER, qty: 10_001, clientOrderId: 'v4' }, 422, 'INVALID_QTY'],
      [{ ...ORDER, timeInForce: 'GTD', clientOrderId: 'v5' }, 422, 'INVALID_EXPIRE_AT'],
    ];
    for (const [body, status, reason] of cases) {
      const r = await post(gw.base, '/orders', tok, body, { 'idempotency-key': `bad-${reason}` });
      assert.equal(r.status, status, `${reason}: ${r.text}`);
      assert.equal(r.json.reason, reason);
    }
    const media = await post(gw.base, '/orders', tok, ORDER, { 'content-type': 'text/plain', 'idempotency-key': 'bad-media' });
    assert.equal(media.status, 415);
    assert.equal((await post(gw.base, '/orders', undefined, ORDER, { 'idempotency-key': 'k' })).status, 401);
    const dup = await post(gw.base, '/orders', tok, { ...ORDER, clientOrderId: 'ack-1' }, { 'idempotency-key': 'another-key' });
    assert.equal(dup.status, 422, 'clientOrderId of an open order under another key');
    assert.equal(dup.json.reason, 'DUPLICATE_CLIENT_ORDER_ID');
  });

  it('reads the caller’s orders by id and by clientOrderId; another account gets 404', async () => {
    const a = await post(gw.base, '/orders', tok, { ...ORDER, qty: 7, clientOrderId: 'read-1' });
    const byId = await get(gw.base, `/orders/${a.json.orderId}`, tok);
    assert.equal(byId.status, 200);
    assert.deepEqual(byId.json, {
      orderId: a.json.orderId,
      accountId: 'acct-1',
      clientOrderId: 'read-1',
      symbol: 'AAPL',
      side: 'BUY',
      type: 'LIMIT',
      qty: 7,
      price: 15000,
      timeInForce: 'GTC',
      expireAt: null,
      status: 'ACCEPTED',
      filledQty: 0,
      acceptedAt: byId.json.acceptedAt,
      lastUpdateAt: byId.json.acceptedAt,
      acceptSeq: a.json.acceptSeq,
    });
    assert.deepEqual((await get(gw.base, '/orders/client/read-1', tok)).json, byId.json);
    for (const path of [`/orders/${a.json.orderId}`, '/orders/client/read-1', `/orders/${a.json.orderId}/events`, '/accounts/acct-1/events']) {
      const r = await get(gw.base, path, other);
      assert.deepEqual([r.status, r.json], [404, { error: 'NOT_FOUND' }], path);
    }
    const x = await post(gw.base, `/orders/${a.json.orderId}/cancel`, other, '');
    assert.deepEqual([x.status, x.json], [404, { error: 'NOT_FOUND' }]);
    assert.equal((await get(gw.base, `/orders/${a.json.orderId}`, tok)).json.status, 'ACCEPTED', 'untouched');
    assert.deepEqual((await get(gw.base, '/orders/ord_nope_1', tok)).json, { error: 'NOT_FOUND' });
    assert.equal((await get(gw.base, `/orders/${a.json.orderId}`)).status, 401);
  });

  it('cancel: 202 once journaled (CANCELED: no venue is attached), then 409 ORDER_FINAL', async () => {
    const a = await post(gw.base, '/orders', tok, { ...ORDER, clientOrderId: 'can-1' });
    const c = await post(gw.base, `/orders/${a.json.orderId}/cancel`, tok, '');
    assert.equal(c.status, 202, c.text);
    assert.deepEqual(c.json, { orderId: a.json.orderId, clientOrderId: 'can-1', status: 'CANCELED' });
    const again = await post(gw.base, `/orders/${a.json.orderId}/cancel`, tok, '');
    assert.equal(again.status, 409);
    assert.equal(again.json.reason, 'ORDER_FINAL');
    assert.equal(again.json.orderStatus, 'CANCELED');
    assert.equal((await get(gw.base, `/orders/${a.json.orderId}`, tok)).json.status, 'CANCELED');
    // The clientOrderId is free again; the lookup finds the newest order.
    const b = await post(gw.base, '/orders', tok, { ...ORDER, clientOrderId: 'can-1' }, { 'idempotency-key': 'can-1-again' });
    assert.equal(b.status, 202);
    assert.equal((await get(gw.base, '/orders/client/can-1', tok)).json.orderId, b.json.orderId);
    assert.equal((await get(gw.base, `/orders/${a.json.orderId}/cancel`, tok)).status, 405);
  });

  it('serves order and account events (limit, since, after), in journal order', async () => {
    const t = await token('acct-ev');
    const a = await post(gw.base, '/orders', t, { ...ORDER, clientOrderId: 'ev-1' });
    await post(gw.base, `/orders/${a.json.orderId}/cancel`, t, '');
    const b = await post(gw.base, '/orders', t, { ...ORDER, clientOrderId: 'ev-2' });
    const oe = await get(gw.base, `/orders/${a.json.orderId}/events`, t);
    assert.equal(oe.status, 200);
    assert.equal(oe.json.orderId, a.json.orderId);
    assert.equal(oe.json.accountId, null);
    assert.deepEqual(oe.json.events.map((e: any) => e.type), ['OrderAccepted', 'CancelRequested', 'OrderUpdated']);
    const acc = oe.json.events[0];
    assert.deepEqual(Object.keys(acc), ['type', 'at', 'accountId', 'orderId', 'data']);
    assert.deepEqual(acc.data, { acceptSeq: a.json.acceptSeq, clientOrderId: 'ev-1', expireAt: null, idempotencyKey: 'ev-1', price: 15000, qty: 100, side: 'BUY', symbol: 'AAPL', timeInForce: 'GTC', type: 'LIMIT' });
    assert.deepEqual(oe.json.events[2].data, { filledQty: 0, reason: 'CLIENT_CANCEL', status: 'CANCELED' });
    const all = await get(gw.base, '/accounts/acct-ev/events', t);
    assert.deepEqual([all.json.orderId, all.json.accountId], [null, 'acct-ev']);
    assert.deepEqual(all.json.events.map((e: any) => [e.type, e.orderId]), [
      ['OrderAccepted', a.json.orderId],
      ['CancelRequested', a.json.orderId],
      ['OrderUpdated', a.json.orderId],
      ['OrderAccepted', b.json.orderId],
    ]);
    const last2 = await get(gw.base, '/accounts/acct-ev/events?limit=2', t);
    assert.deepEqual(last2.json.events.map((e: any) => e.type), ['OrderUpdated', 'OrderAccepted']);
    const lastAt = all.json.events[3].at;
    assert.equal((await get(gw.base, `/accounts/acct-ev/events?since=${lastAt}`, t)).json.events.length >= 1, true);
    assert.equal((await get(gw.base, `/accounts/acct-ev/events?after=${lastAt}`, t)).json.events.length, 0);
    assert.equal((await get(gw.base, `/accounts/acct-ev/events?since=${new Date(lastAt + 1).toISOString()}`, t)).json.events.length, 0);
    assert.equal((await get(gw.base, '/accounts/acct-ev/events?since=0', t)).json.events.length, 4);
    const bad = await get(gw.base, '/accounts/acct-ev/events?since=yesterday', t);
    assert.deepEqual([bad.status, bad.json.reason], [400, 'INVALID_QUERY']);
  });

  it('respects the global and account kill switches for new orders, never for cancels', async () => {
    const t = await token('acct-kill');
    const a = await post(gw.base, '/orders', t, { ...ORDER, clientOrderId: 'kill-1' });
    assert.equal(a.status, 202);
    const kill = await post(gw.base, '/admin/kill', admin, { scope: 'account', accountId: 'acct-kill' });
    assert.equal(kill.status, 200);
    try {
      const r = await post(gw.base, '/orders', t, { ...ORDER, clientOrderId: 'kill-2' });
      assert.deepEqual([r.status, r.json.status, r.json.reason], [503, 'KILLED', 'V3_ACCOUNT_KILLED']);
      const replay = await post(gw.base, '/orders', t, { ...ORDER, clientOrderId: 'kill-1' });
      assert.equal(replay.status, 202, 'a replay of an acknowledged order is still answered');
      const c = await post(gw.base, `/orders/${a.json.orderId}/cancel`, t, '');
      assert.equal(c.status, 202, 'cancels pass the kill switch');
    } finally {
      await post(gw.base, '/admin/resume', admin, { scope: 'account', accountId: 'acct-kill' });
    }
    await post(gw.base, '/admin/kill', admin, { scope: 'global' });
    try {
      const r = await post(gw.base, '/orders', t, { ...ORDER, clientOrderId: 'kill-3' });
      assert.deepEqual([r.status, r.json.reason], [503, 'V3_GLOBAL_KILLED']);
    } finally {
      await post(gw.base, '/admin/resume', admin, { scope: 'global' });
    }
    assert.equal((await post(gw.base, '/orders', t, { ...ORDER, clientOrderId: 'kill-3' })).status, 202);
  });

  it('GET /audit/verify and /audit/anchor (any authenticated account)', async () => {
    const v = await get(gw.base, '/audit/verify', other);
    assert.equal(v.status, 200);
    assert.equal(v.json.ok, true, v.text);
    assert.equal(v.json.error, null);
    assert.ok(v.json.checked > 10);
    const anchor = await get(gw.base, '/audit/anchor', other);
    assert.equal(anchor.status, 200);
    assert.deepEqual(Object.keys(anchor.json), ['seq', 'at', 'keyId', 'hash']);
    assert.equal(anchor.json.keyId, 'k1');
    assert.equal(anchor.json.seq, v.json.lastSeq);
    assert.equal(Buffer.from(anchor.json.hash, 'base64').length, 32);
    const part = await get(gw.base, '/audit/verify?fromSeq=3&limit=2', other);
    assert.deepEqual([part.json.ok, part.json.checked, part.json.lastSeq], [true, 2, 4]);
    assert.equal((await get(gw.base, '/audit/verify?fromSeq=abc', other)).status, 400);
    assert.equal((await get(gw.base, '/audit/anchor')).status, 401);
  });

  it('exports the durable metrics', async () => {
    const m = await metrics(gw.base);
    for (const name of [
      'gateway_durable_ack_p50_us',
      'gateway_durable_ack_p99_us',
      'gateway_durable_ack_p999_us',
      'gateway_fdatasync_p50_us',
      'gateway_fdatasync_p99_us',
      'gateway_fdatasync_p999_us',
      'gateway_wal_batch_records_p50',
      'gateway_wal_batch_records_p99',
      'gateway_wal_bytes',
      'gateway_wal_age_ms',
      'gateway_idempotency_checked_total',
      'gateway_idempotency_expired_total',
      'gateway_inflight',
      'gateway_recovery_ms',
      'gateway_recovery_records',
      'gateway_backpressure_inflight_total',
      'gateway_backpressure_wal_age_total',
      'gateway_backpressure_wal_bytes_total',
    ]) {
      assert.ok(m.has(name), name);
    }
    assert.ok(m.get('gateway_durable_ack_p99_us')! > 0);
    assert.ok(m.get('gateway_fdatasync_p50_us')! > 0, 'fdatasync is on by default');
    assert.equal(m.get('gateway_inflight'), 0);
    assert.ok(m.get('gateway_orders{status="CANCELED"}')! >= 2);
    assert.ok(m.get('gateway_orders_reject_total{reason="IDEMPOTENCY_KEY_REUSED"}')! >= 1);
  });
});

describe('durable /orders with AUDIT_FDATASYNC=0 (benchmark mode)', () => {
  it('says so in the acknowledgement', async () => {
    const gw = await startGateway({ AUDIT_FDATASYNC: '0' });
    try {
      const a = await post(gw.base, '/orders', await token('a'), { ...ORDER, clientOrderId: 'nf-1' });
      assert.equal(a.status, 202);
      assert.equal(a.json.durable, false);
      assert.equal((await metrics(gw.base)).get('gateway_wal_fdatasync_enabled'), 0);
    } finally {
      await gw.stop();
      rmSync(gw.dataDir, { recursive: true, force: true });
    }
  });
});
