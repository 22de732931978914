/** The console's pure parts: one-time tickets, samples (rates, interval percentiles, trader view), asset lookup. */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConsoleAssets } from '../../../src/console/assets.js';
import { forTrader, Sampler } from '../../../src/console/sampler.js';
import type { ConsoleSources } from '../../../src/console/sources.js';
import { Tickets } from '../../../src/console/tickets.js';
import { LatencyHistogram, LatencyMark } from '../../../src/lib/latency.js';

describe('Tickets', () => {
  test('a ticket is good once, within its lifetime and the token\'s', () => {
    let now = 1000;
    let n = 0;
    const t = new Tickets(30_000, () => now, () => `t${n++}`);
    const holder = { accountId: 'a', isAdmin: false, expMs: 100_000 };
    const a = t.issue(holder);
    assert.deepEqual(t.redeem(a), holder);
    assert.equal(t.redeem(a), null, 'spent');
    const b = t.issue(holder);
    now += 30_000;
    assert.equal(t.redeem(b), null, 'expired');
    const c = t.issue({ ...holder, expMs: now + 10 });
    now += 10;
    assert.equal(t.redeem(c), null, 'the token expired first');
    assert.equal(t.redeem('unknown'), null);
  });

  test('unused tickets are bounded', () => {
    let n = 0;
    const t = new Tickets(30_000, () => 0, () => `t${n++}`);
    for (let i = 0; i < 5000; i++) t.issue({ accountId: 'a', isAdmin: false, expMs: 1e12 });
    assert.ok(t.outstanding <= 1024);
  });
});

describe('interval percentiles', () => {
  test('equal the percentiles of a histogram holding only the interval\'s values', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const h = new LatencyHistogram();
    const m = new LatencyMark();
    for (let round = 0; round < 5; round++) {
      const only = new LatencyHistogram();
      for (let i = 0; i < 2000; i++) {
        const v = 500 + Math.floor(rnd() ** 4 * 50_000_000);
        h.record(v);
        only.record(v);
      }
      const r = h.percentilesSince(m, [50, 99, 99.9]);
      assert.equal(r.count, 2000);
      assert.deepEqual(r.ns, [only.percentileNs(50), only.percentileNs(99), only.percentileNs(99.9)]);
    }
  });

  test('only what was recorded since the mark; a reset restarts the interval', () => {
    const h = new LatencyHistogram();
    const m = new LatencyMark();
    for (let i = 0; i < 100; i++) h.record(1_000_000);
    assert.equal(h.percentilesSince(m, [50]).count, 100);
    for (let i = 0; i < 10; i++) h.record(5_000);
    const r = h.percentilesSince(m, [50, 99]);
    assert.equal(r.count, 10);
    assert.ok(Math.abs(r.ns[0]! - 5000) < 10, String(r.ns[0]));
    assert.equal(h.percentilesSince(m, [50]).count, 0);
    h.reset();
    h.record(2000);
    assert.equal(h.percentilesSince(m, [50]).count, 1);
  });
});

function sources(over: Partial<ConsoleSources> = {}): ConsoleSources & { acc: { n: number } } {
  const acc = { n: 0 };
  return {
    acc,
    accepted: () => acc.n,
    rejected: () => 0,
    ackHistograms: [{ name: 'v3', h: new LatencyHistogram() }],
    shards: () => [{ shard: 0, depth: 5, capacity: 10, utilisationPct: 50, killed: false, reason: null }],
    kill: () => ({
      engaged: true,
      global: null,
      accounts: [
        { id: 'me', reason: 'x', sinceMs: 1, manual: true },
        { id: 'other', reason: 'y', sinceMs: 1, manual: true },
      ],
      sessions: [{ id: 's', reason: 'z', sinceMs: 1, manual: true }],
    }),
    journal: () => ({ durable: 'OK', lastSeq: 3, v3Journaled: true }),
    bus: () => null,
    venues: () => [{ venue: 'sim', state: 'UP', openOrders: 2 }],
    ...over,
  };
}

describe('Sampler', () => {
  test('rates from counter deltas over the injected clock', () => {
    let now = 0;
    const src = sources();
    const s = new Sampler(src, () => now);
    src.acc.n = 500;
    now = 500;
    const x = s.sample();
    assert.equal(x.acceptedPerSec, 1000);
    assert.equal(x.acceptedTotal, 500);
    now = 1500;
    assert.equal(s.sample().acceptedPerSec, 0);
    assert.equal(x.bus, null);
    assert.deepEqual(x.venues, [{ venue: 'sim', state: 'UP', openOrders: 2 }]);
  });

  test('a trader sees its own account kill switch, not other accounts\' or sessions\'', () => {
    const x = new Sampler(sources(), () => 0).sample();
    const t = forTrader(x, 'me');
    assert.deepEqual(t.kill.accounts.map((k) => k.id), ['me']);
    assert.deepEqual(t.kill.sessions, []);
    assert.equal(t.kill.engaged, true);
  });
});

describe('ConsoleAssets', () => {
  test('serves what the build holds, refuses paths that leave it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-console-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<html></html>');
    writeFileSync(join(dir, 'assets', 'app-abc123.js'), 'x');
    writeFileSync(join(dir, '..', 'secret.txt'), 's');
    const a = new ConsoleAssets(dir);
    assert.equal(a.built, true);
    const idx = a.lookup('');
    assert.ok(idx !== null && idx !== 'bad');
    assert.equal(idx.cacheControl, 'no-cache');
    const js = a.lookup('assets/app-abc123.js');
    assert.ok(js !== null && js !== 'bad');
    assert.equal(js.contentType, 'text/javascript; charset=utf-8');
    assert.match(js.cacheControl, /immutable/);
    for (const p of ['../secret.txt', '..%2fsecret.txt', '%2e%2e/secret.txt', 'assets\\..\\..\\secret.txt', '/etc/passwd', '%2fetc%2fpasswd', 'a%00', '%E0%A4%A']) {
      assert.equal(a.lookup(p), 'bad', p);
    }
    assert.equal(a.lookup('assets/none.js'), null);
    assert.equal(new ConsoleAssets(join(dir, 'missing')).built, false);
  });
});
