/**
 * GET /events/feed on a real gateway (BUS_KIND=none): replay from the journals, live events,
 * the cursor (Last-Event-ID) across reconnects and restarts, admin only; and the back office
 * (PGlite) following it end to end.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mintToken } from '../../../src/auth/token.js';
import { loadBackofficeConfig } from '../../../src/backoffice/config.js';
import { type RunningBackoffice, startBackoffice } from '../../../src/backoffice/service.js';
import { ORDER, post, type RunningGateway, SECRET, startGateway, token } from '../../helpers/gateway.js';
import { quietLog, tempDir } from '../backoffice/helpers.js';
import { checkEvents, followFeed, inJournalOrder, until } from './helpers.js';

/** 2xx: the order was accepted */
function accepted(r: { status: number; json?: unknown }): void {
  assert.ok(r.status >= 200 && r.status < 300, `HTTP ${r.status} ${JSON.stringify(r.json)}`);
}

const SIM = { SOR_VENUES: 'sim', VENUE_SIM_SEED: '7', VENUE_SIM_LATENCY_US: '50', V3_LOSS_GAP_TIMEOUT_MS: '60000' };

describe('GET /events/feed (BUS_KIND=none)', () => {
  let gw: RunningGateway;
  let admin: string;
  let trader: string;
  const dataDir = tempDir('sy-bus-feed-');

  before(async () => {
    gw = await startGateway({ ...SIM, GATEWAY_DATA_DIR: dataDir.path });
    admin = await token('ops', { roles: ['admin'] });
    trader = await token('acct-feed');
  });
  after(async () => {
    await gw?.stop();
    dataDir.remove();
  });

  it('refuses non-admin tokens and other methods', async () => {
    assert.equal(await followFeed(gw.base, trader).status, 403);
    assert.equal(await followFeed(gw.base, 'garbage').status, 401);
    const r = await fetch(`${gw.base}/events/feed`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    assert.equal(r.status, 405);
  });

  it('replays every event after the cursor, then goes live; a reconnect with the cursor misses and repeats nothing', async () => {
    for (let i = 0; i < 5; i++) accepted(await post(gw.base, '/orders', trader, { ...ORDER, clientOrderId: `d-${i}` }));
    for (let i = 0; i < 5; i++) accepted(await post(gw.base, '/v3/orders', trader, { ...ORDER, clientOrderId: `f-${i}` }));
    const a = followFeed(gw.base, admin);
    assert.equal(await a.status, 200);
    await until('10 OrderAccepted on the feed', () => a.events.filter((e) => e.event.type === 'OrderAccepted').length >= 10);
    // live
    for (let i = 5; i < 8; i++) accepted(await post(gw.base, '/orders', trader, { ...ORDER, clientOrderId: `d-${i}` }));
    for (let i = 5; i < 8; i++) accepted(await post(gw.base, '/v3/orders', trader, { ...ORDER, clientOrderId: `f-${i}` }));
    await until('16 OrderAccepted on the feed', () => a.events.filter((e) => e.event.type === 'OrderAccepted').length >= 16);
    checkEvents(a.events);
    assert.ok(inJournalOrder(a.events));
    const types = new Set(a.events.map((e) => e.event.type));
    assert.ok(types.has('OrderSent') && types.has('ExecutionReport'), [...types].join(','));
    const v3 = a.events.filter((e) => e.id.includes('.v3-'));
    assert.ok(v3.length >= 8, 'the /v3 orders come from their shard journals');
    for (const e of v3.filter((x) => x.event.type === 'OrderAccepted')) assert.match(e.id, /^gw-[0-9a-f]{16}\.v3-\d+\.\d+\.\d+$/);
    a.stop();

    // reconnect with the cursor: the last id per stream
    const seen = a.events.length;
    const last = new Map<string, string>();
    for (const e of a.events) last.set(e.id.split('.')[1]!, e.id);
    for (let i = 8; i < 10; i++) accepted(await post(gw.base, '/v3/orders', trader, { ...ORDER, clientOrderId: `f-${i}` }));
    const b = followFeed(gw.base, admin, [...last.values()].join(','));
    assert.equal(await b.status, 200);
    await until('the 2 later /v3 orders', () => b.events.filter((e) => e.event.type === 'OrderAccepted').length >= 2);
    const all = [...a.events, ...b.events];
    checkEvents(all); // no repeats across the reconnect
    const full = followFeed(gw.base, admin);
    await until('the full replay', () => full.events.length >= all.length);
    await new Promise((r) => setTimeout(r, 300)); // more events are not expected: give them a chance to show
    const fullIds = checkEvents(full.events);
    for (const e of all) assert.ok(fullIds.has(e.id), `${e.id} in the full replay`);
    assert.ok(seen > 0);
    b.stop();
    full.stop();
  });

  it('keeps its event ids across a restart of the gateway (gateway id in the data directory)', async () => {
    const before = followFeed(gw.base, admin);
    await until('replay', () => before.events.length > 0);
    const firstId = before.events[0]!.id;
    before.stop();
    assert.equal(await gw.stop(), 0);
    gw = await startGateway({ ...SIM, GATEWAY_DATA_DIR: dataDir.path });
    const again = followFeed(gw.base, admin);
    await until('replay after restart', () => again.events.length > 0);
    assert.equal(again.events[0]!.id, firstId);
    again.stop();
  });
});

describe('the back office on the gateway feed (BUS_KIND=none, PGlite)', () => {
  let gw: RunningGateway;
  let bo: RunningBackoffice;
  const dir = tempDir('sy-bus-bo-');
  const gwDir = tempDir('sy-bus-bo-gw-');

  before(async () => {
    gw = await startGateway({ ...SIM, GATEWAY_DATA_DIR: gwDir.path });
    const cfg = loadBackofficeConfig({
      BACKOFFICE_PORT: '0',
      BACKOFFICE_HOST: '127.0.0.1',
      JWT_HS256_SECRET: SECRET,
      GATEWAY_DATA_DIR: dir.path,
      BACKOFFICE_GATEWAY_URL: gw.base,
      BACKOFFICE_RETRY_MIN_MS: '10',
      BACKOFFICE_RETRY_MAX_MS: '200',
      BACKOFFICE_RECONCILE_INTERVAL_SEC: '0',
    });
    bo = await startBackoffice(cfg, quietLog());
  });
  after(async () => {
    await bo?.stop();
    await gw?.stop();
    dir.remove();
    gwDir.remove();
  });

  it('books every event of /orders and /v3 orders with their fills, and reconciles PASS', async () => {
    const tok = await token('acct-bo');
    for (let i = 0; i < 6; i++) {
      accepted(await post(gw.base, '/orders', tok, { ...ORDER, qty: 10, price: 15_100, clientOrderId: `o-${i}` }));
      accepted(await post(gw.base, '/v3/orders', tok, { ...ORDER, qty: 10, side: 'SELL', price: 14_900, clientOrderId: `v-${i}` }));
    }
    const admin = await mintToken({ secret: SECRET, accountId: 'ops', roles: ['admin'] });
    const feed = followFeed(gw.base, admin);
    // the back office has applied (or deduplicated) every event the feed holds, once things are quiet
    await until('fills booked', () => bo.stats.fills > 0);
    await until('the back office caught up with the feed', () => {
      const n = feed.events.length;
      return n > 0 && bo.stats.lastEventId !== null && feed.events.some((e) => e.id === bo.stats.lastEventId) && bo.stats.appliedTotal >= n * 0.5;
    });
    const rec = await fetch(`http://127.0.0.1:${bo.port}/reconcile`, { headers: { authorization: `Bearer ${admin}` } });
    const body = (await rec.json()) as { result: string };
    assert.equal(body.result, 'PASS');
    feed.stop();
  });
});
