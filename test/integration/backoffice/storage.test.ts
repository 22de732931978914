/**
 * The same booking and storage suite on the real PostgreSQL (a fresh database for the run) and on
 * PGlite: recorded event streams, exactly-once under redelivery and replay, reconciliation PASS
 * and FAIL, the append-only ledger, the feed cursor, paging and scoping of the readers.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import pg from 'pg';
import { Booker } from '../../../src/backoffice/booker.js';
import { formatFixed } from '../../../src/backoffice/domain/decimal.js';
import { feedCursor, parseEventId } from '../../../src/backoffice/domain/event-id.js';
import { planEvent } from '../../../src/backoffice/domain/booking.js';
import { BackofficeStats } from '../../../src/backoffice/metrics.js';
import { reconcile } from '../../../src/backoffice/reconciler.js';
import { Books } from '../../../src/backoffice/storage/books.js';
import { migrate } from '../../../src/backoffice/storage/migrate.js';
import { openBooks } from '../../../src/backoffice/storage/open.js';
import { accepted, allStreams, MemoryBooks, partialFills, type Recorded, report, RULES, throughZero } from '../../unit/backoffice/fixtures.js';
import { createDatabase, ensurePostgres, quietLog, tempDir } from './helpers.js';

const log = quietLog();
const pgSkip = await ensurePostgres();
if (pgSkip !== null) console.warn(`\n*** SKIPPING the PostgreSQL half of the back office storage suite: ${pgSkip} ***\n`);

interface Harness {
  url?: string;
  pool: pg.Pool;
  books: Books;
  close(): Promise<void>;
}

async function pgliteHarness(): Promise<Harness> {
  const db = await PGlite.create();
  const pool = new pg.Pool({ ...(createPgConfig(db) as unknown as pg.PoolConfig), max: 1 });
  await migrate(pool, log);
  return { pool, books: new Books(pool, 'pglite'), close: async () => (await pool.end(), await db.close()) };
}

/**
 * A pool for the test database. `pool.end()` resolves before its connections are gone on the
 * server, so the `DROP DATABASE … WITH (FORCE)` of the teardown can terminate one that is still
 * closing; its client then emits an 'error' nobody listens to. Those errors are expected here.
 */
function testPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('connect', (c) => c.on('error', () => {}));
  pool.on('error', () => {});
  return pool;
}

async function postgresHarness(): Promise<Harness> {
  const db = await createDatabase();
  const pool = testPool(db.url);
  await migrate(pool, log);
  const h: Harness = {
    url: db.url,
    pool,
    books: new Books(pool, 'postgres'),
    close: async () => {
      await h.books.close();
      await db.drop();
    },
  };
  return h;
}

async function feed(books: Books, stream: Recorded[]): Promise<string[]> {
  const out: string[] = [];
  for (const r of stream) {
    const res = await books.apply({ id: r.id, position: parseEventId(r.id), type: r.event.type, at: r.event.at }, planEvent(r.id, r.event, RULES));
    out.push(res.fresh ? res.writes.outcome : 'duplicate');
  }
  return out;
}

/** Applies `stream` in batches of `size` (one transaction each); outcomes in stream order. */
async function feedBatches(books: Books, stream: Recorded[], size: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < stream.length; i += size) {
    const items = stream.slice(i, i + size).map((r) => ({ key: { id: r.id, position: parseEventId(r.id), type: r.event.type, at: r.event.at }, step: planEvent(r.id, r.event, RULES) }));
    for (const res of await books.applyBatch(items)) out.push(res.fresh ? res.writes.outcome : 'duplicate');
  }
  return out;
}

/** Everything the books hold, as text, for before/after comparisons. */
async function dump(pool: pg.Pool): Promise<string> {
  const parts: unknown[] = [];
  for (const q of [
    'SELECT * FROM positions ORDER BY account_id, symbol',
    'SELECT * FROM balances ORDER BY account_id, currency',
    'SELECT * FROM orders ORDER BY account_id, order_id',
    'SELECT fill_id, event_id, qty, price, notional, fee FROM fills ORDER BY fill_id',
    'SELECT entry_id, event_id, qty, value, fee, cash_delta FROM ledger ORDER BY entry_id',
    'SELECT event_id, outcome FROM applied_events ORDER BY event_id',
    'SELECT * FROM marks ORDER BY symbol',
  ]) {
    parts.push((await pool.query(q)).rows);
  }
  return JSON.stringify(parts);
}

for (const kind of ['pglite', 'postgres'] as const) {
  describe(`back office books on ${kind}`, { skip: kind === 'postgres' && pgSkip !== null ? pgSkip! : false }, () => {
    let h: Harness;
    before(async () => {
      h = kind === 'pglite' ? await pgliteHarness() : await postgresHarness();
    });
    after(async () => {
      await h?.close();
    });
    beforeEach(async () => {
      await h.pool.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
      await migrate(h.pool, log);
    });

    it('books the recorded streams exactly as the in-memory reference', async () => {
      const stream = allStreams();
      const outcomes = await feed(h.books, stream);
      const ref = new MemoryBooks();
      const refOutcomes: string[] = [];
      for (const r of stream) {
        const res = await ref.apply({ id: r.id, position: parseEventId(r.id), type: r.event.type, at: r.event.at }, planEvent(r.id, r.event, RULES));
        refOutcomes.push(res.fresh ? res.writes.outcome : 'duplicate');
      }
      assert.deepEqual(outcomes, refOutcomes);

      const positions = await h.books.positions({ accountId: null }, 100);
      assert.deepEqual(
        positions.map((p) => [p.accountId, p.symbol, p.currency, p.netQty, p.cost, p.realized, p.fees]),
        [...ref.positions.values()].sort((a, b) => (a.accountId + a.symbol < b.accountId + b.symbol ? -1 : 1)).map((p) => [p.accountId, p.symbol, p.currency, p.netQty, p.cost, p.realized, p.fees]),
      );
      const balances = await h.books.balances({ accountId: null }, 100);
      assert.deepEqual(
        balances.map((b) => [b.accountId, b.currency, formatFixed(b.cash), formatFixed(b.fees)]),
        [
          ['acct-1', 'USD', '-1500750.06', '150.06'],
          ['acct-2', 'USDT', '3204825', '45175'],
          ['acct-3', 'USD', '60092.9299', '6.0701'],
          ['acct-3', 'USDT', '-1751675.15', '175.15'],
        ],
      );
      const btc = positions.find((p) => p.symbol === 'BTC')!;
      assert.equal(formatFixed(btc.realized), '3250000');
      assert.equal(formatFixed(btc.mark!), '8950000');
      const fills = await h.books.fills({ accountId: null }, { after: 0, limit: 100 });
      assert.equal(fills.length, ref.fills.length);
      assert.deepEqual(fills.map((f) => [f.eventId, f.qty, f.notional, f.fee]), ref.fills.map((f) => [f.eventId, f.qty, f.notional, f.fee]));
      const msft = fills.find((f) => f.symbol === 'MSFT')!;
      assert.equal(formatFixed(msft.price), '100.33333333');
    });

    it('a redelivered event and a replayed stream change nothing', async () => {
      const stream = allStreams();
      await feed(h.books, stream);
      const before = await dump(h.pool);
      assert.deepEqual(await feed(h.books, [stream[4]!]), ['duplicate']);
      const again = await feed(h.books, stream);
      assert.ok(again.every((o) => o === 'duplicate'));
      assert.equal(await dump(h.pool), before);
    });

    it('batches book exactly what one event per transaction books, whatever their size', async () => {
      const stream = allStreams();
      const single = await feed(h.books, stream);
      const reference = await dump(h.pool);
      for (const size of [2, 5, stream.length]) {
        await h.pool.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
        await migrate(h.pool, log);
        assert.deepEqual(await feedBatches(h.books, stream, size), single, `batch size ${size}`);
        assert.equal(await dump(h.pool), reference, `batch size ${size}`);
        assert.equal((await reconcile(h.books, null)).result, 'PASS');
      }
    });

    it('an ExecutionReport sees the earlier events of its own batch', async () => {
      // one batch: accepted, sent, ack, fill 40 @ 15000, fill to 100 (+60 @ 15010)
      assert.deepEqual(await feedBatches(h.books, partialFills(), 100), ['booked', 'recorded', 'updated', 'booked', 'booked']);
      const fills = await h.books.fills({ accountId: null }, { after: 0, limit: 10 });
      assert.deepEqual(fills.map((f) => [f.qty, f.notional]), [[40n, 600_000n], [60n, 900_600n]]);
      const [pos] = await h.books.positions({ accountId: 'acct-1' }, 10);
      assert.deepEqual([pos!.netQty, formatFixed(pos!.cost)], [100n, '1500600']);
      // through zero inside one batch: buy 10, sell 25, buy 15 → flat, realized from the state of the batch
      await feedBatches(h.books, throughZero(), 100);
      const btc = (await h.books.positions({ accountId: 'acct-2' }, 10))[0]!;
      assert.deepEqual([btc.netQty, formatFixed(btc.realized)], [0n, '3250000']);
      assert.equal((await reconcile(h.books, null)).result, 'PASS');
    });

    it('a duplicate inside a batch and a redelivered batch change nothing', async () => {
      const [a, sent, ack, fill1, fill2] = partialFills();
      // fill1 three times in the batch, the first one counts
      assert.deepEqual(await feedBatches(h.books, [a!, fill1!, sent!, fill1!, ack!, fill1!], 10), ['booked', 'booked', 'recorded', 'duplicate', 'stale', 'duplicate']);
      const once = await dump(h.pool);
      // the same batch redelivered: nothing moves
      assert.deepEqual(await feedBatches(h.books, [a!, fill1!, sent!, fill1!, ack!, fill1!], 10), ['duplicate', 'duplicate', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
      assert.equal(await dump(h.pool), once);
      // a batch overlapping the last one: only the new event is booked, on the committed state
      assert.deepEqual(await feedBatches(h.books, [fill1!, fill2!, fill2!], 10), ['duplicate', 'booked', 'duplicate']);
      assert.deepEqual((await h.books.fills({ accountId: null }, { after: 0, limit: 10 })).map((f) => f.qty), [40n, 60n]);
      assert.equal((await reconcile(h.books, null)).result, 'PASS');
    });

    it('an event the database refuses inside a batch is recorded as rejected; the others are booked once', async () => {
      const stats = new BackofficeStats();
      const booker = new Booker(h.books, RULES, stats, { retryMinMs: 1, retryMaxMs: 2 }, log);
      const huge = 9_000_000_000_000_000; // qty × price overflows numeric(38,8): SQLSTATE 22003
      const batch = [
        ...partialFills(),
        accepted('gw1.orders.40', 'acct-9', 'o-40', 'AAPL', 'BUY', huge, huge),
        report('gw1.orders.41', 'acct-9', 'o-40', 'AAPL', 'BUY', { cumQty: huge, lastQty: huge, lastPx: huge, avgPx: huge, leavesQty: 0 }),
        ...throughZero(),
      ].map((r) => ({ id: r.id, event: r.event, problem: null }));
      assert.equal(await booker.handleBatch(batch), true);
      assert.equal(stats.storageErrors.get('REJECTED'), 2, 'the batch, then the event alone');
      const outcome = (await h.pool.query(`SELECT outcome FROM applied_events WHERE event_id = 'gw1.orders.41'`)).rows;
      assert.deepEqual(outcome, [{ outcome: 'rejected:STORAGE_22003' }]);
      assert.equal((await h.books.counts({ accountId: null })).fills, 5);
      assert.equal((await reconcile(h.books, null)).result, 'PASS');
      // redelivered after the fallback: all duplicates, in one transaction again
      const before = await dump(h.pool);
      // (PGlite's node-postgres adapter answers the statement after a failed one with "Connection
      // terminated": the retry then finds that event applied, a duplicate; hence the difference)
      const dups = stats.duplicates;
      assert.equal(await booker.handleBatch(batch), true);
      assert.equal(stats.duplicates - dups, batch.length);
      assert.equal(stats.batches, 1);
      assert.equal(await dump(h.pool), before);
    });

    it('the same event applied concurrently is booked once', async () => {
      const stream = partialFills();
      await feed(h.books, stream.slice(0, 3));
      const r = stream[3]!;
      const key = { id: r.id, position: parseEventId(r.id), type: r.event.type, at: r.event.at };
      const results = await Promise.all([0, 1, 2, 3].map(() => h.books.apply(key, planEvent(r.id, r.event, RULES))));
      assert.equal(results.filter((x) => x.fresh).length, 1);
      assert.equal((await h.books.counts({ accountId: null })).fills, 1);
      assert.equal((await reconcile(h.books, null)).result, 'PASS');
    });

    it('reconcile: PASS on booked books, FAIL with the differences when a table row is tampered with', async () => {
      await feed(h.books, allStreams());
      const pass = await reconcile(h.books, null);
      assert.equal(pass.result, 'PASS');
      assert.equal(pass.ledgerEntries, 9);
      assert.equal(pass.positions, 5);
      assert.equal(pass.balances, 4);
      assert.deepEqual(pass.differences, []);

      await h.pool.query(`UPDATE positions SET net_qty = net_qty + 1 WHERE account_id = 'acct-2' AND symbol = 'BTC'`);
      await h.pool.query(`UPDATE balances SET cash = cash - 0.00000001 WHERE account_id = 'acct-1'`);
      await h.pool.query(`INSERT INTO positions VALUES ('ghost', 'SOL', 'USDT', 1, 1, 0, 0, now())`);
      const fail = await reconcile(h.books, null);
      assert.equal(fail.result, 'FAIL');
      assert.deepEqual(
        fail.differences.map((d) => [d.table, d.accountId, d.key, d.field, d.ledger, d.actual]).filter((d) => d[1] !== 'ghost'),
        [
          ['positions', 'acct-2', 'BTC', 'netQty', '0', '1'],
          ['balances', 'acct-1', 'USD', 'cash', '-1500750.06', '-1500750.06000001'],
        ],
      );
      assert.ok(fail.differences.some((d) => d.accountId === 'ghost' && d.field === 'netQty' && d.ledger === null && d.actual === '1'));
      // scoped: another account still reconciles
      assert.equal((await reconcile(h.books, 'acct-3')).result, 'PASS');
      assert.equal((await reconcile(h.books, 'acct-2')).result, 'FAIL');
    });

    it('the ledger is append-only', async () => {
      await feed(h.books, throughZero());
      await assert.rejects(h.pool.query(`UPDATE ledger SET qty = 0`), /append-only/);
      await assert.rejects(h.pool.query(`DELETE FROM ledger`), /append-only/);
      await assert.rejects(h.pool.query(`TRUNCATE ledger`), /append-only/);
      assert.equal((await reconcile(h.books, null)).result, 'PASS');
    });

    it('derives the feed cursor (last applied id per stream) from the applied events', async () => {
      assert.deepEqual(await h.books.lastAppliedPerStream(), []);
      await feed(h.books, allStreams());
      // other ids are dedup keys only
      await h.books.apply({ id: 'jetstream.S.5', position: null, type: 'OrderSent', at: '2026-03-02T10:00:00.000Z' }, { kind: 'direct', writes: { outcome: 'recorded' } });
      assert.equal(feedCursor(await h.books.lastAppliedPerStream()), 'gw1.orders.27,gw1.v3-0.3');
    });

    it('readers page, filter and scope', async () => {
      await feed(h.books, allStreams());
      const p1 = await h.books.fills({ accountId: null }, { after: 0, limit: 4 });
      const p2 = await h.books.fills({ accountId: null }, { after: p1[3]!.fillId, limit: 4 });
      const p3 = await h.books.fills({ accountId: null }, { after: p2[3]!.fillId, limit: 4 });
      assert.deepEqual([p1.length, p2.length, p3.length], [4, 4, 1]);
      assert.equal(new Set([...p1, ...p2, ...p3].map((f) => f.eventId)).size, 9);
      assert.deepEqual((await h.books.fills({ accountId: 'acct-3', symbol: 'ETH' }, { after: 0, limit: 10 })).map((f) => f.qty), [3n, 2n]);
      const ledger = await h.books.ledger({ accountId: 'acct-2' }, { after: 0, limit: 10 });
      assert.deepEqual(ledger.map((e) => e.qty), [10n, -25n, 15n]);
      assert.equal(formatFixed(ledger[1]!.cashDelta), '227477250'); // 227 500 000 − 22 750 fee
      assert.deepEqual((await h.books.positions({ accountId: 'acct-3' }, 10)).map((p) => p.symbol), ['AAPL', 'ETH', 'MSFT']);
      assert.deepEqual((await h.books.positions({ accountId: 'acct-3', symbol: 'ETH' }, 10)).map((p) => p.netQty), [5n]);
      assert.deepEqual(await h.books.counts({ accountId: 'acct-1' }), { events: null, orders: 1, fills: 2, ledgerEntries: 2, positions: 1 });
      assert.equal((await h.books.counts({ accountId: null })).events, allStreams().length);
    });

    it('the booker retries nothing on success and counts duplicates', async () => {
      const stats = new BackofficeStats();
      const booker = new Booker(h.books, RULES, stats, { retryMinMs: 1, retryMaxMs: 2 }, log);
      const stream = partialFills();
      for (const r of stream) assert.equal(await booker.handle({ id: r.id, event: r.event, problem: null }), true);
      assert.equal(await booker.handle({ id: stream[0]!.id, event: stream[0]!.event, problem: null }), true);
      assert.equal(await booker.handle({ id: 'gw1.orders.99', event: null, problem: 'NOT_JSON' }), true);
      assert.deepEqual(Object.fromEntries(stats.applied), { booked: 3, updated: 1, recorded: 1, stale: 0, rejected: 1 });
      assert.equal(stats.duplicates, 1);
      assert.equal(stats.fills, 2);
      assert.equal(stats.apply.count, 7);
      const rows = (await h.pool.query(`SELECT outcome FROM applied_events WHERE event_id = 'gw1.orders.99'`)).rows;
      assert.deepEqual(rows, [{ outcome: 'rejected:NOT_JSON' }]);
    });

    if (kind === 'postgres') {
      it('one writer per database: a second back office is LOCKED until the first closes', async () => {
        await feed(h.books, partialFills().slice(0, 1)); // takes the writer lock
        const other = new Books(new pg.Pool({ connectionString: h.url, max: 2 }), 'postgres');
        try {
          const r = throughZero()[0]!;
          const step = planEvent(r.id, r.event, RULES);
          const key = { id: r.id, position: parseEventId(r.id), type: r.event.type, at: r.event.at };
          await assert.rejects(other.apply(key, step), (e: Error & { code?: string }) => e.code === 'LOCKED');
          await h.books.close();
          assert.equal((await other.apply(key, step)).fresh, true);
        } finally {
          await other.close();
          const pool = testPool(h.url!);
          h.pool = pool;
          h.books = new Books(pool, 'postgres');
        }
      });
    }

    it('migrations run once: a second run applies nothing', async () => {
      assert.deepEqual(await migrate(h.pool, log), []);
    });
  });
}

describe('openBooks with PGlite in a data directory', () => {
  it('persists across a reopen and refuses a second opener of the same directory', async () => {
    const dir = tempDir('sy-bo-pglite-');
    try {
      const cfg = { kind: 'pglite' as const, dir: `${dir.path}/backoffice/pglite` };
      const first = await openBooks(cfg, log);
      assert.deepEqual(first.migrated, ['1764806400000_backoffice-books']);
      await feed(first.books, throughZero());
      await assert.rejects(openBooks(cfg, log), (e: Error & { code?: string }) => e.code === 'LOCKED');
      await first.close();
      const second = await openBooks(cfg, log);
      assert.deepEqual(second.migrated, []);
      assert.equal((await second.books.counts({ accountId: null })).fills, 3);
      assert.equal((await reconcile(second.books, null)).result, 'PASS');
      await second.close();
    } finally {
      dir.remove();
    }
  });
});
