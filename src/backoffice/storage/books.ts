/**
 * The books in PostgreSQL (or PGlite, which speaks to node-postgres through its adapter): one
 * class, one SQL dialect, behind the narrow interfaces its consumers define (booker.ts
 * `BookStore`, api/routes.ts `BooksReader`, reconciler.ts `LedgerSnapshots`).
 *
 * Exactly once: every event is applied in ONE transaction, a single statement that inserts its
 * id into `applied_events` (primary key) and makes every other write only if that insert happened
 * (sql.ts). An id applied before inserts nothing, so a redelivered event changes nothing.
 *  - events that need no state (OrderAccepted, the types that are only recorded, rejects): that
 *    statement alone, one round trip;
 *  - ExecutionReport: first read the order and the position (and whether the id was seen), then
 *    decide (pure) and run the statement with the new absolute state: two round trips.
 * Reading outside the writing transaction is sound because the books have ONE writer, which
 * applies one event (or one batch) at a time: with PostgreSQL the back office holds an advisory
 * lock for its life ({@link Books.lockWriter}, checked before every apply); PGlite lives in one
 * process and its directory is locked (dir-lock.ts). An explicit BEGIN … COMMIT around the read
 * would double the round trips (measured with bench:backoffice: 4 → 2 per ExecutionReport).
 *
 * Batches ({@link Books.applyBatch}): the events the input has already received, in ONE
 * transaction — which ids were applied before, the order and position rows the batch needs, then
 * every event decided in order on that state overlaid with the batch's own earlier writes
 * (domain/batch-state.ts), and one statement writing it all (batch-sql.ts). Each event is still
 * keyed by its id: one applied before, or earlier in the same batch, is a duplicate and writes
 * nothing. Nothing is cached across batches, so a rolled-back batch leaves nothing to undo.
 *
 * Owner: the event loop. Reads use other pooled connections (PostgreSQL) or queue behind the
 * writer (PGlite, one connection).
 */
import type pg from 'pg';
import type { AppliedKey, BookState, FillRecord, OrderRecord, PositionRecord, Side, Step, Writes } from '../domain/booking.js';
import { parseFixed } from '../domain/decimal.js';
import type { LedgerRecord } from '../domain/booking.js';
import type { BalanceRecord } from '../domain/reconcile.js';
import { StorageError, storageError } from './errors.js';
import { APPLIED_QUERY, BATCH_ORDERS_QUERY, BATCH_POSITIONS_QUERY, iso, STATE_QUERY, type Statement, writeStatement } from './sql.js';
import { BatchState } from '../domain/batch-state.js';
import { type BatchEntry, batchWriteStatement } from './batch-sql.js';

export type ApplyResult = { fresh: false } | { fresh: true; writes: Writes };

/** One event of a batch. */
export interface BatchItem {
  key: AppliedKey;
  step: Step;
}

export interface Scope {
  /** null: every account (admin) */
  accountId: string | null;
  symbol?: string | null;
}

export interface Page {
  /** rows with an id above this one */
  after: number;
  limit: number;
}

export interface PositionRow extends PositionRecord {
  /** last fill price of the symbol, fixed units */
  mark: bigint | null;
}

export interface FillRow extends FillRecord {
  fillId: number;
}

export interface LedgerRow extends LedgerRecord {
  entryId: number;
}

export interface Counts {
  events: number | null;
  orders: number;
  fills: number;
  ledgerEntries: number;
  positions: number;
}

/** Reads of one consistent snapshot (REPEATABLE READ), for reconciliation. */
export interface SnapshotReader {
  ledgerPage(afterEntryId: number, limit: number): Promise<LedgerRow[]>;
  positions(): Promise<PositionRow[]>;
  balances(): Promise<BalanceRecord[]>;
}

/** An arbitrary, stable key of the single-writer advisory lock. */
const WRITER_LOCK_KEY = 0x5357_4243; // "SWBC"

type Row = Record<string, string | number | boolean | null>;

const s = (v: unknown): string => v as string;
const n = (v: unknown): number => Number(v);
const bigOrNull = (v: unknown): bigint | null => (v === null ? null : BigInt(v as string));

export class Books {
  private lockClient: pg.PoolClient | null = null;
  private locking: Promise<boolean> | null = null;

  constructor(
    private readonly pool: pg.Pool,
    readonly kind: 'postgres' | 'pglite',
  ) {}

  private async q(what: string, stmt: Statement | string | { name?: string; text: string; values?: unknown[] }, client: pg.Pool | pg.PoolClient = this.pool): Promise<Row[]> {
    try {
      const r = await client.query(stmt as pg.QueryConfig);
      return r.rows as Row[];
    } catch (err) {
      throw storageError(what, err);
    }
  }

  /**
   * Takes the single-writer lock (PostgreSQL advisory lock on a connection held until
   * {@link close}). False when another back office holds it. PGlite: always true (its directory
   * is locked when opened).
   */
  lockWriter(): Promise<boolean> {
    if (this.kind === 'pglite' || this.lockClient !== null) return Promise.resolve(true);
    this.locking ??= this.tryLock().finally(() => {
      this.locking = null;
    });
    return this.locking;
  }

  private async tryLock(): Promise<boolean> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw storageError('writer lock', err);
    }
    try {
      const r = await client.query('SELECT pg_try_advisory_lock($1::bigint) AS ok', [WRITER_LOCK_KEY]);
      if (r.rows[0]?.ok === true) {
        this.lockClient = client;
        // A lost lock connection means another instance may take over: stop writing until re-locked.
        client.on('error', () => {
          if (this.lockClient !== client) return;
          this.lockClient = null;
          client.release(true);
        });
        return true;
      }
      client.release();
      return false;
    } catch (err) {
      client.release(true);
      throw storageError('writer lock', err);
    }
  }

  private async writerLocked(): Promise<void> {
    if (this.kind === 'postgres' && this.lockClient === null && !(await this.lockWriter())) {
      throw new StorageError('LOCKED', 'another back office holds the writer lock of this database');
    }
  }

  /** Applies one event (see the header). Throws StorageError `LOCKED` while another back office writes. */
  async apply(key: AppliedKey, step: Step): Promise<ApplyResult> {
    await this.writerLocked();
    if (step.kind === 'direct') {
      const rows = await this.q('apply', writeStatement(key, step.writes));
      return rows[0]?.fresh === 1 ? { fresh: true, writes: step.writes } : { fresh: false };
    }
    const { ref } = step;
    const rows = await this.q('read state', { ...STATE_QUERY, values: [key.id, ref.accountId, ref.orderId, ref.symbol] });
    const row = rows[0]!;
    if (row.dup === true) return { fresh: false };
    const writes = step.decide(stateOf(row, ref.accountId));
    const out = await this.q('apply', writeStatement(key, writes));
    return out[0]?.fresh === 1 ? { fresh: true, writes } : { fresh: false };
  }

  /**
   * Applies a batch of events in ONE transaction, in order; results in the same order. Each event
   * is still keyed by its id (a duplicate, before or inside the batch, changes nothing), and each
   * ExecutionReport is decided on the committed state overlaid with the earlier events of the
   * batch (domain/batch-state.ts). Round trips, whatever the batch's size: BEGIN (and no
   * sequential scans, see below), the applied ids,
   * the orders and positions the batch refers to, ONE statement writing every table
   * (batch-sql.ts), COMMIT. All or nothing: any error rolls the
   * whole batch back and throws StorageError (`REJECTED` when the database refused some event's
   * data — the caller then applies the events one by one to find it).
   */
  async applyBatch(items: readonly BatchItem[]): Promise<ApplyResult[]> {
    await this.writerLocked();
    // Only key lookups and keyed upserts here. Prepared while the tables were small, the reads
    // kept a sequential scan: 20 ms per batch at 13 000 applied events, 140 ms at 77 000 (scratch
    // run of applyBatch on PostgreSQL); without scans, flat at ~13 ms.
    return this.transaction('batch', 'BEGIN; SET LOCAL enable_seqscan = off', async (client) => {
      const ids = items.map((it) => it.key.id);
      const applied = new Set((await this.q('applied ids', { ...APPLIED_QUERY, values: [ids] }, client)).map((r) => s(r.event_id)));
      const state = await this.batchState(items, applied, client);
      const seen = new Set<string>();
      const out: ApplyResult[] = [];
      const entries: BatchEntry[] = [];
      for (const { key, step } of items) {
        if (applied.has(key.id) || seen.has(key.id)) {
          out.push({ fresh: false });
          continue;
        }
        seen.add(key.id);
        const writes = step.kind === 'direct' ? step.writes : step.decide(state.state(step.ref));
        state.absorb(writes);
        entries.push({ key, writes });
        out.push({ fresh: true, writes });
      }
      if (entries.length > 0) {
        const rows = await this.q('apply batch', batchWriteStatement(entries, state.changedOrders(), state.changedPositions()), client);
        // The ids were not in applied_events at the start of the transaction and we are the only
        // writer: anything else means another writer, and nothing of this batch may stand.
        if (rows[0]?.fresh !== entries.length) {
          throw new StorageError('FAILED', `batch: ${entries.length - Number(rows[0]?.fresh ?? 0)} of its event ids were applied by someone else meanwhile (two writers?)`);
        }
      }
      return out;
    });
  }

  /**
   * Runs `fn` in one transaction (`begin` opens it) on a connection of its own: COMMIT when `fn`
   * resolves, ROLLBACK and a StorageError (`what`) when anything throws. A checked-out client
   * has no 'error' listener of the pool's, so one is added for the duration: a connection lost
   * between two statements is then not an uncaught 'error' (the next query fails anyway), and
   * the connection is discarded rather than returned to the pool.
   */
  private async transaction<T>(what: string, begin: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw storageError(what, err);
    }
    let broken = false;
    const onError = (): void => {
      broken = true;
    };
    client.on('error', onError);
    try {
      await this.q('begin', begin, client);
      const out = await fn(client);
      await this.q('commit', 'COMMIT', client);
      return out;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw storageError(what, err);
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  /** The committed orders and positions the new events of a batch refer to. */
  private async batchState(items: readonly BatchItem[], applied: ReadonlySet<string>, client: pg.PoolClient): Promise<BatchState> {
    const orders = new Map<string, [string, string]>();
    const positions = new Map<string, [string, string]>();
    for (const { key, step } of items) {
      if (applied.has(key.id)) continue;
      if (step.kind === 'stateful') {
        const { accountId, orderId, symbol } = step.ref;
        orders.set(`${accountId}\u0000${orderId}`, [accountId, orderId]);
        positions.set(`${accountId}\u0000${symbol}`, [accountId, symbol]);
      } else if (step.writes.orderMeta !== undefined) {
        const { accountId, orderId } = step.writes.orderMeta;
        orders.set(`${accountId}\u0000${orderId}`, [accountId, orderId]);
      }
    }
    const state = new BatchState();
    if (orders.size > 0) {
      const pairs = [...orders.values()];
      const rows = await this.q('batch orders', { ...BATCH_ORDERS_QUERY, values: [pairs.map((p) => p[0]), pairs.map((p) => p[1])] }, client);
      for (const r of rows) state.loadOrder(orderOf(r, s(r.o_acct))!);
    }
    if (positions.size > 0) {
      const pairs = [...positions.values()];
      const rows = await this.q('batch positions', { ...BATCH_POSITIONS_QUERY, values: [pairs.map((p) => p[0]), pairs.map((p) => p[1])] }, client);
      for (const r of rows) state.loadPosition(positionOf(r, s(r.p_acct))!);
    }
    return state;
  }

  /** The last applied event id of every gateway stream (the feed cursor). */
  async lastAppliedPerStream(): Promise<string[]> {
    const rows = await this.q(
      'cursor',
      `SELECT DISTINCT ON (gateway_id, stream) event_id FROM applied_events WHERE seq IS NOT NULL ORDER BY gateway_id, stream, seq DESC, idx DESC`,
    );
    return rows.map((r) => s(r.event_id));
  }

  async positions(scope: Scope, limit: number): Promise<PositionRow[]> {
    const rows = await this.q('positions', {
      text: `${POSITION_SELECT} WHERE ($1::text IS NULL OR p.account_id = $1::text) AND ($2::text IS NULL OR p.symbol = $2::text) ORDER BY p.account_id, p.symbol LIMIT $3::int`,
      values: [scope.accountId, scope.symbol ?? null, limit],
    });
    return rows.map(positionRow);
  }

  async balances(scope: Scope, limit: number): Promise<Array<BalanceRecord & { updatedAt: string }>> {
    const rows = await this.q('balances', {
      text: `SELECT account_id, currency, cash::text AS cash, fees::text AS fees, ${iso('updated_at')} AS updated_at FROM balances WHERE ($1::text IS NULL OR account_id = $1::text) ORDER BY account_id, currency LIMIT $2::int`,
      values: [scope.accountId, limit],
    });
    return rows.map((r) => ({ accountId: s(r.account_id), currency: s(r.currency), cash: parseFixed(s(r.cash)), fees: parseFixed(s(r.fees)), updatedAt: s(r.updated_at) }));
  }

  async fills(scope: Scope, page: Page): Promise<FillRow[]> {
    const rows = await this.q('fills', {
      text:
        `SELECT fill_id, event_id, account_id, order_id, exec_id, symbol, side, qty::text AS qty, price::text AS price, notional::text AS notional, ` +
        `fee::text AS fee, currency, cum_qty::text AS cum_qty, venue, ${iso('at')} AS at FROM fills ` +
        `WHERE fill_id > $1::bigint AND ($2::text IS NULL OR account_id = $2::text) AND ($3::text IS NULL OR symbol = $3::text) ORDER BY fill_id LIMIT $4::int`,
      values: [page.after, scope.accountId, scope.symbol ?? null, page.limit],
    });
    return rows.map((r) => ({
      fillId: n(r.fill_id),
      eventId: s(r.event_id),
      accountId: s(r.account_id),
      orderId: s(r.order_id),
      execId: r.exec_id === null ? null : s(r.exec_id),
      symbol: s(r.symbol),
      side: s(r.side) as Side,
      qty: BigInt(s(r.qty)),
      price: parseFixed(s(r.price)),
      notional: BigInt(s(r.notional)),
      fee: parseFixed(s(r.fee)),
      currency: s(r.currency),
      cumQty: BigInt(s(r.cum_qty)),
      venue: r.venue === null ? null : s(r.venue),
      at: s(r.at),
    }));
  }

  async ledger(scope: Scope, page: Page): Promise<LedgerRow[]> {
    return ledgerPage(this, this.pool, scope, page);
  }

  /** @internal used by {@link ledgerPage} */
  query(what: string, stmt: { text: string; values: unknown[] }, client: pg.Pool | pg.PoolClient): Promise<Row[]> {
    return this.q(what, stmt, client);
  }

  async counts(scope: Scope): Promise<Counts> {
    const rows = await this.q('counts', {
      text:
        `SELECT CASE WHEN $1::text IS NULL THEN (SELECT count(*) FROM applied_events) END AS events, ` +
        `(SELECT count(*) FROM orders WHERE $1::text IS NULL OR account_id = $1::text) AS orders, ` +
        `(SELECT count(*) FROM fills WHERE $1::text IS NULL OR account_id = $1::text) AS fills, ` +
        `(SELECT count(*) FROM ledger WHERE $1::text IS NULL OR account_id = $1::text) AS ledger, ` +
        `(SELECT count(*) FROM positions WHERE $1::text IS NULL OR account_id = $1::text) AS positions`,
      values: [scope.accountId],
    });
    const r = rows[0]!;
    return { events: r.events === null ? null : n(r.events), orders: n(r.orders), fills: n(r.fills), ledgerEntries: n(r.ledger), positions: n(r.positions) };
  }

  /**
   * Runs `fn` on one REPEATABLE READ, read-only snapshot of the books of `scope`, so that the
   * ledger and the tables it is compared with are read at the same instant.
   */
  async snapshot<T>(scope: Scope, fn: (r: SnapshotReader) => Promise<T>): Promise<T> {
    return this.transaction('snapshot', 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', async (client) => {
      const reader: SnapshotReader = {
        ledgerPage: (after, limit) => ledgerPage(this, client, { accountId: scope.accountId }, { after, limit }),
        positions: async () =>
          (
            await this.q('positions', {
              text: `${POSITION_SELECT} WHERE ($1::text IS NULL OR p.account_id = $1::text) ORDER BY p.account_id, p.symbol`,
              values: [scope.accountId],
            }, client)
          ).map(positionRow),
        balances: async () =>
          (
            await this.q('balances', {
              text: `SELECT account_id, currency, cash::text AS cash, fees::text AS fees FROM balances WHERE ($1::text IS NULL OR account_id = $1::text)`,
              values: [scope.accountId],
            }, client)
          ).map((r) => ({ accountId: s(r.account_id), currency: s(r.currency), cash: parseFixed(s(r.cash)), fees: parseFixed(s(r.fees)) })),
      };
      return fn(reader);
    });
  }

  /** Releases the writer lock and the pool's connections. */
  async close(): Promise<void> {
    const lock = this.lockClient;
    this.lockClient = null;
    if (lock !== null) {
      try {
        await lock.query('SELECT pg_advisory_unlock($1::bigint)', [WRITER_LOCK_KEY]);
      } catch {
        // the connection is going away anyway: the lock dies with it
      }
      lock.release();
    }
    await this.pool.end();
  }
}

const POSITION_SELECT =
  `SELECT p.account_id, p.symbol, p.currency, p.net_qty::text AS net_qty, p.cost::text AS cost, p.realized::text AS realized, ` +
  `p.fees::text AS fees, ${iso('p.updated_at')} AS updated_at, m.price::text AS mark FROM positions p LEFT JOIN marks m ON m.symbol = p.symbol`;

function positionRow(r: Row): PositionRow {
  return {
    accountId: s(r.account_id),
    symbol: s(r.symbol),
    currency: s(r.currency),
    netQty: BigInt(s(r.net_qty)),
    cost: parseFixed(s(r.cost)),
    realized: parseFixed(s(r.realized)),
    fees: parseFixed(s(r.fees)),
    updatedAt: s(r.updated_at),
    mark: r.mark === null ? null : parseFixed(s(r.mark)),
  };
}

async function ledgerPage(books: Books, client: pg.Pool | pg.PoolClient, scope: Scope, page: Page): Promise<LedgerRow[]> {
  const rows = await books.query(
    'ledger',
    {
      text:
        `SELECT entry_id, event_id, account_id, symbol, currency, qty::text AS qty, value::text AS value, fee::text AS fee, ` +
        `cash_delta::text AS cash_delta, ${iso('at')} AS at FROM ledger ` +
        `WHERE entry_id > $1::bigint AND ($2::text IS NULL OR account_id = $2::text) AND ($3::text IS NULL OR symbol = $3::text) ORDER BY entry_id LIMIT $4::int`,
      values: [page.after, scope.accountId, scope.symbol ?? null, page.limit],
    },
    client,
  );
  return rows.map((r) => ({
    entryId: n(r.entry_id),
    eventId: s(r.event_id),
    accountId: s(r.account_id),
    symbol: s(r.symbol),
    currency: s(r.currency),
    qty: BigInt(s(r.qty)),
    value: parseFixed(s(r.value)),
    fee: parseFixed(s(r.fee)),
    cashDelta: parseFixed(s(r.cash_delta)),
    at: s(r.at),
  }));
}

/** The order and position rows of the state query, as domain records. */
function stateOf(r: Row, accountId: string): BookState {
  return { order: orderOf(r, accountId), position: positionOf(r, accountId) };
}

/** The `o_*` columns of a state row (null when there is no order). */
function orderOf(r: Row, accountId: string): OrderRecord | null {
  return (
    r.o_id === null
      ? null
      : {
          accountId,
          orderId: s(r.o_id),
          symbol: s(r.o_symbol),
          side: s(r.o_side) as Side,
          qty: bigOrNull(r.o_qty),
          price: bigOrNull(r.o_price),
          clientOrderId: r.o_cloid === null ? null : s(r.o_cloid),
          cumQty: BigInt(s(r.o_cum)),
          bookedNotional: BigInt(s(r.o_booked)),
          leavesQty: bigOrNull(r.o_leaves),
          status: r.o_status === null ? null : s(r.o_status),
          acceptedAt: r.o_accepted === null ? null : s(r.o_accepted),
          updatedAt: s(r.o_updated),
        }
  );
}

/** The `p_*` columns of a state row (null when there is no position). */
function positionOf(r: Row, accountId: string): PositionRecord | null {
  return (
    r.p_symbol === null
      ? null
      : {
          accountId,
          symbol: s(r.p_symbol),
          currency: s(r.p_currency),
          netQty: BigInt(s(r.p_net)),
          cost: parseFixed(s(r.p_cost)),
          realized: parseFixed(s(r.p_realized)),
          fees: parseFixed(s(r.p_fees)),
          updatedAt: s(r.p_updated),
        }
  );
}
