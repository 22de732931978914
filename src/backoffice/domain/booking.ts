/**
 * Booking rules: what one `bus_event_v1` event does to the books, as a value ({@link Writes})
 * that the storage layer commits in one transaction with the event id.
 *
 *  - OrderAccepted: order meta (symbol, side, qty, price, clientOrderId). Needs no state: it is
 *    merged into the order row, which an ExecutionReport may have created first (the two can
 *    travel on different journal streams).
 *  - ExecutionReport: needs the order's booked state and the position. A fill is only the
 *    increase of cumQty over what was booked for the order. Its notional is lastPx × increase
 *    when lastQty equals the increase (one fill per report), else avgPx × cumQty − the notional
 *    already booked (reports coalesced or skipped; avgPx × cumQty is rounded to whole ticks, as
 *    every fill price is an integer tick). A report at or below the booked cumQty books nothing
 *    (same level: status update; lower: stale, out of order).
 *  - every other type: recorded (the event id is kept, nothing else changes).
 *  - an invalid event: recorded as `rejected:<REASON>`, never retried, never crashes.
 *
 * Cash moves in the symbol's currency: −notional − fee for a buy, +notional − fee for a sell, with
 * fee = notional × bps / 10 000. Amounts are exact (decimal.ts); timestamps are the event's `at`.
 *
 * Pure: no I/O, no clock.
 */
import type { BusEvent } from '../../contract/bus-event.js';
import { currencyOf, type BookingConfig } from '../config.js';
import { divRound, feeOf, fromTicks, ONE, roundProduct } from './decimal.js';
import type { EventPosition } from './event-id.js';
import { applyFill, FLAT, type PositionAmounts } from './position.js';

export type Side = 'BUY' | 'SELL';

export interface OrderRecord {
  accountId: string;
  orderId: string;
  symbol: string;
  side: Side;
  /** from OrderAccepted; null until it is seen */
  qty: bigint | null;
  /** limit price in ticks; null for MARKET or until OrderAccepted is seen */
  price: bigint | null;
  clientOrderId: string | null;
  /** highest cumQty booked */
  cumQty: bigint;
  /** notional of the fills booked so far, whole ticks */
  bookedNotional: bigint;
  leavesQty: bigint | null;
  status: string | null;
  acceptedAt: string | null;
  updatedAt: string;
}

/** OrderAccepted's contribution, merged into the order row. */
export interface OrderMeta {
  accountId: string;
  orderId: string;
  symbol: string;
  side: Side;
  qty: bigint;
  price: bigint | null;
  clientOrderId: string | null;
  acceptedAt: string;
}

export interface PositionRecord extends PositionAmounts {
  accountId: string;
  symbol: string;
  currency: string;
  updatedAt: string;
}

export interface FillRecord {
  eventId: string;
  accountId: string;
  orderId: string;
  execId: string | null;
  symbol: string;
  side: Side;
  qty: bigint;
  /** notional / qty, fixed units (display) */
  price: bigint;
  /** whole ticks */
  notional: bigint;
  /** fixed units */
  fee: bigint;
  currency: string;
  cumQty: bigint;
  venue: string | null;
  at: string;
}

/** One append-only ledger entry: both legs of a fill (position and cash). */
export interface LedgerRecord {
  eventId: string;
  accountId: string;
  symbol: string;
  currency: string;
  /** signed: + bought, − sold */
  qty: bigint;
  /** signed notional, fixed units (sign of qty) */
  value: bigint;
  fee: bigint;
  /** −value − fee */
  cashDelta: bigint;
  at: string;
}

export interface BalanceDelta {
  accountId: string;
  currency: string;
  cash: bigint;
  fees: bigint;
}

export interface Mark {
  symbol: string;
  price: bigint;
  at: string;
}

export type Outcome = 'booked' | 'updated' | 'recorded' | 'stale' | `rejected:${string}`;

export interface Writes {
  outcome: Outcome;
  orderMeta?: OrderMeta;
  /** the order's new state (absolute) */
  order?: OrderRecord;
  fill?: FillRecord;
  ledger?: LedgerRecord;
  /** the position's new state (absolute) */
  position?: PositionRecord;
  balance?: BalanceDelta;
  mark?: Mark;
}

/** The identity an event is applied under. */
export interface AppliedKey {
  id: string;
  position: EventPosition | null;
  type: string;
  /** the event's `at`, null for an undecodable event */
  at: string | null;
}

export interface StateRef {
  accountId: string;
  orderId: string;
  symbol: string;
}

export interface BookState {
  order: OrderRecord | null;
  position: PositionRecord | null;
}

export type Step = { kind: 'direct'; writes: Writes } | { kind: 'stateful'; ref: StateRef; decide: (s: BookState) => Writes };

const ACCOUNT_RE = /^[\x21-\x7e]{1,64}$/;
const SYMBOL_RE = /^[\x21-\x7e]{1,32}$/;
const ORDER_ID_RE = /^[\x20-\x7e]{1,128}$/;

const reject = (reason: string): Step => ({ kind: 'direct', writes: { outcome: `rejected:${reason}` } });

function qtyOf(v: unknown, min: number): bigint | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min ? BigInt(v) : undefined;
}

function optString(v: unknown, max: number): string | null | undefined {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' && v.length <= max ? v : undefined;
}

/**
 * What to do with one event. `event` null means it could not be decoded; `problem` (a stable
 * upper-case code) says why and becomes the rejection reason.
 */
export function planEvent(id: string, event: BusEvent | null, rules: BookingConfig, problem: string | null = null): Step {
  if (event === null) return reject(problem ?? 'INVALID_EVENT');
  if (!ACCOUNT_RE.test(event.accountId)) return reject('BAD_ACCOUNT');
  switch (event.type) {
    case 'OrderAccepted':
      return planAccepted(event);
    case 'ExecutionReport':
      return planReport(id, event, rules);
    default:
      return { kind: 'direct', writes: { outcome: 'recorded' } };
  }
}

function planAccepted(event: BusEvent): Step {
  const d = event.data;
  if (typeof event.orderId !== 'string' || !ORDER_ID_RE.test(event.orderId)) return reject('MISSING_ORDER_ID');
  if (typeof d.symbol !== 'string' || !SYMBOL_RE.test(d.symbol)) return reject('BAD_SYMBOL');
  if (d.side !== 'BUY' && d.side !== 'SELL') return reject('BAD_SIDE');
  const qty = qtyOf(d.qty, 1);
  if (qty === undefined) return reject('BAD_QTY');
  const price = d.price === null || d.price === undefined ? null : qtyOf(d.price, 0);
  if (price === undefined) return reject('BAD_PRICE');
  const clientOrderId = optString(d.clientOrderId, 128);
  if (clientOrderId === undefined) return reject('BAD_CLIENT_ORDER_ID');
  return {
    kind: 'direct',
    writes: {
      outcome: 'booked',
      orderMeta: { accountId: event.accountId, orderId: event.orderId, symbol: d.symbol, side: d.side, qty, price, clientOrderId, acceptedAt: event.at },
    },
  };
}

interface ReportFields {
  symbol: string;
  side: Side;
  cumQty: bigint;
  lastQty: bigint;
  lastPx: bigint;
  leavesQty: bigint | null;
  avgPx: number;
  execId: string | null;
  status: string | null;
  venue: string | null;
}

function reportFields(d: Record<string, unknown>): ReportFields | string {
  if (typeof d.symbol !== 'string' || !SYMBOL_RE.test(d.symbol)) return 'BAD_SYMBOL';
  if (d.side !== 'BUY' && d.side !== 'SELL') return 'BAD_SIDE';
  const cumQty = qtyOf(d.cumQty, 0);
  const lastQty = d.lastQty === null || d.lastQty === undefined ? 0n : qtyOf(d.lastQty, 0);
  const leavesQty = d.leavesQty === null || d.leavesQty === undefined ? null : qtyOf(d.leavesQty, 0);
  if (cumQty === undefined || lastQty === undefined || leavesQty === undefined) return 'BAD_QTY';
  const lastPx = d.lastPx === null || d.lastPx === undefined ? 0n : qtyOf(d.lastPx, 0);
  const avgPx = d.avgPx === null || d.avgPx === undefined ? 0 : d.avgPx;
  if (lastPx === undefined || typeof avgPx !== 'number' || !Number.isFinite(avgPx) || avgPx < 0) return 'BAD_PRICE';
  const execId = optString(d.execId, 128);
  const status = optString(d.status, 32);
  const venue = optString(d.venue, 64);
  if (execId === undefined || status === undefined || venue === undefined) return 'BAD_FIELD';
  return { symbol: d.symbol, side: d.side, cumQty, lastQty, lastPx, leavesQty, avgPx, execId, status, venue };
}

function planReport(id: string, event: BusEvent, rules: BookingConfig): Step {
  if (typeof event.orderId !== 'string' || !ORDER_ID_RE.test(event.orderId)) return reject('MISSING_ORDER_ID');
  const f = reportFields(event.data);
  if (typeof f === 'string') return reject(f);
  const accountId = event.accountId;
  const orderId = event.orderId;
  const at = event.at;
  return {
    kind: 'stateful',
    ref: { accountId, orderId, symbol: f.symbol },
    decide: (state) => decideReport(id, accountId, orderId, at, f, state, rules),
  };
}

function decideReport(id: string, accountId: string, orderId: string, at: string, f: ReportFields, state: BookState, rules: BookingConfig): Writes {
  const prev: OrderRecord = state.order ?? {
    accountId,
    orderId,
    symbol: f.symbol,
    side: f.side,
    qty: null,
    price: null,
    clientOrderId: null,
    cumQty: 0n,
    bookedNotional: 0n,
    leavesQty: null,
    status: null,
    acceptedAt: null,
    updatedAt: at,
  };
  if (prev.symbol !== f.symbol || prev.side !== f.side) return { outcome: 'rejected:ORDER_MISMATCH' };
  const increase = f.cumQty - prev.cumQty;
  if (increase < 0n) return { outcome: 'stale' };
  const updated: OrderRecord = { ...prev, leavesQty: f.leavesQty, status: f.status, updatedAt: at };
  if (increase === 0n) return { outcome: 'updated', order: updated };

  let notional: bigint;
  if (f.lastQty === increase) {
    notional = f.lastPx * increase;
  } else {
    const total = roundProduct(f.avgPx, f.cumQty);
    if (total === undefined || total < prev.bookedNotional) return { outcome: 'rejected:INCONSISTENT_AVG_PX' };
    notional = total - prev.bookedNotional;
  }
  const currency = state.position?.currency ?? currencyOf(rules, f.symbol);
  const fee = feeOf(notional, rules.feeBps4);
  const signedQty = f.side === 'BUY' ? increase : -increase;
  const value = f.side === 'BUY' ? fromTicks(notional) : -fromTicks(notional);
  const cashDelta = -value - fee;
  const price = divRound(notional * ONE, increase);
  const amounts = applyFill(state.position ?? FLAT, signedQty, value, fee);
  return {
    outcome: 'booked',
    order: { ...updated, cumQty: f.cumQty, bookedNotional: prev.bookedNotional + notional },
    fill: {
      eventId: id,
      accountId,
      orderId,
      execId: f.execId,
      symbol: f.symbol,
      side: f.side,
      qty: increase,
      price,
      notional,
      fee,
      currency,
      cumQty: f.cumQty,
      venue: f.venue,
      at,
    },
    ledger: { eventId: id, accountId, symbol: f.symbol, currency, qty: signedQty, value, fee, cashDelta, at },
    position: { accountId, symbol: f.symbol, currency, ...amounts, updatedAt: at },
    balance: { accountId, currency, cash: cashDelta, fees: fee },
    mark: { symbol: f.symbol, price, at },
  };
}
