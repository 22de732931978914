/**
 * Pre-trade risk engine (SEC 15c3-5 / MiFID II RTS 6 style), shared by every order path.
 *
 * Pure domain code: no I/O, the clock is passed in, and the state it keeps (per-account exposure,
 * open orders, credit usage, daily notional, rate buckets) has a single owner — the thread that
 * calls it. Checks are split into three stages so that callers can time them separately:
 *
 *  - limits:   symbol master, restricted symbols, max qty, price collar, max notional
 *  - position: duplicate clientOrderId, order rate, |position + open exposure| per symbol
 *  - margin:   credit limit against open-order notional plus positions, daily notional
 *
 * The profile chooses the stages: light = limits; medium = + position; heavy = + margin.
 * `evaluate` only reads; `book` records an accepted order's exposure. A caller that rejects an
 * order for another reason after `evaluate` simply does not book it.
 */
import type { AccountLimits, RiskConfig, SymbolLimit } from '../config/config.js';
import { type NewOrder, OrdType, Side } from '../contract/order.js';
import type { Reason } from '../contract/reasons.js';
import { TokenBucket } from './token-bucket.js';

const DAY_MS = 86_400_000;
const SYMBOL_RE = /^[A-Z0-9_.-]{1,8}$/;

/** Exposure of one account in one symbol. */
export class SymbolExposure {
  /** filled net position: positive long, negative short */
  net = 0;
  /** open (unfilled) buy and sell quantity */
  openBuy = 0;
  openSell = 0;
  constructor(readonly symbol: string) {}
}

/**
 * An accepted order that still holds exposure. A plain object made by {@link openOrder}: the
 * durable path keeps one per open order for the life of the process, and V8 allocates
 * long-lived object literals straight into the old generation (allocation-site pretenuring),
 * which it does not do for class instances; the young-generation copies of millions of
 * instances were most of the garbage collector's work during recovery.
 */
export interface OpenOrder {
  /** position in AccountRisk.open, kept for O(1) removal; -1 when not listed */
  index: number;
  readonly symbol: string;
  readonly side: Side;
  /** remaining (unfilled) quantity */
  qty: number;
  /** value per unit used for credit: limit price, or the reference price for MARKET */
  readonly unitPrice: number;
  readonly clientOrderId: string | null;
}

export function openOrder(symbol: string, side: Side, qty: number, unitPrice: number, clientOrderId: string | null): OpenOrder {
  return { index: -1, symbol, side, qty, unitPrice, clientOrderId };
}

export class AccountRisk {
  readonly exposures = new Map<string, SymbolExposure>();
  /** open orders: walked by the legacy margin mode */
  readonly open: OpenOrder[] = [];
  /** running total of open-order notional (incremental margin mode) */
  openNotional = 0;
  /** running total of |net position| x reference price (incremental margin mode) */
  positionNotional = 0;
  dailyNotional = 0;
  day = -1;
  readonly bucket: TokenBucket | null;
  readonly openClientOrderIds = new Map<string, OpenOrder>();
  readonly restricted: ReadonlySet<string>;

  constructor(
    readonly accountId: string,
    readonly limits: AccountLimits,
    nowMs: number,
  ) {
    this.bucket = limits.ratePerSec > 0 && limits.rateBurst > 0 ? new TokenBucket(limits.ratePerSec, limits.rateBurst, nowMs) : null;
    this.restricted = new Set(limits.restrictedSymbols);
  }

  exposure(symbol: string): SymbolExposure {
    let e = this.exposures.get(symbol);
    if (e === undefined) this.exposures.set(symbol, (e = new SymbolExposure(symbol)));
    return e;
  }
}

/** An account's risk state beyond its open orders (snapshots). */
export interface AccountState {
  accountId: string;
  /** day number (epoch ms / 86 400 000) of dailyNotional, -1 when none */
  day: number;
  dailyNotional: number;
  /** (symbol, filled net position) of every symbol not flat */
  nets: Array<[string, number]>;
}

export type StageName = 'limits' | 'position' | 'margin';

export class RiskEngine {
  private readonly accounts = new Map<string, AccountRisk>();
  private readonly restricted: ReadonlySet<string>;
  readonly usePosition: boolean;
  readonly useMargin: boolean;
  readonly legacyMargin: boolean;
  /** sink for the synthetic work so the optimiser cannot drop it */
  private sink = 0;

  constructor(readonly cfg: RiskConfig) {
    this.restricted = new Set(cfg.restrictedSymbols);
    this.usePosition = cfg.profile !== 'light';
    this.useMargin = cfg.profile === 'heavy';
    this.legacyMargin = cfg.marginMode === 'legacy';
  }

  account(accountId: string, nowMs: number): AccountRisk {
    let a = this.accounts.get(accountId);
    if (a === undefined) {
      a = new AccountRisk(accountId, this.cfg.accounts.get(accountId) ?? this.cfg.defaults, nowMs);
      for (const [symbol, qty] of Object.entries(a.limits.positions)) {
        a.exposure(symbol).net = qty;
        a.positionNotional += Math.abs(qty) * this.refPrice(symbol);
      }
      this.accounts.set(accountId, a);
    }
    return a;
  }

  get accountCount(): number {
    return this.accounts.size;
  }

  /** Number of (account, symbol) exposure entries held. */
  get exposureCount(): number {
    let n = 0;
    for (const a of this.accounts.values()) n += a.exposures.size;
    return n;
  }

  /** All stages the profile enables, then the synthetic work of `V3_RISK_LOOPS`. */
  evaluate(a: AccountRisk, o: NewOrder, nowMs: number): Reason | null {
    const r =
      this.checkLimits(a, o) ??
      this.checkRate(a, nowMs) ??
      (this.usePosition ? this.checkPosition(a, o, nowMs) : null) ??
      (this.useMargin ? this.checkMargin(a, o, nowMs) : null);
    if (r === null) this.syntheticWork(this.cfg.loops);
    return r;
  }

  symbol(symbol: string): SymbolLimit | undefined {
    return this.cfg.symbols.get(symbol);
  }

  refPrice(symbol: string): number {
    return this.cfg.symbols.get(symbol)?.refPrice ?? 0;
  }

  /** Value per unit of an order: its limit price, else the symbol's reference price. */
  unitPrice(o: NewOrder): number {
    return o.type === OrdType.Limit ? o.price : this.refPrice(o.symbol);
  }

  checkLimits(a: AccountRisk, o: NewOrder): Reason | null {
    const sym = this.cfg.symbols.get(o.symbol);
    if (sym === undefined && (this.cfg.strictSymbols || !SYMBOL_RE.test(o.symbol))) return 'INVALID_SYMBOL';
    if (this.restricted.has(o.symbol) || a.restricted.has(o.symbol)) return 'SYMBOL_RESTRICTED';
    const maxQty = sym === undefined ? this.cfg.maxOrderQty : sym.maxQty;
    if (o.qty > maxQty) return 'INVALID_QTY';
    const ref = sym === undefined ? 0 : sym.refPrice;
    if (o.type === OrdType.Limit && ref > 0 && this.cfg.priceCollarPct > 0) {
      const dev = o.price > ref ? o.price - ref : ref - o.price;
      if (dev * 100 > ref * this.cfg.priceCollarPct) return 'PRICE_COLLAR';
    }
    const maxNotional = sym === undefined ? this.cfg.maxNotional : sym.maxNotional;
    const unit = o.type === OrdType.Limit ? o.price : ref;
    if (o.qty * unit > maxNotional) return 'RISK_REJECT';
    return null;
  }

  /**
   * The account's order-rate bucket (RISK_RATE_PER_SEC) on a profile without the position stage,
   * which checks it itself: a configured rate applies on every profile.
   */
  checkRate(a: AccountRisk, nowMs: number): Reason | null {
    return !this.usePosition && a.bucket !== null && !a.bucket.peek(nowMs) ? 'RATE_LIMITED' : null;
  }

  checkPosition(a: AccountRisk, o: NewOrder, nowMs: number): Reason | null {
    if (o.clientOrderId !== null && a.openClientOrderIds.has(o.clientOrderId)) return 'DUPLICATE_CLIENT_ORDER_ID';
    if (a.bucket !== null && !a.bucket.peek(nowMs)) return 'RATE_LIMITED';
    const e = a.exposures.get(o.symbol);
    const net = e === undefined ? 0 : e.net;
    const limit = a.limits.maxAbsPositionQty;
    if (o.side === Side.Buy) {
      const worst = net + (e === undefined ? 0 : e.openBuy) + o.qty;
      if (Math.abs(worst) > limit) return 'POSITION_LIMIT';
    } else {
      const worst = net - (e === undefined ? 0 : e.openSell) - o.qty;
      if (Math.abs(worst) > limit) return 'POSITION_LIMIT';
    }
    return null;
  }

  checkMargin(a: AccountRisk, o: NewOrder, nowMs: number): Reason | null {
    const notional = o.qty * this.unitPrice(o);
    if (this.creditUsed(a) + notional > a.limits.creditLimit) return 'CREDIT_LIMIT';
    const day = Math.floor(nowMs / DAY_MS);
    const daily = day === a.day ? a.dailyNotional : 0;
    if (daily + notional > a.limits.dailyNotionalLimit) return 'DAILY_NOTIONAL_LIMIT';
    return null;
  }

  /**
   * Credit in use: open-order notional plus the value of filled positions.
   * `legacy` recomputes it from every open order and position (O(n));
   * `incremental` reads the running totals (O(1)). Both give the same answer.
   */
  creditUsed(a: AccountRisk): number {
    if (!this.legacyMargin) return a.openNotional + a.positionNotional;
    let used = 0;
    const open = a.open;
    for (let i = 0; i < open.length; i++) used += open[i]!.qty * open[i]!.unitPrice;
    for (const e of a.exposures.values()) used += Math.abs(e.net) * this.refPrice(e.symbol);
    return used;
  }

  /**
   * Records an accepted order's exposure (the state the profile's checks read). Returns the open
   * order handle to pass to {@link release} or {@link fill}, or null when the profile tracks none.
   */
  book(a: AccountRisk, o: NewOrder, nowMs: number): OpenOrder | null {
    if (a.bucket !== null) a.bucket.take(nowMs);
    if (!this.usePosition) return null;
    const oo = openOrder(o.symbol, o.side, o.qty, this.unitPrice(o), o.clientOrderId);
    const e = a.exposure(o.symbol);
    if (o.side === Side.Buy) e.openBuy += o.qty;
    else e.openSell += o.qty;
    if (o.clientOrderId !== null) a.openClientOrderIds.set(o.clientOrderId, oo);
    if (this.useMargin) {
      oo.index = a.open.length;
      a.open.push(oo);
      const notional = oo.qty * oo.unitPrice;
      a.openNotional += notional;
      const day = Math.floor(nowMs / DAY_MS);
      if (day !== a.day) {
        a.day = day;
        a.dailyNotional = 0;
      }
      a.dailyNotional += notional;
    }
    return oo;
  }

  /** Releases the remaining exposure of an order that was cancelled, expired or rejected downstream. */
  release(a: AccountRisk, oo: OpenOrder): void {
    this.reduceOpen(a, oo, oo.qty);
    this.close(a, oo);
  }

  /** Applies a fill: open exposure becomes position. Closes the order when nothing remains. */
  fill(a: AccountRisk, oo: OpenOrder, qty: number): void {
    const q = qty > oo.qty ? oo.qty : qty;
    this.reduceOpen(a, oo, q);
    const e = a.exposure(oo.symbol);
    const ref = this.refPrice(oo.symbol);
    a.positionNotional -= Math.abs(e.net) * ref;
    e.net += oo.side === Side.Buy ? q : -q;
    a.positionNotional += Math.abs(e.net) * ref;
    if (oo.qty === 0) this.close(a, oo);
  }

  /**
   * A fill of an order whose exposure the profile does not track (light profile): the position
   * moves all the same, so positions are right whatever the profile.
   */
  addPosition(a: AccountRisk, symbol: string, side: Side, qty: number): void {
    const e = a.exposure(symbol);
    const ref = this.refPrice(symbol);
    a.positionNotional -= Math.abs(e.net) * ref;
    e.net += side === Side.Buy ? qty : -qty;
    a.positionNotional += Math.abs(e.net) * ref;
  }

  /**
   * What a snapshot keeps of each account beyond its open orders (whose exposure is booked again
   * when they are restored): filled net positions and the day's notional. Every account is
   * listed (one whose positions are flat too: restoring its orders' fills must not move it).
   */
  accountStates(): AccountState[] {
    const out: AccountState[] = [];
    for (const a of this.accounts.values()) {
      const nets: Array<[string, number]> = [];
      for (const e of a.exposures.values()) if (e.net !== 0) nets.push([e.symbol, e.net]);
      out.push({ accountId: a.accountId, day: a.day, dailyNotional: a.dailyNotional, nets });
    }
    return out;
  }

  /**
   * Sets an account's net positions and day notional to what a snapshot kept (absolute values:
   * whatever restoring its open orders moved is overwritten). Symbols it does not list are flat.
   */
  restoreAccountState(s: AccountState, nowMs: number): void {
    const a = this.account(s.accountId, nowMs);
    const keep = new Map(s.nets);
    for (const e of a.exposures.values()) if (!keep.has(e.symbol)) e.net = 0;
    for (const [symbol, net] of s.nets) a.exposure(symbol).net = net;
    let pn = 0;
    for (const e of a.exposures.values()) pn += Math.abs(e.net) * this.refPrice(e.symbol);
    a.positionNotional = pn;
    a.day = s.day;
    a.dailyNotional = s.dailyNotional;
  }

  /** The account's positions and open exposure per symbol (a copy). */
  positions(accountId: string, nowMs: number): Array<{ symbol: string; net: number; openBuy: number; openSell: number }> {
    const a = this.account(accountId, nowMs);
    return [...a.exposures.values()].filter((e) => e.net !== 0 || e.openBuy !== 0 || e.openSell !== 0).map((e) => ({ symbol: e.symbol, net: e.net, openBuy: e.openBuy, openSell: e.openSell }));
  }

  private reduceOpen(a: AccountRisk, oo: OpenOrder, q: number): void {
    const e = a.exposure(oo.symbol);
    if (oo.side === Side.Buy) e.openBuy -= q;
    else e.openSell -= q;
    if (oo.index >= 0) a.openNotional -= q * oo.unitPrice;
    oo.qty -= q;
  }

  private close(a: AccountRisk, oo: OpenOrder): void {
    if (oo.clientOrderId !== null && a.openClientOrderIds.get(oo.clientOrderId) === oo) {
      a.openClientOrderIds.delete(oo.clientOrderId);
    }
    const i = oo.index;
    if (i >= 0) {
      const last = a.open.pop()!;
      if (last !== oo) {
        a.open[i] = last;
        last.index = i;
      }
      oo.index = -1;
    }
  }

  /**
   * Fixed synthetic work per order (`V3_RISK_LOOPS`): lets the "baseline vs injected" benchmark
   * measure how a heavier risk stage moves the acknowledgement tail.
   */
  syntheticWork(loops: number): void {
    let x = this.sink | 1;
    for (let i = 0; i < loops; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
    }
    this.sink = x;
  }
}
