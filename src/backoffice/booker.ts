/**
 * The booking loop's step: a batch of delivered events → their plans (domain/booking.ts) → one
 * transaction (the {@link BookStore}) → metrics. An input calls {@link Booker.handleBatch} with
 * the events it has at hand, in order (a batch of one when only one is waiting), and acknowledges
 * them once it resolves, i.e. after the commit.
 *
 * Failures: a storage error is retried with backoff until it succeeds or the booker stops
 * (`handleBatch` then resolves false and the input must not acknowledge). An error in which the
 * database refused an event's data itself (StorageError `REJECTED`) cannot succeed on retry: a
 * batch that failed so is applied again one event per transaction ({@link Booker.handle}), where
 * the refused event is recorded as `rejected:STORAGE_<SQLSTATE>` so that the stream moves on.
 *
 * Owner: the event loop; one batch at a time. Clock injected (`nowMs`, `monoMs`).
 */
import type { Logger } from 'pino';
import { type BookingConfig } from './config.js';
import { type AppliedKey, planEvent, type Step } from './domain/booking.js';
import { parseEventId, validEventId } from './domain/event-id.js';
import { backoffMs, type RetryBounds, sleep } from './backoff.js';
import type { Delivery } from './input/delivery.js';
import type { BackofficeStats } from './metrics.js';
import type { ApplyResult, BatchItem } from './storage/books.js';
import { StorageError } from './storage/errors.js';

/** What the booker needs of the storage. */
export interface BookStore {
  apply(key: AppliedKey, step: Step): Promise<ApplyResult>;
  /** All the items in one transaction, in order; results in the same order. */
  applyBatch(items: readonly BatchItem[]): Promise<ApplyResult[]>;
}

export interface Clock {
  /** epoch ms */
  nowMs(): number;
  /** monotonic ms (performance.now()) */
  monoMs(): number;
}

export const systemClock: Clock = { nowMs: Date.now, monoMs: () => performance.now() };

export class Booker {
  private readonly abort = new AbortController();

  constructor(
    private readonly store: BookStore,
    private readonly rules: BookingConfig,
    private readonly stats: BackofficeStats,
    private readonly retry: RetryBounds,
    private readonly log: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  /** The key and plan of one delivery; null (counted, logged) when its id cannot be a key. */
  private plan(d: Delivery): BatchItem | null {
    if (!validEventId(d.id)) {
      // Not a key we can store: there is nothing to dedup on, so it cannot be booked.
      this.stats.countOutcome('rejected');
      this.log.warn({ eventId: d.id.slice(0, 300) }, 'back office: event id unusable (1-256 printable ASCII, no commas); skipped');
      return null;
    }
    const id = d.id;
    return { key: { id, position: parseEventId(id), type: d.event?.type ?? 'INVALID', at: d.event?.at ?? null } satisfies AppliedKey, step: planEvent(id, d.event, this.rules, d.problem) };
  }

  /** Applies one event once (no retry): throws StorageError. */
  async book(d: Delivery): Promise<ApplyResult> {
    const t0 = this.clock.monoMs();
    const item = this.plan(d);
    if (item === null) return { fresh: false };
    const r = await this.store.apply(item.key, item.step);
    this.account(d, r, t0);
    return r;
  }

  /** Applies a batch once, in one transaction (no retry): throws StorageError. */
  async bookBatch(ds: readonly Delivery[]): Promise<ApplyResult[]> {
    const t0 = this.clock.monoMs();
    const items: BatchItem[] = [];
    const planned: Delivery[] = [];
    for (const d of ds) {
      const item = this.plan(d);
      if (item === null) continue;
      items.push(item);
      planned.push(d);
    }
    if (items.length === 0) return [];
    const rs = await this.store.applyBatch(items);
    this.stats.batches++;
    for (let i = 0; i < rs.length; i++) this.account(planned[i]!, rs[i]!, t0);
    return rs;
  }

  private account(d: Delivery, r: ApplyResult, t0: number): void {
    const s = this.stats;
    const t1 = this.clock.monoMs();
    s.apply.since(t0, t1);
    if (!r.fresh) {
      s.duplicates++;
      return;
    }
    const outcome = r.writes.outcome;
    s.countOutcome(outcome);
    if (r.writes.fill !== undefined) s.fills++;
    if (outcome.startsWith('rejected')) {
      this.log.warn({ eventId: d.id, outcome, problem: d.problem }, 'back office: event rejected');
    }
    const now = this.clock.nowMs();
    s.lastEventId = d.id;
    s.lastAppliedMs = now;
    if (d.event !== null) {
      s.lastEventAt = d.event.at;
      const lagMs = now - Date.parse(d.event.at);
      s.lastLagMs = lagMs;
      if (lagMs >= 0) s.lag.record(lagMs * 1e6);
    }
  }

  /**
   * Applies one event, retrying storage failures with backoff. True once it is committed (or was
   * applied before); false when the booker was stopped first.
   */
  async handle(d: Delivery): Promise<boolean> {
    let delivery = d;
    for (let attempt = 0; ; attempt++) {
      if (this.abort.signal.aborted) return false;
      try {
        await this.book(delivery);
        return true;
      } catch (err) {
        const e = err instanceof StorageError ? err : new StorageError('FAILED', (err as Error)?.message ?? String(err), { cause: err });
        this.stats.countStorageError(e.code);
        if (e.code === 'REJECTED') {
          this.log.error({ eventId: d.id, err: e.message, sqlState: e.sqlState }, 'back office: the database refused the event; recording it as rejected');
          delivery = { id: d.id, event: null, problem: `STORAGE_${e.sqlState ?? 'REJECTED'}` };
          continue;
        }
        const wait = backoffMs(attempt, this.retry);
        const level = attempt === 0 || attempt % 10 === 0 ? 'warn' : 'debug';
        this.log[level]({ eventId: d.id, code: e.code, err: e.message, attempt, retryInMs: wait }, 'back office: booking failed; retrying');
        if (!(await sleep(wait, this.abort.signal))) return false;
      }
    }
  }

  /**
   * Applies a batch in one transaction, retrying storage failures with backoff; a batch the
   * database refused (`REJECTED`) is applied one event per transaction instead (see the header).
   * True once every event is committed (or was applied before); false when the booker was
   * stopped first.
   */
  async handleBatch(ds: readonly Delivery[]): Promise<boolean> {
    if (ds.length === 1) return this.handle(ds[0]!);
    for (let attempt = 0; ; attempt++) {
      if (this.abort.signal.aborted) return false;
      try {
        await this.bookBatch(ds);
        return true;
      } catch (err) {
        const e = err instanceof StorageError ? err : new StorageError('FAILED', (err as Error)?.message ?? String(err), { cause: err });
        this.stats.countStorageError(e.code);
        if (e.code === 'REJECTED') {
          this.log.warn({ events: ds.length, first: ds[0]?.id, err: e.message, sqlState: e.sqlState }, 'back office: the database refused an event of the batch; applying it event by event');
          for (const d of ds) if (!(await this.handle(d))) return false;
          return true;
        }
        const wait = backoffMs(attempt, this.retry);
        const level = attempt === 0 || attempt % 10 === 0 ? 'warn' : 'debug';
        this.log[level]({ events: ds.length, first: ds[0]?.id, code: e.code, err: e.message, attempt, retryInMs: wait }, 'back office: booking a batch failed; retrying');
        if (!(await sleep(wait, this.abort.signal))) return false;
      }
    }
  }

  /** Stops retrying: a pending {@link handle} or {@link handleBatch} resolves false. */
  stop(): void {
    this.abort.abort();
  }
}
