/**
 * Runs a reconciliation (domain/reconcile.ts) over one database snapshot: the ledger in pages of
 * {@link PAGE} entries, then the position and balance tables, all read at the same instant so
 * that events committed meanwhile cannot make a sound book look wrong.
 */
import { Replay, type ReconcileReport } from './domain/reconcile.js';
import type { Scope, SnapshotReader } from './storage/books.js';

export const PAGE = 5_000;

/** What reconciliation needs of the storage. */
export interface LedgerSnapshots {
  snapshot<T>(scope: Scope, fn: (r: SnapshotReader) => Promise<T>): Promise<T>;
}

export function reconcile(books: LedgerSnapshots, accountId: string | null): Promise<ReconcileReport> {
  return books.snapshot({ accountId }, async (r) => {
    const replay = new Replay();
    for (let after = 0; ; ) {
      const page = await r.ledgerPage(after, PAGE);
      for (const e of page) replay.add(e);
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.entryId;
    }
    return replay.diff(await r.positions(), await r.balances());
  });
}
