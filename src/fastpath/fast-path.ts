/**
 * The volatile fast path (`/v3/orders` and binary TCP new orders): kill switch, pre-trade risk,
 * ingress watermarks and enqueue onto the shard's ring, on the event-loop thread, which is the
 * single writer of all of this state.
 *
 * `submit` is allocation-light: it returns null for an accepted order and leaves the ack fields in
 * `last*` properties, or returns the reject reason. Stage durations go into the given timers.
 */
import type { FastPathConfig } from '../config/config.js';
import type { NewOrder } from '../contract/order.js';
import { checkSemantics } from '../contract/order-request.js';
import { REASONS, reasonClass, type Reason } from '../contract/reasons.js';
import type { LatencyHistogram } from '../lib/latency.js';
import type { RiskEngine } from '../risk/engine.js';
import { allocateRing, PushResult, RingProducer, type RingBuffers } from './ingress-ring.js';
import { DecimalFormatter } from '../lib/decimal.js';
import { KillSwitch, utilisationPct } from './kill-switch.js';
import { OrderRegistry, RegisteredState } from './order-registry.js';
import type { OutboundQueue } from '../orders/outbound.js';

export interface FastPathStages {
  risk: LatencyHistogram;
  riskLimits: LatencyHistogram;
  riskPosition: LatencyHistogram;
  riskMargin: LatencyHistogram;
  enqueue: LatencyHistogram;
}

export class SessionState {
  seq = 0;
  constructor(
    readonly sessionId: string,
    readonly shard: number,
  ) {}
}

/** Counters read by /metrics. */
export class FastPathCounters {
  accepted = 0;
  softRejected = 0;
  /** refused by the hard watermark (503 V3_BACKPRESSURE_HARD) */
  hardRejected = 0;
  killed = 0;
  /** risk/contract rejects (422) and rate limits (429) */
  riskRejected = 0;
  canceled = 0;
  cancelRejected = 0;
  /** index = numeric reason code (reasons.ts; codes are < 256) */
  readonly byReason = new Float64Array(256);
}

/** FNV-1a over the session id: stable shard assignment. */
export function shardOf(sessionId: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < sessionId.length; i++) {
    h ^= sessionId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

/** Told when an enqueue finds the ring full or closed (the order was refused). */
export interface EnqueueFailureListener {
  enqueueFailed(sessionId: string, shard: number, reason: Reason, nowMs: number): void;
}

export interface FastPathDeps {
  risk: RiskEngine;
  stages: FastPathStages;
  /** the kill switch (default: a new one from the config) */
  kill?: KillSwitch;
  /** the ingress rings, one per shard (default: allocated here) */
  rings?: RingBuffers[];
  /** sessions number from seqBase + 1: the /v3 numbering epoch × 2^32 (confirmation/epoch.ts) */
  seqBase?: number;
  enqueueFailures?: EnqueueFailureListener;
  /** where accepted orders and cancels go to reach a venue (absent: no venue, cancels complete here) */
  outbound?: OutboundQueue;
  clock?: { nowMs(): number; monoMs(): number };
}

export class FastPath {
  readonly kill: KillSwitch;
  readonly risk: RiskEngine;
  readonly rings: RingBuffers[];
  readonly producers: RingProducer[];
  private readonly sessions = new Map<string, SessionState>();
  readonly counters = new FastPathCounters();
  /**
   * Gateway order numbers start at start-up time in ms × 1000, so they stay unique across
   * restarts (as long as a run averages below a million orders per second) and fit in 2^53.
   */
  private orderNo: number;
  readonly registry: OrderRegistry;
  /** session numbering starts after this */
  /** sessions of this run number from seqBase + 1 (the epoch's first number) */
  readonly seqBase: number;
  private readonly enqueueFailures: EnqueueFailureListener | null;
  private readonly outbound: OutboundQueue | null;
  private readonly stages: FastPathStages;
  private readonly clock: { nowMs(): number; monoMs(): number };

  // Ack fields of the last accepted order (valid right after submit returned null).
  lastOrderNo = 0;
  lastSessionSeq = 0;
  lastReceivedAtNs = 0;

  constructor(
    readonly cfg: FastPathConfig,
    d: FastPathDeps,
  ) {
    this.risk = d.risk;
    this.stages = d.stages;
    this.clock = d.clock ?? { nowMs: Date.now, monoMs: () => performance.now() };
    this.kill = d.kill ?? new KillSwitch(cfg, cfg.shardCount);
    this.rings = d.rings ?? Array.from({ length: cfg.shardCount }, () => allocateRing(cfg.ingressCapacity));
    this.seqBase = d.seqBase ?? 0;
    this.enqueueFailures = d.enqueueFailures ?? null;
    this.outbound = d.outbound ?? null;
    this.producers = this.rings.map((r) => new RingProducer(r));
    this.orderNo = Date.now() * 1000;
    this.registry = new OrderRegistry(cfg.cancelWindow);
  }

  private readonly orderIdText = new DecimalFormatter();

  /** The external (JSON) order id of a gateway order number: its decimal text. */
  orderId(orderNo: number): string {
    return this.orderIdText.format(orderNo);
  }

  session(sessionId: string): SessionState {
    let s = this.sessions.get(sessionId);
    if (s === undefined) {
      s = new SessionState(sessionId, shardOf(sessionId, this.cfg.shardCount));
      s.seq = this.seqBase;
      this.sessions.set(sessionId, s);
    }
    return s;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  depth(shard: number): number {
    return this.producers[shard]!.depth();
  }

  utilisation(shard: number): number {
    return utilisationPct(this.producers[shard]!.depth(), this.cfg.ingressCapacity);
  }

  totalDepth(): number {
    let d = 0;
    for (const p of this.producers) d += p.depth();
    return d;
  }

  maxUtilisation(): number {
    let m = 0;
    for (let i = 0; i < this.producers.length; i++) m = Math.max(m, this.utilisation(i));
    return m;
  }

  processed(): number {
    let n = 0;
    for (const p of this.producers) n += p.processed;
    return n;
  }

  /**
   * Runs one new order through the fast path. Returns null when accepted (ack fields in `last*`),
   * else the reject reason (its class, contract/reasons.ts, says what kind of refusal it is).
   */
  submit(accountId: string, s: SessionState, o: NewOrder): Reason | null {
    const nowMs = this.clock.nowMs();
    const shard = s.shard;
    const kill = this.kill;
    if (kill.shards[shard]!.killed) kill.tryRecover(shard, this.utilisation(shard), nowMs);
    const blocked = kill.blocked(accountId, s.sessionId, shard);
    if (blocked !== null) return this.reject(blocked);

    const semantic = checkSemantics(o, nowMs);
    if (semantic !== null) return this.reject(semantic);

    // Pre-trade risk, stage by stage.
    const risk = this.risk;
    const st = this.stages;
    const acct = risk.account(accountId, nowMs);
    const t0 = this.clock.monoMs();
    let reason = risk.checkLimits(acct, o) ?? risk.checkRate(acct, nowMs);
    const t1 = this.clock.monoMs();
    st.riskLimits.since(t0, t1);
    let t2 = t1;
    if (reason === null && risk.usePosition) {
      reason = risk.checkPosition(acct, o, nowMs);
      t2 = this.clock.monoMs();
      st.riskPosition.since(t1, t2);
    }
    let t3 = t2;
    if (reason === null && risk.useMargin) {
      reason = risk.checkMargin(acct, o, nowMs);
      t3 = this.clock.monoMs();
      st.riskMargin.since(t2, t3);
    }
    if (reason === null && risk.cfg.loops > 0) {
      risk.syntheticWork(risk.cfg.loops);
      t3 = this.clock.monoMs();
    }
    st.risk.since(t0, t3);
    if (reason !== null) return this.reject(reason);

    // Ingress watermarks, then enqueue.
    const admission = kill.admit(shard, this.utilisation(shard), nowMs);
    if (admission !== null) return this.reject(admission);

    const seq = ++s.seq;
    const orderNo = ++this.orderNo;
    const receivedAtNs = Math.round(t0 * 1e6);
    const t4 = this.clock.monoMs();
    const producer = this.producers[shard]!;
    const pos = producer.pushed;
    const pushed = producer.push(orderNo, seq, receivedAtNs, accountId, s.sessionId, o);
    st.enqueue.since(t4, this.clock.monoMs());
    if (pushed !== PushResult.Ok) {
      const r: Reason = pushed === PushResult.Full ? 'V3_QUEUE_FULL' : 'V3_INGRESS_CLOSED';
      kill.killShard(shard, r, nowMs, false);
      this.enqueueFailures?.enqueueFailed(s.sessionId, shard, r, nowMs);
      return this.reject(r);
    }

    const reg = this.registry;
    if (reg.pendingIndexUpdates === 0) queueMicrotask(this.flushIndexes);
    const handle = risk.book(acct, o, nowMs);
    reg.add(orderNo, accountId, o.clientOrderId, handle, s.sessionId, seq, shard, pos);
    const out = this.outbound;
    if (out !== null) {
      out.fast[shard]!.push({ orderNo, accountId, sessionId: s.sessionId, sessionSeq: seq, shard, pos, request: o, risk: handle, t0 });
      out.wake();
    }
    this.counters.accepted++;
    this.lastOrderNo = orderNo;
    this.lastSessionSeq = seq;
    this.lastReceivedAtNs = receivedAtNs;
    return null;
  }

  /**
   * Applies the registry's queued index updates. Scheduled as a microtask by the first order of
   * a turn: it runs after the acknowledgement is written, before the next request is read.
   */
  readonly flushIndexes = (): void => this.registry.flushIndex();

  /** Counts a reject; transports call it for contract rejects found before {@link submit}. */
  reject(reason: Reason): Reason {
    const c = this.counters;
    c.byReason[REASONS[reason]]++;
    const cls = reasonClass(reason);
    if (cls === 'killed') c.killed++;
    else if (cls === 'soft-backpressure') c.softRejected++;
    else if (cls === 'unavailable') c.hardRejected++;
    else c.riskRejected++;
    return reason;
  }

  /**
   * Cancels one of the caller's recent orders, named by order number or, when that is 0, by
   * clientOrderId. Never blocked by a kill switch or a rate limit. With no venue attached the
   * cancel completes at once and the order's exposure is released. Returns null (the canceled
   * order number is in `lastOrderNo`) or ORDER_NOT_FOUND / ORDER_FINAL.
   */
  cancel(accountId: string, orderNo: number, clientOrderId: string | null): Reason | null {
    const reg = this.registry;
    const slot = orderNo > 0 ? reg.find(accountId, orderNo) : clientOrderId !== null ? reg.findByClientId(accountId, clientOrderId) : -1;
    if (slot < 0) return this.cancelRejected('ORDER_NOT_FOUND');
    if (reg.stateAt(slot) !== RegisteredState.Open) return this.cancelRejected('ORDER_FINAL');
    const out = this.outbound;
    if (out !== null) {
      // At (or on its way to) a venue: the cancel goes there; the exposure is released when
      // the venue confirms (execution/).
      reg.markCanceled(slot);
      out.cancels.push({ order: null, orderNo: reg.orderNoAt(slot), accountId, seq: 0 });
      out.wake();
      this.lastOrderNo = reg.orderNoAt(slot);
      this.counters.canceled++;
      return null;
    }
    const handle = reg.handleAt(slot);
    if (handle !== null) this.risk.release(this.risk.account(accountId, this.clock.nowMs()), handle);
    reg.markCanceled(slot);
    this.lastOrderNo = reg.orderNoAt(slot);
    this.counters.canceled++;
    return null;
  }

  private cancelRejected(reason: Reason): Reason {
    this.counters.byReason[REASONS[reason]]++;
    this.counters.cancelRejected++;
    return reason;
  }

  /** Stops admission: closes the rings so the drain workers finish what is queued and exit. */
  close(): void {
    for (const p of this.producers) p.close();
  }
}
