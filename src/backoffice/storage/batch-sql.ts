/**
 * The ONE statement that writes a whole batch of events (books.ts `applyBatch`): every table is
 * written by one multi-row INSERT over arrays (`unnest`), so a batch costs the same few round
 * trips whatever its size — one statement per event was measured at 7–8k events/s on the
 * development machine (bench:backoffice booking-batch), a round trip per event being the limit.
 *
 * What it writes, from the decisions of the batch's events (in order) and their final state:
 *  - applied_events: one row per new event id (`ON CONFLICT DO NOTHING`; the caller checks that
 *    all were inserted — the ids were checked new under the single-writer lock);
 *  - fills, ledger: one row per fill, in event order (`WITH ORDINALITY … ORDER BY`, so ids follow
 *    the events);
 *  - orders, positions: the FINAL state of each row the batch changed (domain/batch-state.ts),
 *    as an upsert of the whole row — the same end state as the per-event upserts of sql.ts, which
 *    a multi-row upsert could not do (it may not touch one row twice);
 *  - balances: the sum of the batch's deltas per account and currency, added to the row;
 *  - marks: per symbol the batch's latest (by `at`, later event on a tie), kept only when not
 *    older than the stored one — as the per-event `WHERE marks.at <= EXCLUDED.at`.
 *
 * Returns one row `{fresh}`: the number of applied_events rows inserted. Pure string building.
 */
import { sqlFixed } from '../domain/decimal.js';
import type { AppliedKey, BalanceDelta, Mark, OrderRecord, PositionRecord, Writes } from '../domain/booking.js';

/** A named statement with array parameters. */
export interface BatchStatement {
  name: string;
  text: string;
  values: Array<Array<string | null>>;
}

const big = (v: bigint | null): string | null => (v === null ? null : v.toString());

/** Columns as parallel arrays, one `$n::type[]` parameter each. */
class Columns {
  readonly values: Array<Array<string | null>> = [];
  private readonly types: string[] = [];
  col(type: string): (v: string | null) => void {
    const arr: Array<string | null> = [];
    this.values.push(arr);
    this.types.push(type);
    return (v) => arr.push(v);
  }
  /** `unnest($a::t[], …)` of the columns from `from` to `to` (exclusive), 1-based parameters */
  unnest(from: number, to: number): string {
    const args = [];
    for (let i = from; i < to; i++) args.push(`$${i + 1}::${this.types[i]}[]`);
    return `unnest(${args.join(', ')})`;
  }
}

export interface BatchEntry {
  key: AppliedKey;
  writes: Writes;
}

export function batchWriteStatement(entries: readonly BatchEntry[], orders: readonly OrderRecord[], positions: readonly PositionRecord[]): BatchStatement {
  const c = new Columns();
  // applied_events: 0..8
  const aId = c.col('text'), aGw = c.col('text'), aStream = c.col('text'), aSeq = c.col('bigint'), aIdx = c.col('integer');
  const aType = c.col('text'), aOutcome = c.col('text'), aAt = c.col('timestamptz');
  // fills: 8..22
  const fEvent = c.col('text'), fAcct = c.col('text'), fOrder = c.col('text'), fExec = c.col('text'), fSym = c.col('text'), fSide = c.col('text');
  const fQty = c.col('bigint'), fPrice = c.col('numeric'), fNotional = c.col('numeric'), fFee = c.col('numeric'), fCur = c.col('text');
  const fCum = c.col('bigint'), fVenue = c.col('text'), fAt = c.col('timestamptz');
  // ledger: 22..31
  const lEvent = c.col('text'), lAcct = c.col('text'), lSym = c.col('text'), lCur = c.col('text'), lQty = c.col('bigint');
  const lValue = c.col('numeric'), lFee = c.col('numeric'), lCash = c.col('numeric'), lAt = c.col('timestamptz');
  // orders: 31..44
  const oAcct = c.col('text'), oId = c.col('text'), oSym = c.col('text'), oSide = c.col('text'), oQty = c.col('bigint'), oPrice = c.col('bigint');
  const oCloid = c.col('text'), oCum = c.col('bigint'), oBooked = c.col('numeric'), oLeaves = c.col('bigint'), oStatus = c.col('text');
  const oAccepted = c.col('timestamptz'), oUpdated = c.col('timestamptz');
  // positions: 44..52
  const pAcct = c.col('text'), pSym = c.col('text'), pCur = c.col('text'), pNet = c.col('bigint'), pCost = c.col('numeric');
  const pRealized = c.col('numeric'), pFees = c.col('numeric'), pUpdated = c.col('timestamptz');
  // balances: 52..57
  const bAcct = c.col('text'), bCur = c.col('text'), bCash = c.col('numeric'), bFees = c.col('numeric'), bAt = c.col('timestamptz');
  // marks: 57..60
  const kSym = c.col('text'), kPrice = c.col('numeric'), kAt = c.col('timestamptz');

  const balances = new Map<string, BalanceDelta & { at: string | null }>();
  const marks = new Map<string, Mark>();
  for (const { key, writes: w } of entries) {
    const pos = key.position;
    aId(key.id);
    aGw(pos?.gatewayId ?? null);
    aStream(pos?.stream ?? null);
    aSeq(pos === null ? null : String(pos.seq));
    aIdx(pos === null ? null : String(pos.index));
    aType(key.type);
    aOutcome(w.outcome);
    aAt(key.at);
    const f = w.fill;
    if (f !== undefined) {
      fEvent(f.eventId), fAcct(f.accountId), fOrder(f.orderId), fExec(f.execId), fSym(f.symbol), fSide(f.side);
      fQty(big(f.qty)), fPrice(sqlFixed(f.price)), fNotional(big(f.notional)), fFee(sqlFixed(f.fee)), fCur(f.currency);
      fCum(big(f.cumQty)), fVenue(f.venue), fAt(f.at);
    }
    const l = w.ledger;
    if (l !== undefined) {
      lEvent(l.eventId), lAcct(l.accountId), lSym(l.symbol), lCur(l.currency), lQty(big(l.qty));
      lValue(sqlFixed(l.value)), lFee(sqlFixed(l.fee)), lCash(sqlFixed(l.cashDelta)), lAt(l.at);
    }
    const b = w.balance;
    if (b !== undefined) {
      const k = `${b.accountId}\u0000${b.currency}`;
      const cur = balances.get(k);
      const at = w.fill?.at ?? key.at;
      balances.set(k, cur === undefined ? { ...b, at } : { ...cur, cash: cur.cash + b.cash, fees: cur.fees + b.fees, at });
    }
    const m = w.mark;
    if (m !== undefined) {
      const cur = marks.get(m.symbol);
      if (cur === undefined || Date.parse(cur.at) <= Date.parse(m.at)) marks.set(m.symbol, m);
    }
  }
  for (const o of orders) {
    oAcct(o.accountId), oId(o.orderId), oSym(o.symbol), oSide(o.side), oQty(big(o.qty)), oPrice(big(o.price));
    oCloid(o.clientOrderId), oCum(big(o.cumQty)), oBooked(big(o.bookedNotional)), oLeaves(big(o.leavesQty)), oStatus(o.status);
    oAccepted(o.acceptedAt), oUpdated(o.updatedAt);
  }
  for (const p of positions) {
    pAcct(p.accountId), pSym(p.symbol), pCur(p.currency), pNet(big(p.netQty)), pCost(sqlFixed(p.cost));
    pRealized(sqlFixed(p.realized)), pFees(sqlFixed(p.fees)), pUpdated(p.updatedAt);
  }
  for (const b of balances.values()) {
    bAcct(b.accountId), bCur(b.currency), bCash(sqlFixed(b.cash)), bFees(sqlFixed(b.fees)), bAt(b.at);
  }
  for (const m of marks.values()) {
    kSym(m.symbol), kPrice(sqlFixed(m.price)), kAt(m.at);
  }

  const text =
    `WITH a AS (INSERT INTO applied_events (event_id, gateway_id, stream, seq, idx, type, outcome, event_at) ` +
    `SELECT * FROM ${c.unnest(0, 8)} ON CONFLICT (event_id) DO NOTHING RETURNING 1), ` +
    `f AS (INSERT INTO fills (event_id, account_id, order_id, exec_id, symbol, side, qty, price, notional, fee, currency, cum_qty, venue, at) ` +
    `SELECT v.e, v.acct, v.ord, v.exec, v.sym, v.side, v.qty, v.price, v.notional, v.fee, v.cur, v.cum, v.venue, v.at FROM ${c.unnest(8, 22)} ` +
    `WITH ORDINALITY AS v(e, acct, ord, exec, sym, side, qty, price, notional, fee, cur, cum, venue, at, n) ORDER BY v.n), ` +
    `l AS (INSERT INTO ledger (event_id, account_id, symbol, currency, qty, value, fee, cash_delta, at) ` +
    `SELECT v.e, v.acct, v.sym, v.cur, v.qty, v.value, v.fee, v.cash, v.at FROM ${c.unnest(22, 31)} ` +
    `WITH ORDINALITY AS v(e, acct, sym, cur, qty, value, fee, cash, at, n) ORDER BY v.n), ` +
    `o AS (INSERT INTO orders (account_id, order_id, symbol, side, qty, price, client_order_id, cum_qty, booked_notional, leaves_qty, status, accepted_at, updated_at) ` +
    `SELECT * FROM ${c.unnest(31, 44)} ON CONFLICT (account_id, order_id) DO UPDATE SET qty = EXCLUDED.qty, price = EXCLUDED.price, ` +
    `client_order_id = EXCLUDED.client_order_id, cum_qty = EXCLUDED.cum_qty, booked_notional = EXCLUDED.booked_notional, leaves_qty = EXCLUDED.leaves_qty, ` +
    `status = EXCLUDED.status, accepted_at = EXCLUDED.accepted_at, updated_at = EXCLUDED.updated_at), ` +
    `p AS (INSERT INTO positions (account_id, symbol, currency, net_qty, cost, realized, fees, updated_at) ` +
    `SELECT * FROM ${c.unnest(44, 52)} ON CONFLICT (account_id, symbol) DO UPDATE SET net_qty = EXCLUDED.net_qty, cost = EXCLUDED.cost, ` +
    `realized = EXCLUDED.realized, fees = EXCLUDED.fees, updated_at = EXCLUDED.updated_at), ` +
    `b AS (INSERT INTO balances (account_id, currency, cash, fees, updated_at) ` +
    `SELECT * FROM ${c.unnest(52, 57)} ON CONFLICT (account_id, currency) DO UPDATE SET cash = balances.cash + EXCLUDED.cash, ` +
    `fees = balances.fees + EXCLUDED.fees, updated_at = EXCLUDED.updated_at), ` +
    `k AS (INSERT INTO marks (symbol, price, at) SELECT * FROM ${c.unnest(57, 60)} ` +
    `ON CONFLICT (symbol) DO UPDATE SET price = EXCLUDED.price, at = EXCLUDED.at WHERE marks.at <= EXCLUDED.at) ` +
    `SELECT count(*)::int AS fresh FROM a`;
  return { name: 'bo_apply_batch', text, values: c.values };
}
