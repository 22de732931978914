import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'node:http';
import { get, metrics, ORDER, post, type RunningGateway, startGateway, token } from '../helpers/gateway.js';

describe('POST /v3/orders (drain running)', () => {
  let gw: RunningGateway;
  let tok: string;
  before(async () => {
    gw = await startGateway();
    tok = await token('acct-1', { sub: 'strat-1' });
  });
  after(async () => {
    assert.equal(await gw.stop(), 0, 'graceful shutdown exits 0');
  });

  it('acknowledges VOLATILE_ACCEPT with session sequence numbers', async () => {
    const a = await post(gw.base, '/v3/orders', tok, { ...ORDER, clientOrderId: 'c-1' });
    assert.equal(a.status, 202);
    assert.equal(a.json.status, 'VOLATILE_ACCEPT');
    assert.equal(a.json.sessionId, 'strat-1');
    assert.equal(a.json.sessionSeq, 1);
    assert.equal(typeof a.json.orderId, 'string');
    assert.ok(Number.isInteger(a.json.receivedAtNs) && a.json.receivedAtNs > 0);
    const b = await post(gw.base, '/v3/orders', tok, ORDER);
    assert.equal(b.json.sessionSeq, 2);
    assert.notEqual(b.json.orderId, a.json.orderId);
  });

  it("carries the original's fields: attemptId on a 202, sessionId and receivedAtNs on rejects", async () => {
    const a = await post(gw.base, '/v3/orders', tok, ORDER);
    assert.deepEqual(Object.keys(a.json), ['status', 'sessionId', 'sessionSeq', 'attemptId', 'orderId', 'receivedAtNs']);
    assert.equal(a.json.attemptId, `att_${a.json.sessionSeq}`);
    const risk = await post(gw.base, '/v3/orders', tok, { ...ORDER, symbol: 'ZZZ' });
    assert.equal(risk.status, 422);
    assert.deepEqual(Object.keys(risk.json), ['status', 'reason', 'message', 'sessionId', 'receivedAtNs']);
    assert.deepEqual([risk.json.status, risk.json.reason, risk.json.sessionId], ['REJECTED', 'INVALID_SYMBOL', 'strat-1']);
    assert.ok(Number.isInteger(risk.json.receivedAtNs) && risk.json.receivedAtNs >= a.json.receivedAtNs);
    const contract = await post(gw.base, '/v3/orders', tok, { ...ORDER, qty: 0 });
    assert.equal(contract.json.sessionId, 'strat-1');
    assert.ok(Number.isInteger(contract.json.receivedAtNs));
  });

  it('answers a replayed Idempotency-Key with the original answer, and 409 for another body', async () => {
    const first = await post(gw.base, '/v3/orders', tok, ORDER, { 'idempotency-key': 'k-1' });
    assert.equal(first.status, 202);
    const again = await post(gw.base, '/v3/orders', tok, ORDER, { 'idempotency-key': 'k-1' });
    assert.equal(again.status, 202);
    assert.equal(again.text, first.text);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    const other = await post(gw.base, '/v3/orders', tok, { ...ORDER, qty: 5 }, { 'idempotency-key': 'k-1' });
    assert.equal(other.status, 409);
    assert.equal(other.json.reason, 'IDEMPOTENCY_KEY_REUSED');
    // keys are per account
    const elsewhere = await post(gw.base, '/v3/orders', await token('acct-2'), ORDER, { 'idempotency-key': 'k-1' });
    assert.equal(elsewhere.status, 202);
    assert.notEqual(elsewhere.json.orderId, first.json.orderId);
  });

  it('refuses missing, forged, expired and unsigned tokens with 401', async () => {
    const none = await post(gw.base, '/v3/orders', undefined, ORDER);
    assert.deepEqual([none.status, none.json], [401, { error: 'MissingBearerToken' }]);
    const forged = tok.slice(0, -4) + (tok.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    assert.deepEqual((await post(gw.base, '/v3/orders', forged, ORDER)).json, { error: 'InvalidJwtSignature' });
    const expired = await token('acct-1', { ttlSec: -120 });
    assert.deepEqual((await post(gw.base, '/v3/orders', expired, ORDER)).json, { error: 'TokenExpired' });
    const [h, p] = tok.split('.');
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`;
    assert.ok(h);
    assert.deepEqual((await post(gw.base, '/v3/orders', unsigned, ORDER)).json, { error: 'UnsupportedAlg' });
  });

  it('answers bad input with 4xx reasons and changes no state', async () => {
    const t = await token('acct-bad', { sub: 'sess-bad' });
    const before = await metrics(gw.base);
    const cases: Array<[string | object, Record<string, string>, number, string]> = [
      ['{"symbol":', {}, 400, 'INVALID_JSON'],
      ['[]', {}, 400, 'INVALID_JSON'],
      [{ ...ORDER, accountId: 'someone-else' }, {}, 400, 'UNKNOWN_FIELD'],
      [{ side: 'BUY' }, {}, 400, 'MISSING_FIELD'],
      [{ ...ORDER, qty: '100' }, {}, 422, 'INVALID_QTY'],
      [{ ...ORDER, side: 'HOLD' }, {}, 422, 'INVALID_SIDE'],
      [{ ...ORDER, type: 'LIMIT', price: null }, {}, 422, 'INVALID_PRICE'],
      [{ ...ORDER, timeInForce: 'GTD' }, {}, 422, 'INVALID_EXPIRE_AT'],
      [{ ...ORDER, symbol: 'NOPE' }, {}, 422, 'INVALID_SYMBOL'],
      [{ ...ORDER, qty: 10_001 }, {}, 422, 'INVALID_QTY'],
      [{ ...ORDER, price: 30_000 }, {}, 422, 'PRICE_COLLAR'],
      [{ ...ORDER, symbol: 'BTC', qty: 200, price: 9_000_000 }, {}, 422, 'RISK_REJECT'],
      [ORDER, { 'content-type': 'text/plain' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [JSON.stringify({ ...ORDER, clientOrderId: 'x'.repeat(20_000) }), {}, 413, 'PAYLOAD_TOO_LARGE'],
    ];
    for (const [body, headers, status, reason] of cases) {
      const r = await post(gw.base, '/v3/orders', t, body, headers);
      assert.equal(r.status, status, `${reason}: ${r.text}`);
      assert.equal(r.json.status, 'REJECTED');
      assert.equal(r.json.reason, reason);
      assert.equal(typeof r.json.message, 'string');
    }
    // a chunked body (no content-length) over the limit is refused too
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(`${gw.base}/v3/orders`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t}` } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      for (let i = 0; i < 40; i++) req.write('x'.repeat(1000));
      req.end();
    });
    assert.equal(chunked, 413);

    const afterM = await metrics(gw.base);
    assert.equal(afterM.get('gateway_v3_accepted_total'), before.get('gateway_v3_accepted_total'));
    assert.equal(afterM.get('gateway_v3_queue_depth'), 0);
    // the session's sequence did not move: its first accepted order is number 1
    const ok = await post(gw.base, '/v3/orders', t, ORDER);
    assert.equal(ok.status, 202);
    assert.equal(ok.json.sessionSeq, 1);
  });

  it('answers 404 and 405 on unknown routes and methods, and survives garbage', async () => {
    assert.equal((await get(gw.base, '/nope')).status, 404);
    assert.equal((await get(gw.base, '/v3/orders')).status, 405);
    const { Socket } = await import('node:net');
    const reply = await new Promise<string>((resolve) => {
      const s = new Socket();
      let data = '';
      s.connect(gw.port, '127.0.0.1', () => s.write('NOT HTTP AT ALL\r\n\r\n'));
      s.on('data', (d) => (data += d));
      s.on('close', () => resolve(data));
    });
    assert.match(reply, /^HTTP\/1\.1 400/);
    assert.equal((await get(gw.base, '/health')).status, 200);
  });

  it('exports metrics with real values after traffic', async () => {
    for (let i = 0; i < 20; i++) await post(gw.base, '/v3/orders', tok, ORDER);
    const m = await metrics(gw.base);
    for (const name of [
      'gateway_v3_accepted_total',
      'gateway_ack_p50_us',
      'gateway_ack_p99_us',
      'gateway_live_ack_p99_us',
      'gateway_live_ack_accepted_p99_us',
      'gateway_v3_live_ack_accepted_p99_us',
      'gateway_v3_stage_parse_p99_us',
      'gateway_v3_stage_risk_p99_us',
      'gateway_v3_stage_risk_limits_p99_us',
      'gateway_v3_stage_enqueue_p99_us',
      'gateway_v3_stage_serialize_p99_us',
      'gateway_v3_queue_capacity',
      'gateway_v3_soft_reject_pct',
      'gateway_v3_kill_reject_pct',
      'gateway_v3_accepted_rate',
      'gateway_reject_invalid_qty_total',
      'gateway_reject_invalid_symbol_total',
      'gateway_v3_risk_profile_level',
      'gateway_drain_workers',
    ]) {
      assert.ok((m.get(name) ?? 0) > 0, `${name} = ${m.get(name)}`);
    }
    for (const name of ['gateway_v3_rejected_soft_total', 'gateway_v3_rejected_killed_total', 'gateway_v3_queue_utilization_pct', 'gateway_v3_kill_switch', 'gateway_v3_kill_recovered_total', 'gateway_v3_stage_risk_position_p99_us', 'gateway_v3_stage_risk_margin_p99_us']) {
      assert.ok(m.has(name), `${name} exported`);
    }
    const { text } = await get(gw.base, '/metrics');
    assert.match(text, /gateway_v3_ack_seconds_bucket\{outcome="accepted",le="\+Inf"\} [1-9]/);
    assert.match(text, /gateway_reject_total\{reason="PRICE_COLLAR"\} 1/);
    assert.match(text, /nodejs_gc_duration_seconds/);
    // every drained order is counted
    assert.ok((m.get('gateway_v3_processed_total') ?? 0) <= (m.get('gateway_v3_accepted_total') ?? 0));
  });
});

describe('POST /v3/orders with the drain disabled (deterministic queue)', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway({ FASTPATH_DRAIN_ENABLE: '0', V3_SHARD_COUNT: '1', V3_INGRESS_QUEUE_CAPACITY: '20' });
  });
  after(async () => {
    assert.equal(await gw.stop(), 0);
  });

  it('refuses softly (429) at 85% utilisation and keeps refusing while the queue is full', async () => {
    const t = await token('acct-q');
    for (let i = 1; i <= 17; i++) assert.equal((await post(gw.base, '/v3/orders', t, ORDER)).status, 202, `order ${i}`);
    const soft = await post(gw.base, '/v3/orders', t, ORDER);
    assert.equal(soft.status, 429);
    assert.deepEqual([soft.json.status, soft.json.reason], ['SOFT_REJECT', 'V3_BACKPRESSURE_SOFT']);
    const health = await get(gw.base, '/health');
    assert.equal(health.json.queueLen, 17);
    const m = await metrics(gw.base);
    assert.equal(m.get('gateway_v3_queue_utilization_pct'), 85);
    assert.equal(m.get('gateway_v3_rejected_soft_total'), 1);
    assert.equal(m.get('gateway_v3_processed_total'), 0);
  });
});

describe("POST /v3/orders with the original's three watermarks (V3_HARD_REJECT_PCT)", () => {
  let gw: RunningGateway;
  before(async () => {
    // One event loop admits orders, so a queue grows one order at a time and stops at the first
    // watermark it reaches; with 4 slots each order is a 25 % step: 75 % lies past the hard mark.
    gw = await startGateway({
      FASTPATH_DRAIN_ENABLE: '0',
      V3_SHARD_COUNT: '1',
      V3_INGRESS_QUEUE_CAPACITY: '4',
      V3_SOFT_REJECT_PCT: '60',
      V3_HARD_REJECT_PCT: '70',
      V3_KILL_REJECT_PCT: '95',
      V3_KILL_RECOVER_PCT: '50',
    });
  });
  after(async () => {
    assert.equal(await gw.stop(), 0);
  });

  it('503 REJECTED V3_BACKPRESSURE_HARD at the hard mark, no kill, with the metrics the gate scripts read', async () => {
    const t = await token('acct-h');
    for (let i = 1; i <= 3; i++) assert.equal((await post(gw.base, '/v3/orders', t, ORDER)).status, 202, `order ${i}`);
    const hard = await post(gw.base, '/v3/orders', t, ORDER);
    assert.deepEqual([hard.status, hard.json.status, hard.json.reason, hard.json.sessionId], [503, 'REJECTED', 'V3_BACKPRESSURE_HARD', 'acct-h']);
    const m = await metrics(gw.base);
    assert.equal(m.get('gateway_v3_hard_reject_pct'), 70);
    assert.equal(m.get('gateway_v3_rejected_hard_total'), 1);
    assert.equal(m.get('gateway_v3_rejected_killed_total'), 0);
    assert.equal(m.get('gateway_v3_shard_kill_switches'), 0);
    for (const name of ['gateway_fast_path_processing_p50_us', 'gateway_fast_path_processing_p999_us', 'gateway_latency_mean_ns', 'gateway_latency_p95_ns', 'gateway_latency_p999_ns', 'gateway_inflight_current']) {
      assert.ok(m.has(name), `${name} exported`);
    }
  });
});

describe('operator kill switch', () => {
  let gw: RunningGateway;
  let admin: string;
  let trader: string;
  before(async () => {
    gw = await startGateway();
    admin = await token('ops', { roles: ['admin'] });
    trader = await token('acct-k');
  });
  after(async () => {
    await gw.stop();
  });

  it('requires the admin role', async () => {
    assert.equal((await post(gw.base, '/admin/kill', trader, { scope: 'global' })).status, 403);
    assert.equal((await post(gw.base, '/admin/kill', undefined, { scope: 'global' })).status, 401);
    assert.equal((await get(gw.base, '/admin/kill', trader)).status, 403);
    assert.equal((await post(gw.base, '/admin/kill', admin, { scope: 'planet' })).status, 400);
    assert.equal((await post(gw.base, '/admin/kill', admin, { scope: 'account' })).status, 400);
  });

  it('kills and resumes globally', async () => {
    const k = await post(gw.base, '/admin/kill', admin, { scope: 'global', reason: 'fat finger' });
    assert.equal(k.status, 200);
    assert.equal(k.json.engaged, true);
    assert.equal(k.json.global.reason, 'fat finger');
    const r = await post(gw.base, '/v3/orders', trader, ORDER);
    assert.equal(r.status, 503);
    assert.deepEqual([r.json.status, r.json.reason], ['KILLED', 'V3_GLOBAL_KILLED']);
    assert.equal((await metrics(gw.base)).get('gateway_v3_kill_switch'), 1);
    const s = await post(gw.base, '/admin/resume', admin, { scope: 'global' });
    assert.equal(s.json.engaged, false);
    assert.equal((await post(gw.base, '/v3/orders', trader, ORDER)).status, 202);
  });

  it('kills one account only', async () => {
    await post(gw.base, '/admin/kill', admin, { scope: 'account', accountId: 'acct-k' });
    const state = await get(gw.base, '/admin/kill', admin);
    assert.deepEqual(state.json.accounts.map((a: { id: string }) => a.id), ['acct-k']);
    const r = await post(gw.base, '/v3/orders', trader, ORDER);
    assert.deepEqual([r.status, r.json.reason], [503, 'V3_ACCOUNT_KILLED']);
    assert.equal((await post(gw.base, '/v3/orders', await token('acct-other'), ORDER)).status, 202);
    await post(gw.base, '/admin/resume', admin, { scope: 'account', accountId: 'acct-k' });
    assert.equal((await post(gw.base, '/v3/orders', trader, ORDER)).status, 202);
  });
});
