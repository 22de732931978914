/**
 * The embedded exchange simulator: one order book and one liquidity provider per symbol, driven
 * by an injected clock. Pure: the owner (sim/worker.ts, fix/acceptor.ts, tests) passes the time
 * with every call and calls {@link SimExchange.advance} when {@link SimExchange.nextDueUs} is due.
 * Same settings, seed, run id, inputs and clock ⇒ same reports, byte for byte.
 *
 * Time line (µs since the epoch):
 *  - a request (new, cancel, status) arrives `latencyUs` after it was submitted, in submission
 *    order, and is processed then;
 *  - the reports a step produces are delivered in production order; a TRADE report no earlier
 *    than `fillLatencyUs` after its match; no report overtakes an earlier one;
 *  - every `walkIntervalMs` each symbol's reference price walks and its liquidity provider
 *    requotes (fills against resting orders happen then);
 *  - a GTD order expires at its `expireAt` (EXPIRED report).
 *
 * Orders are keyed by (owner, clOrdId): `owner` names the client session (the FIX acceptor serves
 * several; the embedded venue uses ''). A duplicate clOrdId of an owner is ignored (a resent
 * NewOrderSingle must not trade twice). Terminal orders stay answerable to status requests for the
 * last {@link TERMINAL_RETAINED} of them; older ones answer UNKNOWN.
 *
 * Reject texts: VENUE_REJECT (the reject ratio), UNKNOWN_SYMBOL (MARKET in a symbol without a
 * reference price), INVALID_ORDER, EXPIRE_TIME_IN_PAST; a MARKET order's unfilled remainder is
 * CANCELED with text NO_LIQUIDITY. Cancel rejects: UNKNOWN_ORDER, TOO_LATE_TO_CANCEL.
 */
import { OrdType, Side, TimeInForce } from '../../contract/order.js';
import type { ExecType } from '../../contract/bus-event.js';
import type { SimSettings } from '../../config/venues.js';
import type { VenueCancelReject, VenueOrder, VenueOrdStatus, VenueReport } from '../venue.js';
import { type BookOrder, type FillSink, OrderBook } from './book.js';
import { LP_OWNER, LiquidityProvider } from './liquidity.js';
import { Rng } from './rng.js';

export const TERMINAL_RETAINED = 1_000_000;

export interface SimOutput {
  /** `order`: the order the report is about (for an unknown order, the status request's) */
  report(owner: string, r: VenueReport, order: VenueOrder): void;
  cancelReject(owner: string, r: VenueCancelReject): void;
}

interface SimOrder {
  readonly owner: string;
  readonly o: VenueOrder;
  readonly venueOrderId: string;
  status: VenueOrdStatus;
  cum: number;
  /** Σ lastQty × lastPx */
  notional: number;
  book: BookOrder | null;
}

const enum Req {
  New = 1,
  Cancel = 2,
  Status = 3,
}

interface Inbound {
  dueUs: number;
  kind: Req;
  owner: string;
  o: VenueOrder;
}

interface Outbound {
  dueUs: number;
  owner: string;
  order: VenueOrder | null;
  report: VenueReport | null;
  reject: VenueCancelReject | null;
}

interface Market {
  book: OrderBook;
  lp: LiquidityProvider;
}

/** A binary min-heap of GTD expiries, by time then order of insertion. */
class ExpiryHeap {
  private readonly items: { atUs: number; seq: number; order: SimOrder }[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  peekUs(): number {
    return this.items.length === 0 ? Infinity : this.items[0]!.atUs;
  }

  push(atUs: number, order: SimOrder): void {
    const a = this.items;
    a.push({ atUs, seq: this.seq++, order });
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.less(a[p]!, a[i]!)) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }

  pop(): SimOrder {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top.order;
  }

  private less(x: { atUs: number; seq: number }, y: { atUs: number; seq: number }): boolean {
    return x.atUs < y.atUs || (x.atUs === y.atUs && x.seq < y.seq);
  }
}

export class SimExchange implements FillSink {
  private readonly rng: Rng;
  private readonly markets = new Map<string, Market>();
  private readonly orders = new Map<string, SimOrder>();
  private readonly terminal: string[] = [];
  private terminalHead = 0;
  private readonly inbound: Inbound[] = [];
  private inHead = 0;
  private readonly outbound: Outbound[] = [];
  private outHead = 0;
  private lastOutUs = 0;
  private readonly expiries = new ExpiryHeap();
  private nextWalkUs: number;
  private execSeq = 0;
  private orderSeq = 0;
  /** time of the step being processed (µs) */
  private nowUs: number;
  /** the incoming order of the match in progress (its own fills are reported by the caller) */
  private taker: SimOrder | null = null;
  private takerFills: { qty: number; price: number }[] = [];

  constructor(
    readonly venue: string,
    private readonly settings: SimSettings,
    refPrices: ReadonlyMap<string, number>,
    /** prefix of execIds and venue order ids; must differ between runs of a venue */
    private readonly runId: string,
    private readonly out: SimOutput,
    startUs: number,
  ) {
    this.rng = new Rng(settings.seed);
    this.nowUs = startUs;
    this.nextWalkUs = startUs + settings.walkIntervalMs * 1000;
    for (const [symbol, ref] of [...refPrices].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      if (ref > 0) this.market(symbol, ref);
    }
  }

  /** Open (working) orders, all owners. */
  get openOrders(): number {
    let n = 0;
    for (const o of this.orders.values()) if (o.book?.live) n++;
    return n;
  }

  /** The reference price of a symbol, or 0. */
  refPrice(symbol: string): number {
    return this.markets.get(symbol)?.lp.ref ?? 0;
  }

  submit(owner: string, o: VenueOrder, nowUs: number): void {
    this.enqueue(Req.New, owner, o, nowUs);
  }

  cancel(owner: string, o: VenueOrder, nowUs: number): void {
    this.enqueue(Req.Cancel, owner, o, nowUs);
  }

  status(owner: string, o: VenueOrder, nowUs: number): void {
    this.enqueue(Req.Status, owner, o, nowUs);
  }

  /** The earliest time something is due (µs), Infinity when idle. */
  nextDueUs(): number {
    let t = this.nextWalkUs;
    if (this.inHead < this.inbound.length) t = Math.min(t, this.inbound[this.inHead]!.dueUs);
    if (this.outHead < this.outbound.length) t = Math.min(t, this.outbound[this.outHead]!.dueUs);
    return Math.min(t, this.expiries.peekUs());
  }

  /** Processes everything due at or before `nowUs`, in time order. */
  advance(nowUs: number): void {
    for (;;) {
      const outUs = this.outHead < this.outbound.length ? this.outbound[this.outHead]!.dueUs : Infinity;
      const inUs = this.inHead < this.inbound.length ? this.inbound[this.inHead]!.dueUs : Infinity;
      const expUs = this.expiries.peekUs();
      const walkUs = this.nextWalkUs;
      const t = Math.min(outUs, inUs, expUs, walkUs);
      if (t > nowUs) break;
      this.nowUs = Math.max(this.nowUs, t);
      if (outUs === t) this.deliver();
      else if (inUs === t) this.process(this.inbound[this.inHead++]!);
      else if (expUs === t) this.expire(this.expiries.pop());
      else this.walk();
      this.compactQueues();
    }
  }

  /**
   * Cancels every working order of `owner` at once (cancel-on-disconnect); the CANCELED reports
   * are produced now, with `text`. Returns how many orders were cancelled.
   */
  cancelAllOf(owner: string, text: string, nowUs: number): number {
    this.advance(nowUs);
    let n = 0;
    for (const so of [...this.orders.values()]) {
      if (so.owner !== owner || !so.book?.live) continue;
      this.markets.get(so.o.symbol)?.book.remove(so.book);
      this.finish(so, 'CANCELED');
      this.emit(so, 'CANCELED', 0, 0, text, 0);
      n++;
    }
    return n;
  }

  // --- FillSink: a resting client order traded (as maker) -------------------------------------

  fill(maker: BookOrder, qty: number, price: number): void {
    if (maker.owner !== LP_OWNER) this.applyFill(maker.owner as SimOrder, qty, price);
    if (this.taker) this.takerFills.push({ qty, price });
  }

  // --- steps ------------------------------------------------------------------------------------

  private enqueue(kind: Req, owner: string, o: VenueOrder, nowUs: number): void {
    const last = this.inHead < this.inbound.length ? this.inbound[this.inbound.length - 1]!.dueUs : 0;
    this.inbound.push({ dueUs: Math.max(nowUs + this.settings.latencyUs, last), kind, owner, o });
  }

  private process(req: Inbound): void {
    if (req.kind === Req.New) this.processNew(req.owner, req.o);
    else if (req.kind === Req.Cancel) this.processCancel(req.owner, req.o);
    else this.processStatus(req.owner, req.o);
  }

  private processNew(owner: string, o: VenueOrder): void {
    const key = owner + '\u0000' + o.clOrdId;
    if (this.orders.has(key)) return;
    const so: SimOrder = { owner, o, venueOrderId: `${this.runId}-o${++this.orderSeq}`, status: 'NEW', cum: 0, notional: 0, book: null };
    this.orders.set(key, so);
    const reject = this.validate(o);
    if (reject !== null) return this.rejectNew(so, reject);
    if (this.settings.rejectPct > 0 && this.rng.next() * 100 < this.settings.rejectPct) return this.rejectNew(so, 'VENUE_REJECT');
    const m = this.markets.get(o.symbol) ?? this.market(o.symbol, o.price);
    this.emit(so, 'NEW', 0, 0, null, 0);
    const bo = m.book.order(o.side, o.type === OrdType.Market ? 0 : o.price, o.qty, so);
    so.book = bo;
    this.taker = so;
    this.takerFills.length = 0;
    m.book.match(bo, o.type === OrdType.Market ? 0 : o.price, this);
    this.taker = null;
    for (const f of this.takerFills) this.applyFill(so, f.qty, f.price);
    if (bo.leaves === 0) return;
    if (o.type === OrdType.Market) {
      bo.live = false;
      this.finish(so, 'CANCELED');
      this.emit(so, 'CANCELED', 0, 0, 'NO_LIQUIDITY', 0);
      return;
    }
    m.book.rest(bo);
    if (o.timeInForce === TimeInForce.GTD && o.expireAt > 0) this.expiries.push(o.expireAt * 1000, so);
  }

  private validate(o: VenueOrder): string | null {
    if (!Number.isSafeInteger(o.qty) || o.qty < 1) return 'INVALID_ORDER';
    if (o.side !== Side.Buy && o.side !== Side.Sell) return 'INVALID_ORDER';
    if (o.type === OrdType.Limit) {
      if (!Number.isSafeInteger(o.price) || o.price < 1) return 'INVALID_ORDER';
    } else if (o.type === OrdType.Market) {
      if (!this.markets.has(o.symbol)) return 'UNKNOWN_SYMBOL';
    } else {
      return 'INVALID_ORDER';
    }
    if (o.timeInForce === TimeInForce.GTD && o.expireAt > 0 && o.expireAt * 1000 <= this.nowUs) return 'EXPIRE_TIME_IN_PAST';
    return null;
  }

  private rejectNew(so: SimOrder, text: string): void {
    this.finish(so, 'REJECTED');
    this.emit(so, 'REJECTED', 0, 0, text, 0);
  }

  private processCancel(owner: string, o: VenueOrder): void {
    const so = this.orders.get(owner + '\u0000' + o.clOrdId);
    if (!so) return this.rejectCancel(owner, o.clOrdId, 'UNKNOWN_ORDER');
    if (!so.book?.live) return this.rejectCancel(owner, o.clOrdId, 'TOO_LATE_TO_CANCEL');
    this.markets.get(so.o.symbol)!.book.remove(so.book);
    this.finish(so, 'CANCELED');
    this.emit(so, 'CANCELED', 0, 0, null, 0);
  }

  private processStatus(owner: string, o: VenueOrder): void {
    const so = this.orders.get(owner + '\u0000' + o.clOrdId);
    if (so) return this.emit(so, 'ORDER_STATUS', 0, 0, null, 0);
    this.push(owner, {
      venue: this.venue,
      clOrdId: o.clOrdId,
      venueOrderId: 'NONE',
      execId: this.execId(),
      execType: 'ORDER_STATUS',
      ordStatus: 'UNKNOWN',
      lastQty: 0,
      lastPx: 0,
      cumQty: 0,
      leavesQty: 0,
      avgPx: 0,
      text: 'UNKNOWN_ORDER',
      transactTime: Math.floor(this.nowUs / 1000),
      possDup: false,
    }, null, 0, o);
  }

  private expire(so: SimOrder): void {
    if (!so.book?.live) return;
    this.markets.get(so.o.symbol)!.book.remove(so.book);
    this.finish(so, 'EXPIRED');
    this.emit(so, 'EXPIRED', 0, 0, null, 0);
  }

  private walk(): void {
    this.nextWalkUs += this.settings.walkIntervalMs * 1000;
    for (const m of this.markets.values()) m.lp.walk(this.rng, this);
  }

  private applyFill(so: SimOrder, qty: number, price: number): void {
    so.cum += qty;
    so.notional += qty * price;
    if (so.cum >= so.o.qty) {
      if (so.book) so.book.live = false;
      this.finish(so, 'FILLED');
    } else {
      so.status = 'PARTIALLY_FILLED';
    }
    this.emit(so, 'TRADE', qty, price, null, this.settings.fillLatencyUs);
  }

  private finish(so: SimOrder, status: VenueOrdStatus): void {
    so.status = status;
    const key = so.owner + '\u0000' + so.o.clOrdId;
    this.terminal.push(key);
    if (this.terminal.length - this.terminalHead > TERMINAL_RETAINED) {
      this.orders.delete(this.terminal[this.terminalHead]!);
      this.terminal[this.terminalHead++] = '';
    }
  }

  private emit(so: SimOrder, execType: ExecType, lastQty: number, lastPx: number, text: string | null, delayUs: number): void {
    const live = so.status === 'NEW' || so.status === 'PARTIALLY_FILLED';
    this.push(so.owner, {
      venue: this.venue,
      clOrdId: so.o.clOrdId,
      venueOrderId: so.venueOrderId,
      execId: this.execId(),
      execType,
      ordStatus: so.status,
      lastQty,
      lastPx,
      cumQty: so.cum,
      leavesQty: live ? so.o.qty - so.cum : 0,
      avgPx: so.cum === 0 ? 0 : so.notional / so.cum,
      text,
      transactTime: Math.floor(this.nowUs / 1000),
      possDup: false,
    }, null, delayUs, so.o);
  }

  private rejectCancel(owner: string, clOrdId: string, reason: string): void {
    this.push(owner, null, { venue: this.venue, clOrdId, reason }, 0, null);
  }

  private push(owner: string, report: VenueReport | null, reject: VenueCancelReject | null, delayUs: number, order: VenueOrder | null): void {
    const dueUs = Math.max(this.nowUs + delayUs, this.lastOutUs);
    this.lastOutUs = dueUs;
    this.outbound.push({ dueUs, owner, order, report, reject });
  }

  private deliver(): void {
    const m = this.outbound[this.outHead]!;
    this.outbound[this.outHead++] = undefined as unknown as Outbound;
    if (m.report) this.out.report(m.owner, m.report, m.order!);
    else this.out.cancelReject(m.owner, m.reject!);
  }

  private execId(): string {
    return `${this.runId}-${++this.execSeq}`;
  }

  private market(symbol: string, ref: number): Market {
    const book = new OrderBook(symbol);
    const lp = new LiquidityProvider(book, this.settings, ref);
    const m = { book, lp };
    this.markets.set(symbol, m);
    lp.requote(this);
    return m;
  }

  private compactQueues(): void {
    if (this.inHead > 1024 && this.inHead * 2 > this.inbound.length) {
      this.inbound.splice(0, this.inHead);
      this.inHead = 0;
    }
    if (this.outHead > 1024 && this.outHead * 2 > this.outbound.length) {
      this.outbound.splice(0, this.outHead);
      this.outHead = 0;
    }
    if (this.terminalHead > 65536 && this.terminalHead * 2 > this.terminal.length) {
      this.terminal.splice(0, this.terminalHead);
      this.terminalHead = 0;
    }
  }
}
