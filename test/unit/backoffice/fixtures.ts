/**
 * Recorded event streams for the back office's tests (bus_event_v1 bodies with their ids, as the
 * gateway emits them), and an in-memory BookStore that applies them without a database — the
 * reference the SQL books are compared with.
 */
import type { BusEvent } from '../../../src/contract/bus-event.js';
import { loadBackofficeConfig } from '../../../src/backoffice/config.js';
import type { AppliedKey, BookState, OrderRecord, PositionRecord, Step, Writes } from '../../../src/backoffice/domain/booking.js';
import type { BalanceRecord } from '../../../src/backoffice/domain/reconcile.js';
import type { LedgerRecord } from '../../../src/backoffice/domain/booking.js';
import type { ApplyResult } from '../../../src/backoffice/storage/books.js';

export const RULES = loadBackofficeConfig({}).booking; // 1 bps, USD/USDT defaults

export interface Recorded {
  id: string;
  event: BusEvent;
}

let clockMs = Date.parse('2026-03-02T09:30:00.000Z');
const at = (): string => new Date((clockMs += 7)).toISOString();

export function accepted(id: string, accountId: string, orderId: string, symbol: string, side: 'BUY' | 'SELL', qty: number, price: number | null): Recorded {
  return {
    id,
    event: {
      type: 'OrderAccepted',
      at: at(),
      accountId,
      orderId,
      data: { acceptSeq: 1, clientOrderId: `c-${orderId}`, expireAt: null, idempotencyKey: `k-${orderId}`, price, qty, side, symbol, timeInForce: 'GTC', type: price === null ? 'MARKET' : 'LIMIT' },
    },
  };
}

export interface ReportFields {
  cumQty: number;
  lastQty: number;
  lastPx: number;
  avgPx: number;
  leavesQty: number;
  status?: string;
  execType?: string;
}

export function report(id: string, accountId: string, orderId: string, symbol: string, side: 'BUY' | 'SELL', f: ReportFields): Recorded {
  return {
    id,
    event: {
      type: 'ExecutionReport',
      at: at(),
      accountId,
      orderId,
      data: {
        avgPx: f.avgPx,
        cumQty: f.cumQty,
        execId: `x-${id}`,
        execType: f.execType ?? (f.lastQty > 0 ? 'TRADE' : 'NEW'),
        lastPx: f.lastPx,
        lastQty: f.lastQty,
        leavesQty: f.leavesQty,
        reason: null,
        side,
        status: f.status ?? (f.leavesQty === 0 ? 'FILLED' : f.cumQty > 0 ? 'PARTIALLY_FILLED' : 'NEW'),
        symbol,
        venue: 'SIM',
      },
    },
  };
}

export function other(id: string, type: string, accountId: string, orderId: string, data: Record<string, unknown> = {}): Recorded {
  return { id, event: { type, at: at(), accountId, orderId, data } };
}

/** Partial fills of one buy: 40 @ 15000 then 60 @ 15010 (avg 15006). */
export function partialFills(): Recorded[] {
  return [
    accepted('gw1.orders.1', 'acct-1', 'o-1', 'AAPL', 'BUY', 100, 15_010),
    other('gw1.orders.2', 'OrderSent', 'acct-1', 'o-1', { venue: 'SIM' }),
    report('gw1.orders.3', 'acct-1', 'o-1', 'AAPL', 'BUY', { cumQty: 0, lastQty: 0, lastPx: 0, avgPx: 0, leavesQty: 100 }),
    report('gw1.orders.4', 'acct-1', 'o-1', 'AAPL', 'BUY', { cumQty: 40, lastQty: 40, lastPx: 15_000, avgPx: 15_000, leavesQty: 60 }),
    report('gw1.orders.5', 'acct-1', 'o-1', 'AAPL', 'BUY', { cumQty: 100, lastQty: 60, lastPx: 15_010, avgPx: 15_006, leavesQty: 0 }),
  ];
}

/** BTC (USDT): buy 10 @ 9 000 000, sell 25 @ 9 100 000 (through zero to −15), buy 15 @ 8 950 000. */
export function throughZero(): Recorded[] {
  return [
    accepted('gw1.orders.11', 'acct-2', 'o-11', 'BTC', 'BUY', 10, 9_000_000),
    report('gw1.orders.12', 'acct-2', 'o-11', 'BTC', 'BUY', { cumQty: 10, lastQty: 10, lastPx: 9_000_000, avgPx: 9_000_000, leavesQty: 0 }),
    accepted('gw1.orders.13', 'acct-2', 'o-12', 'BTC', 'SELL', 25, 9_100_000),
    report('gw1.orders.14', 'acct-2', 'o-12', 'BTC', 'SELL', { cumQty: 25, lastQty: 25, lastPx: 9_100_000, avgPx: 9_100_000, leavesQty: 0 }),
    accepted('gw1.orders.15', 'acct-2', 'o-13', 'BTC', 'BUY', 15, 8_950_000),
    report('gw1.orders.16', 'acct-2', 'o-13', 'BTC', 'BUY', { cumQty: 15, lastQty: 15, lastPx: 8_950_000, avgPx: 8_950_000, leavesQty: 0 }),
  ];
}

/**
 * Two currencies for one account (AAPL in USD, ETH in USDT), reports that arrive before their
 * OrderAccepted (another journal stream), a coalesced report (lastQty below the increase: price
 * from avgPx), a stale report, a cancel, and events that are only recorded.
 */
export function mixed(): Recorded[] {
  return [
    report('gw1.v3-0.1', 'acct-3', 'o-21', 'ETH', 'BUY', { cumQty: 3, lastQty: 3, lastPx: 350_000, avgPx: 350_000, leavesQty: 2 }),
    accepted('gw1.orders.21', 'acct-3', 'o-21', 'ETH', 'BUY', 5, 351_000),
    // 1 @ 350 500 and 1 @ 351 000 reported as one: cum 5, lastQty 1 → notional 5 × 350 500 − 3 × 350 000
    report('gw1.v3-0.2', 'acct-3', 'o-21', 'ETH', 'BUY', { cumQty: 5, lastQty: 1, lastPx: 351_000, avgPx: 350_300, leavesQty: 0 }),
    // older report delivered late: stale
    report('gw1.v3-0.3', 'acct-3', 'o-21', 'ETH', 'BUY', { cumQty: 3, lastQty: 3, lastPx: 350_000, avgPx: 350_000, leavesQty: 2 }),
    accepted('gw1.orders.22', 'acct-3', 'o-22', 'AAPL', 'SELL', 7, 15_100),
    other('gw1.orders.23', 'OrderSent', 'acct-3', 'o-22', { venue: 'SIM' }),
    report('gw1.orders.24.0', 'acct-3', 'o-22', 'AAPL', 'SELL', { cumQty: 4, lastQty: 4, lastPx: 15_100, avgPx: 15_100, leavesQty: 3 }),
    other('gw1.orders.24.1', 'CancelRequested', 'acct-3', 'o-22'),
    report('gw1.orders.25', 'acct-3', 'o-22', 'AAPL', 'SELL', { cumQty: 4, lastQty: 0, lastPx: 0, avgPx: 15_100, leavesQty: 0, status: 'CANCELED', execType: 'CANCELED' }),
    // fractional average over three fills 1 @ 100, 1 @ 100, 1 @ 101 reported at once
    accepted('gw1.orders.26', 'acct-3', 'o-23', 'MSFT', 'BUY', 3, 101),
    report('gw1.orders.27', 'acct-3', 'o-23', 'MSFT', 'BUY', { cumQty: 3, lastQty: 1, lastPx: 101, avgPx: 100.33333333333333, leavesQty: 0 }),
  ];
}

/** Every recorded stream, in one order. */
export function allStreams(): Recorded[] {
  return [...partialFills(), ...throughZero(), ...mixed()];
}

/** The books in memory: the same exactly-once contract as storage/books.ts, without SQL. */
export class MemoryBooks {
  readonly applied = new Map<string, string>();
  readonly orders = new Map<string, OrderRecord>();
  readonly positions = new Map<string, PositionRecord>();
  readonly balances = new Map<string, BalanceRecord>();
  readonly ledger: LedgerRecord[] = [];
  readonly fills: NonNullable<Writes['fill']>[] = [];

  async apply(key: AppliedKey, step: Step): Promise<ApplyResult> {
    if (this.applied.has(key.id)) return { fresh: false };
    let writes: Writes;
    if (step.kind === 'direct') writes = step.writes;
    else {
      const state: BookState = {
        order: this.orders.get(`${step.ref.accountId}|${step.ref.orderId}`) ?? null,
        position: this.positions.get(`${step.ref.accountId}|${step.ref.symbol}`) ?? null,
      };
      writes = step.decide(state);
    }
    this.applied.set(key.id, writes.outcome);
    const m = writes.orderMeta;
    if (m !== undefined) {
      const k = `${m.accountId}|${m.orderId}`;
      const o = this.orders.get(k);
      this.orders.set(
        k,
        o === undefined
          ? { ...m, cumQty: 0n, bookedNotional: 0n, leavesQty: null, status: null, updatedAt: m.acceptedAt }
          : { ...o, qty: m.qty, price: m.price, clientOrderId: m.clientOrderId, acceptedAt: m.acceptedAt },
      );
    }
    if (writes.order !== undefined) {
      const k = `${writes.order.accountId}|${writes.order.orderId}`;
      const o = this.orders.get(k);
      this.orders.set(k, o === undefined ? writes.order : { ...o, cumQty: writes.order.cumQty, bookedNotional: writes.order.bookedNotional, leavesQty: writes.order.leavesQty, status: writes.order.status, updatedAt: writes.order.updatedAt });
    }
    if (writes.fill !== undefined) this.fills.push(writes.fill);
    if (writes.ledger !== undefined) this.ledger.push(writes.ledger);
    if (writes.position !== undefined) this.positions.set(`${writes.position.accountId}|${writes.position.symbol}`, writes.position);
    const b = writes.balance;
    if (b !== undefined) {
      const k = `${b.accountId}|${b.currency}`;
      const cur = this.balances.get(k) ?? { accountId: b.accountId, currency: b.currency, cash: 0n, fees: 0n };
      this.balances.set(k, { ...cur, cash: cur.cash + b.cash, fees: cur.fees + b.fees });
    }
    return { fresh: true, writes };
  }
}
