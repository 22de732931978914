/**
 * The booking loop's step: one delivered event → its plan (domain/booking.ts) → one transaction
 * (the {@link BookStore}) → metrics. An input calls {@link Booker.handle} for each event in order
 * and acknowledges the event once it resolves, i.e. after the commit.
 *
 * Failures: a storage error is retried with backoff until it succeeds or the booker stops
 * (`handle` then resolves false and the input must not acknowledge). An error in which the
 * database refused the event's data itself (StorageError `REJECTED`) cannot succeed on retry:
 * the event is recorded as `rejected:STORAGE_<SQLSTATE>` so that the stream moves on.
 *
 * Owner: the event loop; one event at a time. Clock injected (`nowMs`, `monoMs`).
 */
import type { Logger } from 'pino';
import { type BookingConfig } from './config.js';
import { type AppliedKey, planEvent, type Step } from './domain/booking.js';
import { parseEventId, validEventId } from './domain/event-id.js';
import { backoffMs, type RetryBounds, sleep } from './backoff.js';
import type { Delivery } from './input/delivery.js';
import type { BackofficeStats } from './metrics.js';
import type { ApplyResult } from './storage/books.js';
import { StorageError } from './storage/errors.js';

/** What the booker needs of the storage. */
export interface BookStore {
  apply(key: AppliedKey, step: Step): Promise<ApplyResult>;
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

  /** Applies one event once (no retry): throws StorageError. */
  async book(d: Delivery): Promise<ApplyResult> {
    const t0 = this.clock.monoMs();
    const id = validEventId(d.id) ? d.id : null;
    if (id === null) {
      // Not a key we can store: there is nothing to dedup on, so it cannot be booked.
      this.stats.countOutcome('rejected');
      this.log.warn({ eventId: d.id.slice(0, 300) }, 'back office: event id unusable (1-256 printable ASCII, no commas); skipped');
      return { fresh: false };
    }
    const key: AppliedKey = { id, position: parseEventId(id), type: d.event?.type ?? 'INVALID', at: d.event?.at ?? null };
    const step = planEvent(id, d.event, this.rules, d.problem);
    const r = await this.store.apply(key, step);
    this.account(d, r, t0);
    return r;
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

  /** Stops retrying: a pending {@link handle} resolves false. */
  stop(): void {
    this.abort.abort();
  }
}
