/**
 * The back office HTTP API over real sockets: JWT and account scoping, admin filters, paging, P&L,
 * stats, reconcile, /health, /metrics, CORS, bad requests, and storage failures.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Authenticator } from '../../../src/auth/authenticator.js';
import { mintToken } from '../../../src/auth/token.js';
import { createApiServer } from '../../../src/backoffice/api/server.js';
import { loadBackofficeConfig } from '../../../src/backoffice/config.js';
import { BackofficeStats, backofficeRegistry } from '../../../src/backoffice/metrics.js';
import { type RunningBackoffice, startBackoffice } from '../../../src/backoffice/service.js';
import { StorageError } from '../../../src/backoffice/storage/errors.js';
import { allStreams } from '../../unit/backoffice/fixtures.js';
import { FakeFeed } from './fake-feed.js';
import { getJson, quietLog, SECRET, tempDir, waitFor } from './helpers.js';

const tok = (accountId: string, roles: string[] = []) => mintToken({ secret: SECRET, accountId, roles });

describe('back office HTTP API', () => {
  const feed = new FakeFeed(SECRET);
  const dir = tempDir('sy-bo-api-');
  let bo: RunningBackoffice;
  let base: string;
  let admin: string;
  let acct3: string;

  before(async () => {
    await feed.start();
    feed.push(...allStreams());
    bo = await startBackoffice(
      loadBackofficeConfig({
        BACKOFFICE_PORT: '0',
        BACKOFFICE_HOST: '127.0.0.1',
        JWT_HS256_SECRET: SECRET,
        GATEWAY_DATA_DIR: dir.path,
        BACKOFFICE_GATEWAY_URL: feed.url,
        BACKOFFICE_RECONCILE_INTERVAL_SEC: '0',
      }),
      quietLog(),
    );
    base = `http://127.0.0.1:${bo.port}`;
    admin = await tok('ops', ['admin']);
    acct3 = await tok('acct-3');
    await waitFor('the streams booked', () => bo.stats.appliedTotal === allStreams().length);
  });

  after(async () => {
    await bo?.stop();
    await feed.stop();
    dir.remove();
  });

  it('answers 401 without a valid token; /health and /metrics are open', async () => {
    assert.deepEqual((await getJson(base, '/positions')).json, { error: 'MissingBearerToken' });
    assert.equal((await getJson(base, '/positions')).status, 401);
    const forged = await mintToken({ secret: 'other', accountId: 'acct-3' });
    assert.deepEqual(await getJson(base, '/fills', forged).then((r) => [r.status, r.json.error]), [401, 'InvalidJwtSignature']);
    const health = await getJson(base, '/health');
    assert.equal(health.status, 200);
    assert.equal(health.json.status, 'ok');
    assert.equal(health.json.storage, 'pglite');
    assert.equal(health.json.input.kind, 'feed');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const name of [
      'backoffice_events_applied_total{outcome="booked"} 16',
      'backoffice_fills_total 9',
      'backoffice_consumer_connected 1',
      'backoffice_consumer_pending -1',
      'backoffice_reconcile_result -1',
      'backoffice_apply_p99_us',
      'backoffice_apply_seconds_bucket',
      'backoffice_event_lag_p99_us',
      'backoffice_events_per_second',
    ]) {
      assert.ok(metrics.includes(name), name);
    }
  });

  it("scopes a trader to its own account; another account's data is 403", async () => {
    const pos = await getJson(base, '/positions', acct3);
    assert.equal(pos.status, 200);
    assert.deepEqual(
      pos.json.positions.map((p: any) => [p.accountId, p.symbol, p.netQty, p.avgPx, p.currency]),
      [
        ['acct-3', 'AAPL', -4, '15100', 'USD'],
        ['acct-3', 'ETH', 5, '350300', 'USDT'],
        ['acct-3', 'MSFT', 3, '100.33333333', 'USD'],
      ],
    );
    assert.equal(pos.json.truncated, false);
    assert.deepEqual((await getJson(base, '/positions?accountId=acct-1', acct3)).json, { error: 'forbidden' });
    assert.equal((await getJson(base, '/positions?accountId=acct-3', acct3)).status, 200);
    const bal = await getJson(base, '/balances', acct3);
    assert.deepEqual(bal.json.balances.map((b: any) => [b.currency, b.cash, b.fees]), [
      ['USD', '60092.9299', '6.0701'],
      ['USDT', '-1751675.15', '175.15'],
    ]);
    const sub = await mintToken({ secret: SECRET, accountId: undefined as unknown as string, sub: 'acct-1' });
    assert.deepEqual((await getJson(base, '/fills', sub)).json.fills.map((f: any) => f.accountId), ['acct-1', 'acct-1']);
  });

  it('lets an admin see every account and filter by account and symbol', async () => {
    const all = await getJson(base, '/positions', admin);
    assert.equal(all.json.positions.length, 5);
    const one = await getJson(base, '/positions?accountId=acct-2', admin);
    assert.deepEqual(one.json.positions.map((p: any) => [p.symbol, p.netQty, p.realizedPnl, p.cost, p.avgPx]), [['BTC', 0, '3250000', '0', null]]);
    assert.equal((await getJson(base, '/fills?symbol=ETH', admin)).json.fills.length, 2);
  });

  it('pages fills and the ledger with after/next', async () => {
    const p1 = await getJson(base, '/fills?limit=5', admin);
    assert.equal(p1.json.fills.length, 5);
    assert.equal(typeof p1.json.next, 'number');
    const p2 = await getJson(base, `/fills?limit=5&after=${p1.json.next}`, admin);
    assert.equal(p2.json.fills.length, 4);
    assert.equal(p2.json.next, null);
    const f = p1.json.fills[0];
    assert.deepEqual(Object.keys(f), ['fillId', 'eventId', 'accountId', 'orderId', 'execId', 'symbol', 'side', 'qty', 'price', 'notional', 'fee', 'currency', 'cumQty', 'venue', 'at']);
    assert.deepEqual([f.eventId, f.qty, f.price, f.notional, f.fee, f.at.endsWith('Z')], ['gw1.orders.4', 40, '15000', '600000', '60', true]);
    const ledger = await getJson(base, '/ledger?accountId=acct-2', admin);
    assert.deepEqual(ledger.json.entries.map((e: any) => [e.qty, e.value, e.fee, e.cashDelta]), [
      [10, '90000000', '9000', '-90009000'],
      [-25, '-227500000', '22750', '227477250'],
      [15, '134250000', '13425', '-134263425'],
    ]);
  });

  it('reports P&L per position and in totals per account and currency', async () => {
    const pnl = await getJson(base, '/pnl', acct3);
    const eth = pnl.json.positions.find((p: any) => p.symbol === 'ETH');
    // 5 ETH at an average of 350 300 marked at the last fill, 350 750
    assert.deepEqual([eth.markPx, eth.unrealizedPnl, eth.realizedPnl, eth.fees, eth.netPnl], ['350750', '2250', '0', '175.15', '2074.85']);
    assert.deepEqual(pnl.json.totals.map((t: any) => [t.currency, t.netPnl]), [
      // AAPL marked at its own last fill (0); MSFT at 100.33333333 (3 × that − 301 = −0.00000001); fees 6.0701
      ['USD', '-6.07010001'],
      ['USDT', '2074.85'],
    ]);
  });

  it('stats and reconcile, scoped; a whole-book reconcile sets the metric', async () => {
    const mine = await getJson(base, '/stats', acct3);
    assert.equal(mine.json.scope, 'acct-3');
    assert.deepEqual(mine.json.books, { events: null, orders: 3, fills: 4, ledgerEntries: 4, positions: 3 });
    assert.equal(mine.json.events.fills, 9);
    const all = await getJson(base, '/stats', admin);
    assert.equal(all.json.books.events, allStreams().length);
    assert.equal(all.json.input.connected, true);
    assert.ok(all.json.applyUs.p99 > 0);
    const rec = await getJson(base, '/reconcile', acct3);
    assert.deepEqual([rec.json.scope, rec.json.result, rec.json.ledgerEntries], ['acct-3', 'PASS', 4]);
    assert.match(await (await fetch(`${base}/metrics`)).text(), /backoffice_reconcile_result -1/);
    const whole = await getJson(base, '/reconcile', admin);
    assert.deepEqual([whole.json.scope, whole.json.result, whole.json.differenceCount], ['all', 'PASS', 0]);
    assert.match(await (await fetch(`${base}/metrics`)).text(), /backoffice_reconcile_result 1/);
  });

  it('CORS: preflights answered, any origin by default', async () => {
    const pre = await fetch(`${base}/positions`, { method: 'OPTIONS', headers: { origin: 'http://localhost:8081', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.match(pre.headers.get('access-control-allow-headers')!, /Authorization/);
    assert.match(pre.headers.get('access-control-allow-methods')!, /GET/);
    const res = await fetch(`${base}/positions`, { headers: { origin: 'http://localhost:8081', authorization: `Bearer ${acct3}` } });
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
  });

  it('refuses bad parameters, unknown paths and other methods', async () => {
    assert.deepEqual(await getJson(base, '/fills?limit=0', admin).then((r) => [r.status, r.json.error]), [400, 'InvalidLimit']);
    assert.deepEqual(await getJson(base, '/fills?limit=1001', admin).then((r) => [r.status, r.json.error]), [400, 'InvalidLimit']);
    assert.deepEqual(await getJson(base, '/ledger?after=-1', admin).then((r) => [r.status, r.json.error]), [400, 'InvalidAfter']);
    assert.deepEqual(await getJson(base, '/positions?accountId=a%20b', admin).then((r) => [r.status, r.json.error]), [400, 'InvalidAccountId']);
    assert.equal((await getJson(base, '/nope', admin)).status, 404);
    const post = await fetch(`${base}/positions`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, OPTIONS');
  });
});

describe('back office HTTP API edges (stub books)', () => {
  it('allows only the listed origins when BACKOFFICE_CORS_ORIGINS is set, and answers 503 when storage fails', async () => {
    const down = async (): Promise<never> => {
      throw new StorageError('UNAVAILABLE', 'connection refused');
    };
    const stats = new BackofficeStats();
    const server = createApiServer({
      books: { kind: 'postgres', positions: down, balances: down, fills: down, ledger: down, counts: down, snapshot: down },
      auth: new Authenticator({ secret: SECRET, issuer: undefined, audience: undefined, clockSkewSec: 30, cacheSize: 10 }),
      metrics: backofficeRegistry(stats, () => null),
      runtime: () => ({ input: null }),
      reconcile: down,
      corsOrigins: ['http://console.local:8081'],
      log: quietLog(),
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const t = await tok('acct-1');
      const ok = await fetch(`${base}/positions`, { headers: { origin: 'http://console.local:8081', authorization: `Bearer ${t}` } });
      assert.equal(ok.headers.get('access-control-allow-origin'), 'http://console.local:8081');
      assert.equal(ok.headers.get('vary'), 'Origin');
      assert.equal(ok.status, 503);
      assert.deepEqual(await ok.json(), { error: 'StorageUnavailable' });
      const other = await fetch(`${base}/positions`, { method: 'OPTIONS', headers: { origin: 'http://evil.example' } });
      assert.equal(other.headers.get('access-control-allow-origin'), null);
      assert.equal((await getJson(base, '/reconcile', t)).status, 503);
      assert.equal((await getJson(base, '/health')).json.status, 'ok');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
