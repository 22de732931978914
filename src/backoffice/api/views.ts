/**
 * JSON shapes of the back office API. Money and prices are decimal strings in ticks (exact, no
 * float): `"15000"`, `"-1.5"`. Quantities are JSON numbers (strings beyond 2^53). Times are ISO 8601
 * UTC with milliseconds. Pure.
 */
import { formatFixed, jsonQty } from '../domain/decimal.js';
import { averagePrice, unrealized } from '../domain/position.js';
import type { BalanceRecord } from '../domain/reconcile.js';
import type { FillRow, LedgerRow, PositionRow } from '../storage/books.js';

const fx = (v: bigint | null): string | null => (v === null ? null : formatFixed(v));

export function positionView(p: PositionRow) {
  const upnl = p.mark === null ? null : unrealized(p, p.mark);
  return {
    accountId: p.accountId,
    symbol: p.symbol,
    currency: p.currency,
    netQty: jsonQty(p.netQty),
    avgPx: fx(averagePrice(p)),
    cost: formatFixed(p.cost),
    realizedPnl: formatFixed(p.realized),
    unrealizedPnl: fx(upnl),
    markPx: fx(p.mark),
    fees: formatFixed(p.fees),
    updatedAt: p.updatedAt,
  };
}

export function balanceView(b: BalanceRecord & { updatedAt: string }) {
  return { accountId: b.accountId, currency: b.currency, cash: formatFixed(b.cash), fees: formatFixed(b.fees), updatedAt: b.updatedAt };
}

export function fillView(f: FillRow) {
  return {
    fillId: f.fillId,
    eventId: f.eventId,
    accountId: f.accountId,
    orderId: f.orderId,
    execId: f.execId,
    symbol: f.symbol,
    side: f.side,
    qty: jsonQty(f.qty),
    price: formatFixed(f.price),
    notional: f.notional.toString(),
    fee: formatFixed(f.fee),
    currency: f.currency,
    cumQty: jsonQty(f.cumQty),
    venue: f.venue,
    at: f.at,
  };
}

export function ledgerView(e: LedgerRow) {
  return {
    entryId: e.entryId,
    eventId: e.eventId,
    accountId: e.accountId,
    symbol: e.symbol,
    currency: e.currency,
    qty: jsonQty(e.qty),
    value: formatFixed(e.value),
    fee: formatFixed(e.fee),
    cashDelta: formatFixed(e.cashDelta),
    at: e.at,
  };
}

/**
 * P&L per position and totals per account and currency: realized (closed trades), unrealized
 * (open quantity against the symbol's last fill price), fees, and net = realized + unrealized − fees.
 */
export function pnlView(rows: readonly PositionRow[]) {
  const totals = new Map<string, { accountId: string; currency: string; realized: bigint; unrealized: bigint; fees: bigint }>();
  const positions = rows.map((p) => {
    const upnl = p.mark === null ? 0n : unrealized(p, p.mark);
    const k = `${p.accountId}\u0000${p.currency}`;
    let t = totals.get(k);
    if (t === undefined) totals.set(k, (t = { accountId: p.accountId, currency: p.currency, realized: 0n, unrealized: 0n, fees: 0n }));
    t.realized += p.realized;
    t.unrealized += upnl;
    t.fees += p.fees;
    return {
      accountId: p.accountId,
      symbol: p.symbol,
      currency: p.currency,
      netQty: jsonQty(p.netQty),
      avgPx: fx(averagePrice(p)),
      markPx: fx(p.mark),
      realizedPnl: formatFixed(p.realized),
      unrealizedPnl: formatFixed(upnl),
      fees: formatFixed(p.fees),
      netPnl: formatFixed(p.realized + upnl - p.fees),
    };
  });
  return {
    positions,
    totals: [...totals.values()].map((t) => ({
      accountId: t.accountId,
      currency: t.currency,
      realizedPnl: formatFixed(t.realized),
      unrealizedPnl: formatFixed(t.unrealized),
      fees: formatFixed(t.fees),
      netPnl: formatFixed(t.realized + t.unrealized - t.fees),
    })),
  };
}
