/**
 * The execution stage: takes accepted orders and cancels from the entry paths (the outbound
 * queue, orders/outbound.ts) once they are journaled, routes each order to its venue, and brings
 * the venues' execution reports back into the orders, the risk state and the clients.
 *
 * Event-loop thread only; it is the single writer of the live-order table and of the venue
 * events it journals. The venues themselves run off this thread (venue/: a worker per venue).
 *
 * Journal first, always: an order goes to its venue once its OrderSent record is durable; a
 * cancel once its CancelSent record is; an execution report changes an order once its
 * ExecutionReport record is appended (clients and listeners hear of it once it is durable). The
 * venue events share the durable journal (the durable service owns the writer), so one replay
 * rebuilds orders, fills and positions. Reports are applied idempotently (reports.ts): a resent
 * or replayed report never counts twice.
 *
 * Venue session loss (documented policy): the venues cancel on disconnect; when a venue's
 * session comes back up, and after a restart, every order still working there is asked for its
 * status, and the answers reconcile fills and cancels (UNKNOWN = cancelled by the venue; except
 * that a restored, unfilled order a venue outliving the gateway does not know is sent again once:
 * the earlier run died between journaling OrderSent and sending it).
 */
import { Fifo } from '@switchyard/protocol';
import type { ExecType } from '../contract/bus-event.js';
import type { DurableListener } from '../durable/progress.js';
import { LatencyHistogram } from '../lib/latency.js';
import { EventType, type Order } from '../orders/order.js';
import { type FastOrder, ROUTED_RECORD_TYPE } from '../orders/outbound.js';
import { encodeRouted } from './routed-record.js';
import type { Venue, VenueCancelReject, VenueEvents, VenueReport, VenueSessionState } from '../venue/venue.js';
import { LiveIndex } from './live-index.js';
import { LiveOrder, venueEventJson } from './live-order.js';
import { type Applied, applyReport, cancelRefused, isTerminalStatus } from './reports.js';
import { restoreOrders } from './restore-orders.js';
import type { RestoredState } from './restore.js';
import { encodeVenueState } from './venue-state.js';

export { ExecutionCounters, type ExecutionDeps, type ExecutionJournal, type ExecutionListener, type RingProgress } from './types.js';
import { ExecutionCounters, type ExecutionDeps, type ExecutionListener } from './types.js';

const SENT = 1;
const CANCEL_SENT = 2;
const REPORT = 3;

/** A journaled venue event waiting for its record to be durable. */
interface PendingEvent {
  seq: number;
  kind: typeof SENT | typeof CANCEL_SENT | typeof REPORT;
  order: LiveOrder;
  /** SENT of a routing record: every order it routed */
  batch: LiveOrder[] | null;
  applied: Applied | null;
  execType: ExecType;
  at: number;
}

export class ExecutionService implements DurableListener, VenueEvents {
  readonly counters = new ExecutionCounters();
  /** accepted → the venue's first report */
  readonly toAck = new LatencyHistogram();
  /** accepted → first fill */
  readonly toFirstFill = new LatencyHistogram();
  /** venue name → session state */
  readonly sessions = new Map<string, VenueSessionState>();
  /** per venue: orders working there */
  readonly openAt = new Map<string, number>();

  private readonly live = new LiveIndex<LiveOrder>();
  /** terminal orders kept readable a while (oldest first) */
  private readonly done = new Fifo<string>();
  private readonly pending = new Fifo<PendingEvent>();
  /** durable orders recovered unsent, and /v3 orders recovered above their shard's watermark */
  private readonly ready = new Fifo<FastOrder>();
  /** orders cancelled before they were routed (order id) */
  private readonly cancelBeforeRoute = new Set<string>();
  /** /v3 orders of one shard being routed together */
  private readonly batch: LiveOrder[] = [];
  private readonly listeners: ExecutionListener[] = [];
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly clock: { nowMs(): number };
  private readonly retainDone: number;
  /** per shard: highest /v3 order number whose routing record is journaled */
  private readonly routedUpTo = new Map<number, number>();

  constructor(private readonly d: ExecutionDeps) {
    this.clock = d.clock ?? { nowMs: Date.now };
    this.retainDone = d.retainDone ?? 100_000;
    for (const v of d.router.venues) {
      this.sessions.set(v, 'CONNECTING');
      this.openAt.set(v, 0);
    }
    for (const [shard, n] of d.restored.fast?.routedUpTo ?? []) this.routedUpTo.set(shard, n);
    const r = restoreOrders(d.restored, d.risk, d.router);
    for (const o of r.working) this.track(o);
    for (const o of r.done) {
      this.track(o);
      this.retire(o);
    }
    for (const o of r.unsent) this.d.outbound.durable.push(o);
    for (const f of r.unrouted) this.ready.push(f);
    d.progress.subscribe(this);
    d.outbound.setReader(this.schedule);
  }

  subscribe(l: ExecutionListener): void {
    this.listeners.push(l);
  }

  /** Starts the venues, then asks each for the status of the orders restored as working there. */
  async start(): Promise<void> {
    await Promise.all([...this.d.venues.values()].map((v) => v.start(this)));
    for (const o of this.live.values()) {
      if (!o.sent || isTerminalStatus(o.status)) continue;
      this.counters.reconciles++;
      this.venueOf(o).requestStatus(o);
    }
    this.pump();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await Promise.all([...this.d.venues.values()].map((v) => v.close().catch((err: unknown) => this.d.log.warn({ err, venue: v.name }, 'venue close failed'))));
  }

  /** A routed order by id (a /v3 order stays readable a while after it is done). */
  find(orderId: string): LiveOrder | undefined {
    return this.live.get(orderId);
  }

  /**
   * The venue state of the /v3 and binary TCP orders routed and still working or kept, as the journal
   * has it now (a snapshot's venue section, venue-state.ts): what RoutedRestore would rebuild
   * from the records so far. Call synchronously with reading the journal's head.
   */
  snapshotState(): unknown {
    const working: RestoredState[] = [];
    for (const o of this.live.values()) {
      // /v3 orders done are kept readable a while (retainDone): kept in the snapshot too.
      if (o.durable !== null) continue;
      // CANCEL_REQUESTED is journaled as CancelSent on top of the last reported status; a cancel
      // still waiting for the order to be sent is not journaled yet.
      const pending = o.status === 'CANCEL_REQUESTED';
      working.push({
        orderNo: o.orderNo,
        shard: o.shard,
        venue: o.venue,
        status: pending ? (o.cumQty > 0 ? 'PARTIALLY_FILLED' : 'ACCEPTED') : o.status,
        cumQty: o.cumQty,
        notional: o.notional,
        fills: o.fills ?? [],
        cancelSent: pending && o.sent && !o.cancelBeforeSend,
      });
    }
    return encodeVenueState({ routedUpTo: this.routedUpTo, working });
  }

  get workingCount(): number {
    let n = 0;
    for (const c of this.openAt.values()) n += c;
    return n;
  }

  // ---- the outbound queue ------------------------------------------------------------------------

  durableUpTo(): void {
    this.pump();
  }

  /** Routes what has become durable, sends cancels, and hands on durable venue events. */
  private pump(): void {
    if (this.closed) return;
    const out = this.d.outbound;
    const durable = this.d.journal.durableSeq;
    while (this.pending.length > 0 && this.pending.peek()!.seq <= durable) this.settle(this.pending.shift()!);
    while (out.durable.length > 0 && out.durable.peek()!.seq <= durable) {
      const n = out.durable.shift()!;
      this.route(this.fromDurable(n.order, n.t0));
    }
    const batch = this.batch;
    while (this.ready.length > 0) {
      const f = this.ready.shift()!;
      batch.push(this.liveOf(f));
      if (this.ready.length === 0 || this.ready.peek()!.shard !== f.shard) this.routeBatch(f.shard);
    }
    let waiting = false;
    for (let shard = 0; shard < out.fast.length; shard++) {
      const q = out.fast[shard]!;
      if (q.length === 0) continue;
      const freed = this.d.rings.freedCount(shard);
      while (q.length > 0 && q.peek()!.pos < freed) batch.push(this.liveOf(q.shift()!));
      if (batch.length > 0) this.routeBatch(shard);
      if (q.length > 0) waiting = true;
    }
    while (out.cancels.length > 0 && out.cancels.peek()!.seq <= durable) {
      const c = out.cancels.shift()!;
      this.cancel(c.order !== null ? c.order.orderId : this.d.orderId(c.orderNo));
    }
    // /v3 orders become durable in a worker: look again shortly while any wait.
    if (waiting) this.schedule();
  }

  /** Pumps soon (coalesced: one timer at a time). */
  private readonly schedule = (): void => {
    if (this.timer === null && !this.closed) this.timer = setTimeout(this.tick, 1);
  };

  private readonly tick = (): void => {
    this.timer = null;
    this.pump();
  };

  private fromDurable(o: Order, t0: number): LiveOrder & { durable: Order } {
    return new LiveOrder(o.orderId, o.accountId, '', o.request, this.d.router.venueFor(o.request.symbol), o, null, 0, -1, t0) as LiveOrder & { durable: Order };
  }

  private liveOf(f: FastOrder): LiveOrder {
    return new LiveOrder(this.d.orderId(f.orderNo), f.accountId, f.sessionId, f.request, this.d.router.venueFor(f.request.symbol), null, f.risk, f.orderNo, f.shard, f.t0);
  }

  /**
   * Journals a durable order's OrderSent (it goes to its venue once that is durable), or cancels
   * it here. (/v3 and binary TCP orders are routed in batches: routeBatch.)
   */
  private route(o: LiveOrder & { durable: Order }): void {
    const now = this.clock.nowMs();
    if (this.cancelBeforeRoute.delete(o.orderId) || o.durable?.status === 'CANCEL_REQUESTED') {
      // Cancelled before it reached a venue: it never goes there.
      this.track(o);
      this.applyLocal(o, { status: 'CANCELED', cumQty: 0, fillQty: 0, fillPx: 0, notional: 0, reason: 'CLIENT_CANCEL' }, 'CANCELED', now);
      return;
    }
    const data = o.sentData();
    const seq = this.d.journal.venueEvent(o.durable, EventType.OrderSent, now, null, 0, null, data);
    if (typeof seq === 'string') return this.refused(o, 'OrderSent', seq);
    this.track(o);
    this.counters.routed++;
    this.pending.push({ seq, kind: SENT, order: o, batch: null, applied: null, execType: 'NEW', at: now });
  }

  /**
   * Routes the /v3 and binary TCP orders collected in `batch` (all of one shard): one routing
   * record for the lot (routed-record.ts); they go to their venues once it is durable.
   */
  private routeBatch(shard: number): void {
    const batch = this.batch;
    const now = this.clock.nowMs();
    const orders: LiveOrder[] = [];
    const venues: string[] = [];
    const venueOf: number[] = [];
    const orderNos: number[] = [];
    for (const o of batch) {
      if (this.cancelBeforeRoute.size > 0 && this.cancelBeforeRoute.delete(o.orderId)) {
        this.track(o);
        this.applyLocal(o, { status: 'CANCELED', cumQty: 0, fillQty: 0, fillPx: 0, notional: 0, reason: 'CLIENT_CANCEL' }, 'CANCELED', now);
        continue;
      }
      let v = venues.indexOf(o.venue);
      if (v < 0) v = venues.push(o.venue) - 1;
      orders.push(o);
      orderNos.push(o.orderNo);
      venueOf.push(v);
    }
    batch.length = 0;
    if (orders.length === 0) return;
    const seq = this.d.journal.appendVenueRecord(ROUTED_RECORD_TYPE, encodeRouted({ shard, venues, orderNos, venueOf }), now);
    if (typeof seq === 'string') {
      for (const o of orders) this.refused(o, 'routing record', seq);
      return;
    }
    // Fresh order numbers, all working: one window slot each, open counts once per venue.
    const live = this.live;
    for (const o of orders) live.add(o);
    const open = this.openAt;
    for (let v = 0; v < venues.length; v++) {
      let n = 0;
      for (const x of venueOf) if (x === v) n++;
      open.set(venues[v]!, (open.get(venues[v]!) ?? 0) + n);
    }
    let max = this.routedUpTo.get(shard) ?? -1;
    for (const n of orderNos) if (n > max) max = n;
    this.routedUpTo.set(shard, max);
    this.counters.routed += orders.length;
    this.pending.push({ seq, kind: SENT, order: orders[0]!, batch: orders, applied: null, execType: 'NEW', at: now });
  }

  private cancel(orderId: string): void {
    const o = this.live.get(orderId);
    if (o === undefined) {
      this.cancelBeforeRoute.add(orderId);
      return;
    }
    if (isTerminalStatus(o.status)) return;
    o.status = 'CANCEL_REQUESTED';
    if (!o.sent) {
      o.cancelBeforeSend = true;
      return;
    }
    this.sendCancel(o);
  }

  private send(o: LiveOrder): void {
    o.sent = true;
    this.venueOf(o).send(o);
    if (o.cancelBeforeSend) {
      o.cancelBeforeSend = false;
      this.sendCancel(o);
    }
  }

  private sendCancel(o: LiveOrder): void {
    const now = this.clock.nowMs();
    const data = o.cancelData();
    const seq = o.durable !== null ? this.d.journal.venueEvent(o.durable, EventType.CancelSent, now, null, 0, null, data) : this.d.journal.appendVenueRecord(EventType.CancelSent, venueEventJson('CancelSent', now, o, data), now);
    if (typeof seq === 'string') return this.refused(o, 'CancelSent', seq);
    this.pending.push({ seq, kind: CANCEL_SENT, order: o, batch: null, applied: null, execType: 'CANCELED', at: now });
  }

  /** A journaled venue event is durable: act on it. */
  private settle(p: PendingEvent): void {
    const o = p.order;
    switch (p.kind) {
      case SENT:
        if (p.batch === null) this.send(o);
        else for (const x of p.batch) this.send(x);
        return;
      case CANCEL_SENT:
        this.counters.cancelsSent++;
        this.venueOf(o).cancel(o);
        return;
      case REPORT:
        for (const l of this.listeners) {
          try {
            l.executionReport(o, p.applied!, p.execType, p.at);
          } catch (err) {
            this.d.log.error({ err }, 'an execution report listener failed');
          }
        }
        if (isTerminalStatus(o.status)) this.retire(o);
        return;
    }
  }

  // ---- venue events ------------------------------------------------------------------------------

  report(r: VenueReport): void {
    const o = this.live.get(r.clOrdId);
    if (o === undefined) {
      this.counters.reportsUnknown++;
      return;
    }
    if (!o.acked) {
      o.acked = true;
      if (r.execType !== 'ORDER_STATUS') this.toAck.since(o.t0, performance.now());
    }
    if (r.ordStatus === 'UNKNOWN' && o.restored && !o.resent && o.cumQty === 0 && o.status === 'ACCEPTED' && this.venueOf(o).outlivesGateway) {
      // Sent by an earlier run (OrderSent is journaled before the bytes leave) that died before
      // they reached the venue: the order is still the client's working order, so it goes out
      // now, once, with the same ClOrdID (the venue refuses a second one if the first arrives).
      o.resent = true;
      this.counters.resent++;
      this.d.log.warn({ orderId: o.orderId, venue: o.venue }, 'venue does not know a restored order: sending it again');
      this.venueOf(o).send(o);
      return;
    }
    const a = applyReport(o, r);
    if (typeof a === 'string') {
      this.counters.reportsIgnored++;
      if (a === 'OVERFILL') this.d.log.error({ orderId: o.orderId, venue: r.venue, cumQty: r.cumQty, qty: o.qty }, 'venue reports more filled than the order quantity: ignored');
      return;
    }
    this.applyLocal(o, a, r.execType, r.transactTime > 0 ? r.transactTime : this.clock.nowMs(), r.execId);
  }

  cancelReject(r: VenueCancelReject): void {
    const o = this.live.get(r.clOrdId);
    if (o === undefined || isTerminalStatus(o.status)) return;
    this.counters.cancelRejects++;
    if (o.status !== 'CANCEL_REQUESTED') return;
    const status = cancelRefused(o);
    const a: Applied = { status, cumQty: o.cumQty, fillQty: 0, fillPx: 0, notional: o.notional, reason: `CANCEL_REJECTED: ${r.reason}` };
    this.applyLocal(o, a, 'ORDER_STATUS', this.clock.nowMs());
  }

  session(venue: string, state: VenueSessionState, detail: string | null): void {
    const was = this.sessions.get(venue);
    this.sessions.set(venue, state);
    if (state === 'DOWN') this.d.log.warn({ venue, detail }, 'venue session down: working orders there are cancelled by the venue (cancel-on-disconnect) and reconciled when it is back');
    else if (state === 'UP') {
      this.d.log.info({ venue, detail }, 'venue session up');
      if (was === 'DOWN') this.reconcile(venue);
    }
  }

  /** Asks the venue for the status of every order working there (answers reconcile them). */
  private reconcile(venue: string): void {
    const v = this.d.venues.get(venue)!;
    for (const o of this.live.values()) {
      if (o.venue === venue && o.sent && !isTerminalStatus(o.status)) {
        this.counters.reconciles++;
        v.requestStatus(o);
      }
    }
  }

  // ---- state -------------------------------------------------------------------------------------

  /** Journals an ExecutionReport that moves `o` to `a`, and applies it (exposure, fills). */
  private applyLocal(o: LiveOrder, a: Applied, execType: ExecType, at: number, execId = `gw-${o.orderId}-${o.status}`): void {
    const data = o.reportData(a, execId, execType);
    let seq: number | string;
    if (o.durable !== null) {
      seq = this.d.journal.venueEvent(o.durable, EventType.ExecutionReport, at, a.status, a.cumQty, a.reason, data);
    } else {
      seq = this.d.journal.appendVenueRecord(EventType.ExecutionReport, venueEventJson('ExecutionReport', at, o, data), at);
      if (typeof seq === 'number') this.fastRisk(o, a);
    }
    if (typeof seq === 'string') return this.refused(o, 'ExecutionReport', seq);
    const wasTerminal = isTerminalStatus(o.status);
    o.status = a.status;
    o.cumQty = a.cumQty;
    o.notional = a.notional;
    if (a.fillQty > 0) {
      (o.fills ??= []).push({ execId, qty: a.fillQty, px: a.fillPx, at, venue: o.venue });
      this.counters.fills++;
      this.counters.filledQty += a.fillQty;
      if (!o.firstFillSeen) {
        o.firstFillSeen = true;
        this.toFirstFill.since(o.t0, performance.now());
      }
    }
    if (!wasTerminal && isTerminalStatus(a.status)) this.openAt.set(o.venue, (this.openAt.get(o.venue) ?? 1) - 1);
    this.counters.reportsApplied++;
    this.pending.push({ seq, kind: REPORT, order: o, batch: null, applied: a, execType, at });
  }

  /** Exposure of a /v3 order (the book moves a durable order's). */
  private fastRisk(o: LiveOrder, a: Applied): void {
    const h = o.risk;
    const risk = this.d.risk;
    const acct = risk.account(o.accountId, this.clock.nowMs());
    if (h === null) {
      if (a.fillQty > 0) risk.addPosition(acct, o.request.symbol, o.request.side, a.fillQty);
      return;
    }
    if (a.fillQty > 0) risk.fill(acct, h, a.fillQty);
    if (isTerminalStatus(a.status)) {
      if (h.qty > 0) risk.release(acct, h);
      o.risk = null;
    }
  }

  private track(o: LiveOrder): void {
    if (this.live.has(o.orderId)) return;
    this.live.add(o);
    if (!isTerminalStatus(o.status)) this.openAt.set(o.venue, (this.openAt.get(o.venue) ?? 0) + 1);
  }

  private retire(o: LiveOrder): void {
    if (o.durable !== null) {
      this.live.delete(o.orderId);
      return;
    }
    this.done.push(o.orderId);
    while (this.done.length > this.retainDone) this.live.delete(this.done.shift()!);
  }

  private refused(o: LiveOrder, what: string, why: string): void {
    this.counters.refused++;
    this.d.log.error({ orderId: o.orderId, venue: o.venue, what, why }, 'venue event not journaled: nothing changed');
  }

  private venueOf(o: LiveOrder): Venue {
    return this.d.venues.get(this.d.router.venueOfOrder(o.venue))!;
  }
}
