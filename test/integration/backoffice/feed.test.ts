/**
 * BUS_KIND=none: the back office follows a feed server that speaks the gateway's feed protocol
 * (fake-feed.ts, a real HTTP socket): cursor on reconnect, redeliveries deduplicated, live events,
 * undecodable events, a refused token, a silent feed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mintToken } from '../../../src/auth/token.js';
import { loadBackofficeConfig } from '../../../src/backoffice/config.js';
import { type RunningBackoffice, startBackoffice } from '../../../src/backoffice/service.js';
import { accepted, allStreams, report } from '../../unit/backoffice/fixtures.js';
import { FakeFeed } from './fake-feed.js';
import { getJson, quietLog, SECRET, tempDir, waitFor } from './helpers.js';

describe('back office on the gateway event feed (BUS_KIND=none)', () => {
  const feed = new FakeFeed(SECRET);
  const dir = tempDir('sy-bo-feed-');
  let bo: RunningBackoffice;
  let base: string;
  let admin: string;

  before(async () => {
    await feed.start();
    feed.dropAfter = 4;
    feed.push(...allStreams());
    const cfg = loadBackofficeConfig({
      BACKOFFICE_PORT: '0',
      BACKOFFICE_HOST: '127.0.0.1',
      JWT_HS256_SECRET: SECRET,
      GATEWAY_DATA_DIR: dir.path,
      BACKOFFICE_GATEWAY_URL: feed.url,
      BACKOFFICE_FEED_IDLE_MS: '400',
      BACKOFFICE_RETRY_MIN_MS: '10',
      BACKOFFICE_RETRY_MAX_MS: '100',
      BACKOFFICE_RECONCILE_INTERVAL_SEC: '0',
    });
    bo = await startBackoffice(cfg, quietLog());
    base = `http://127.0.0.1:${bo.port}`;
    admin = await mintToken({ secret: SECRET, accountId: 'ops', roles: ['admin'] });
  });

  after(async () => {
    await bo?.stop();
    await feed.stop();
    dir.remove();
  });

  it('books the feed, resuming from its cursor after each dropped connection; redeliveries change nothing', async () => {
    const total = allStreams().length;
    await waitFor('the recorded streams booked', () => bo.stats.appliedTotal === total);
    assert.equal(bo.stats.fills, 9);
    const ok = feed.requests.filter((r) => r.status === 200);
    assert.equal(ok[0]!.lastEventId, null);
    assert.equal(ok[1]!.lastEventId, 'gw1.orders.4');
    assert.ok(ok.length >= Math.ceil(total / 4));
    assert.ok(bo.stats.duplicates >= ok.length - 2, `duplicates ${bo.stats.duplicates}`);
    // every cursor names the last event of each stream that was applied, nothing else
    for (const r of ok.slice(1)) assert.match(r.lastEventId!, /^gw1\.(orders|v3-0)\.[\d.]+(,gw1\.(orders|v3-0)\.[\d.]+)?$/);
    const rec = await getJson(base, '/reconcile', admin);
    assert.equal(rec.json.result, 'PASS');
    const fills = await getJson(base, '/fills?limit=1000', admin);
    assert.equal(fills.json.fills.length, 9);
  });

  it('streams events pushed while connected', async () => {
    feed.dropAfter = null;
    feed.dropAll();
    await waitFor('reconnected', () => feed.requests.length > 0 && feed.requests[feed.requests.length - 1]!.status === 200 && bo.stats.duplicates > 0);
    const before = bo.stats.fills;
    feed.push(
      accepted('gw1.orders.100', 'acct-9', 'o-100', 'SOL', 'BUY', 50, 20_000),
      report('gw1.orders.101', 'acct-9', 'o-100', 'SOL', 'BUY', { cumQty: 50, lastQty: 50, lastPx: 20_000, avgPx: 20_000, leavesQty: 0 }),
    );
    await waitFor('the live fill booked', () => bo.stats.fills === before + 1);
    const tok = await mintToken({ secret: SECRET, accountId: 'acct-9' });
    const bal = await getJson(base, '/balances', tok);
    assert.deepEqual(bal.json.balances.map((b: { currency: string; cash: string }) => [b.currency, b.cash]), [['USDT', '-1000100']]);
  });

  it('an undecodable event is recorded as rejected and the stream goes on', async () => {
    const rejected = bo.stats.applied.get('rejected')!;
    const fills = bo.stats.fills;
    feed.push({ id: 'gw1.orders.102', raw: 'not json' }, report('gw1.orders.103', 'acct-9', 'o-101', 'SOL', 'SELL', { cumQty: 10, lastQty: 10, lastPx: 20_100, avgPx: 20_100, leavesQty: 0 }));
    await waitFor('the next fill booked', () => bo.stats.fills === fills + 1);
    assert.equal(bo.stats.applied.get('rejected'), rejected + 1);
  });

  it('a refused token is reported and retried until the feed accepts it', async () => {
    feed.mode = 'unauthorized';
    const n = feed.requests.length;
    feed.dropAll();
    await waitFor('a refused request', () => feed.requests.slice(n).some((r) => r.status === 401));
    const health = await waitFor('the reason reported', async () => {
      const h = await getJson(base, '/health');
      return h.json.input?.lastError?.includes('JWT_HS256_SECRET') ? h : undefined;
    });
    assert.equal(health.json.status, 'degraded');
    feed.mode = 'ok';
    const fills = bo.stats.fills;
    feed.push(report('gw1.orders.104', 'acct-9', 'o-102', 'SOL', 'BUY', { cumQty: 1, lastQty: 1, lastPx: 20_000, avgPx: 20_000, leavesQty: 0 }));
    await waitFor('booked after the token was accepted again', () => bo.stats.fills === fills + 1);
    assert.equal((await getJson(base, '/health')).json.status, 'ok');
  });

  it('a feed silent for longer than BACKOFFICE_FEED_IDLE_MS is reconnected', async () => {
    const n = feed.requests.length;
    feed.mode = 'silent';
    await waitFor('a reconnect after silence', () => feed.requests.length > n + 1);
    feed.mode = 'ok';
    assert.equal((await getJson(base, '/reconcile', admin)).json.result, 'PASS');
  });
});
