/**
 * Reconciliation: positions and balances recomputed from the append-only ledger, diffed against
 * the position and balance tables.
 *
 * The ledger is replayed in entry order through the same {@link applyFill} the booking used, so a
 * book that was only ever moved by booked fills reconciles exactly (no tolerance: the amounts are
 * exact). Every field that differs, and every row present on one side only, is a difference.
 *
 * Pure: {@link Replay} is fed ledger pages by the caller, which reads them and the tables from one
 * database snapshot.
 */
import { formatFixed } from './decimal.js';
import type { LedgerRecord, PositionRecord } from './booking.js';
import { applyFill, FLAT, type PositionAmounts } from './position.js';

export interface BalanceRecord {
  accountId: string;
  currency: string;
  cash: bigint;
  fees: bigint;
}

export interface Difference {
  table: 'positions' | 'balances';
  accountId: string;
  /** symbol for positions, currency for balances */
  key: string;
  field: string;
  /** recomputed from the ledger; null when the ledger has no such row */
  ledger: string | null;
  /** in the table; null when the table has no such row */
  actual: string | null;
}

export interface ReconcileReport {
  result: 'PASS' | 'FAIL';
  ledgerEntries: number;
  positions: number;
  balances: number;
  differenceCount: number;
  /** at most {@link MAX_DIFFERENCES_LISTED} */
  differences: Difference[];
}

export const MAX_DIFFERENCES_LISTED = 1000;

const key2 = (a: string, b: string): string => `${a}\u0000${b}`;

/** Ledger replay: feed entries in ledger order, then {@link diff} against the tables. */
export class Replay {
  readonly positions = new Map<string, { accountId: string; symbol: string; amounts: PositionAmounts }>();
  readonly balances = new Map<string, BalanceRecord>();
  entries = 0;

  add(e: Pick<LedgerRecord, 'accountId' | 'symbol' | 'currency' | 'qty' | 'value' | 'fee' | 'cashDelta'>): void {
    this.entries++;
    const pk = key2(e.accountId, e.symbol);
    const p = this.positions.get(pk);
    const amounts = applyFill(p?.amounts ?? FLAT, e.qty, e.value, e.fee);
    if (p === undefined) this.positions.set(pk, { accountId: e.accountId, symbol: e.symbol, amounts });
    else p.amounts = amounts;
    const bk = key2(e.accountId, e.currency);
    const b = this.balances.get(bk);
    if (b === undefined) this.balances.set(bk, { accountId: e.accountId, currency: e.currency, cash: e.cashDelta, fees: e.fee });
    else {
      b.cash += e.cashDelta;
      b.fees += e.fee;
    }
  }

  diff(positions: Iterable<PositionRecord>, balances: Iterable<BalanceRecord>): ReconcileReport {
    const out: Difference[] = [];
    let count = 0;
    const note = (d: Difference): void => {
      count++;
      if (out.length < MAX_DIFFERENCES_LISTED) out.push(d);
    };
    const fields: Array<[keyof PositionAmounts, 'netQty' | 'cost' | 'realizedPnl' | 'fees']> = [
      ['netQty', 'netQty'],
      ['cost', 'cost'],
      ['realized', 'realizedPnl'],
      ['fees', 'fees'],
    ];
    const show = (k: keyof PositionAmounts, v: bigint): string => (k === 'netQty' ? v.toString() : formatFixed(v));

    const seenP = new Set<string>();
    let nPositions = 0;
    for (const row of positions) {
      nPositions++;
      const k = key2(row.accountId, row.symbol);
      seenP.add(k);
      const exp = this.positions.get(k);
      for (const [f, name] of fields) {
        const a = row[f];
        const e = exp?.amounts[f];
        if (e === undefined) {
          note({ table: 'positions', accountId: row.accountId, key: row.symbol, field: name, ledger: null, actual: show(f, a) });
        } else if (e !== a) {
          note({ table: 'positions', accountId: row.accountId, key: row.symbol, field: name, ledger: show(f, e), actual: show(f, a) });
        }
      }
    }
    for (const [k, exp] of this.positions) {
      if (seenP.has(k)) continue;
      for (const [f, name] of fields) note({ table: 'positions', accountId: exp.accountId, key: exp.symbol, field: name, ledger: show(f, exp.amounts[f]), actual: null });
    }

    const seenB = new Set<string>();
    let nBalances = 0;
    for (const row of balances) {
      nBalances++;
      const k = key2(row.accountId, row.currency);
      seenB.add(k);
      const exp = this.balances.get(k);
      for (const f of ['cash', 'fees'] as const) {
        if (exp === undefined) note({ table: 'balances', accountId: row.accountId, key: row.currency, field: f, ledger: null, actual: formatFixed(row[f]) });
        else if (exp[f] !== row[f]) note({ table: 'balances', accountId: row.accountId, key: row.currency, field: f, ledger: formatFixed(exp[f]), actual: formatFixed(row[f]) });
      }
    }
    for (const [k, exp] of this.balances) {
      if (seenB.has(k)) continue;
      for (const f of ['cash', 'fees'] as const) note({ table: 'balances', accountId: exp.accountId, key: exp.currency, field: f, ledger: formatFixed(exp[f]), actual: null });
    }
    return { result: count === 0 ? 'PASS' : 'FAIL', ledgerEntries: this.entries, positions: nPositions, balances: nBalances, differenceCount: count, differences: out };
  }
}
