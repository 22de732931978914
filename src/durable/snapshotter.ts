/**
 * State snapshots of the durable book, taken on a cadence of journal records
 * (SNAPSHOT_EVERY_RECORDS) without holding the event loop: the state is serialised a slice at a
 * time (the cursor pins what it covers), the file is written only once every record it reflects
 * is durable, then written asynchronously. A restart loads the newest snapshot and replays the
 * journal after its seq (durable/recovery.ts).
 *
 * Owner: the event-loop thread; one snapshot at a time. The durable service counts its records
 * here and waits for a snapshot in progress before it closes the journal.
 */
import type { Logger } from 'pino';
import type { DurableConfig } from '../config/durable.js';
import type { JournalWriter } from '../journal/index.js';
import { writeSnapshot } from '../journal/snapshot.js';
import type { OrderBook } from '../orders/book.js';
import { SnapshotCursor } from '../orders/snapshot.js';
import type { DurableCounters } from './types.js';

/** Book events serialised per slice before yielding to the event loop. */
const SLICE_EVENTS = 2000;
const SLICE_MS = 4;

export interface SnapshotterDeps {
  cfg: DurableConfig;
  log: Logger;
  book: OrderBook;
  counters: DurableCounters;
  clock: { nowMs(): number };
  /** the execution stage's venue state, taken with the snapshot's seq; null: none */
  venueState: (() => unknown) | null;
}

export class Snapshotter {
  private recordsSince = 0;
  private run: Promise<void> | null = null;

  constructor(private readonly d: SnapshotterDeps) {}

  /** The snapshot being taken, or null. */
  get running(): Promise<void> | null {
    return this.run;
  }

  /**
   * Counts a journal record (venue records too). The snapshot starts on the next turn of the
   * event loop, not inside the append: the caller has not finished applying what it journaled
   * yet (a venue report's state and exposure change right after its append), and everything a
   * snapshot holds must reflect exactly the records up to its seq.
   */
  count(w: JournalWriter): void {
    const every = this.d.cfg.snapshotEveryRecords;
    if (every > 0 && ++this.recordsSince >= every && this.run === null) {
      this.recordsSince = 0;
      this.run = new Promise<void>((r) => setImmediate(r))
        .then(() => (w.failed ? undefined : this.take(w)))
        .finally(() => {
          this.run = null;
        });
    }
  }

  /** Takes a snapshot of the book as of the journal's current head. */
  take(w: JournalWriter): Promise<void> {
    const d = this.d;
    const seq = w.lastSeq;
    // Everything the snapshot holds besides the book's events is taken here, with `seq`.
    const cursor = new SnapshotCursor(d.book, seq, {
      nowMs: d.clock.nowMs(),
      retention: { terminalMs: d.cfg.snapshotRetainTerminalSec * 1000, keyTtlMs: d.cfg.idempotencyTtlSec * 1000 },
      accounts: d.book.risk.accountStates(),
      venue: d.venueState === null ? null : d.venueState(),
    });
    const t0 = performance.now();
    const chunks: Buffer[] = [];
    return new Promise<void>((resolve) => {
      const step = (): void => {
        if (w.failed) {
          d.counters.snapshotFailures++;
          return resolve();
        }
        const until = performance.now() + SLICE_MS;
        do chunks.push(Buffer.from(cursor.next(SLICE_EVENTS), 'utf8'));
        while (!cursor.done && performance.now() < until);
        if (!cursor.done) return void setImmediate(step);
        void this.finish(w, seq, chunks, t0, cursor).then(resolve);
      };
      setImmediate(step);
    });
  }

  private async finish(w: JournalWriter, seq: number, chunks: Buffer[], t0: number, cursor: SnapshotCursor): Promise<void> {
    const { cfg, counters: c, log } = this.d;
    try {
      while (w.lastDurableSeq < seq) {
        if (w.failed) throw new Error('journal failed before the snapshot was covered');
        await new Promise((r) => setTimeout(r, 2));
      }
      const bytes = Buffer.concat(chunks);
      await writeSnapshot(cfg.snapshotDir, seq, bytes, { keep: cfg.snapshotKeep });
      c.snapshots++;
      c.snapshotLastSeq = seq;
      c.snapshotLastMs = performance.now() - t0;
      c.snapshotLastBytes = bytes.length;
      c.snapshotLastOrders = cursor.orders;
      log.info({ seq, bytes: bytes.length, orders: cursor.orders, events: cursor.events, eventsLeftOut: cursor.skipped, ms: Math.round(c.snapshotLastMs) }, 'snapshot written');
    } catch (err) {
      c.snapshotFailures++;
      log.error({ err, seq }, 'snapshot failed (recovery replays more of the journal until the next one)');
    }
  }
}
