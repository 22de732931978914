/**
 * The recent volatile orders, so that a session can cancel them and ask whether they are durable:
 * a ring of the last `capacity` accepted orders (typed arrays plus object references shared with
 * other owners), indexed by gateway order number (direct ring position), by (account,
 * clientOrderId) fingerprint and by (session, sessionSeq) fingerprint. Each entry keeps the
 * order's position in its shard's ingress ring (compared with the ring's durable watermark) and
 * a loss-suspect mark. An order older than the ring is no longer cancellable here
 * (ORDER_NOT_FOUND) and its confirmation status is no longer kept.
 *
 * `add` writes only the order's slot (sequential memory). The two fingerprint indexes are large
 * tables written at random places — a cache and TLB miss each, which was the largest part of the
 * acknowledgement's p99 — so their updates are queued and applied by {@link flushIndex}: the fast
 * path schedules it as a microtask, after the acknowledgement is written and before any other
 * request is read, and every lookup through an index flushes first, so no reader ever sees a
 * stale index.
 *
 * The indexes hold fingerprints, not strings, so a hit is re-checked where a wrong one could
 * cross accounts or orders: a clientOrderId hit must belong to the caller's account (the account
 * string is kept per slot), a (session, seq) hit must have that session and seq. What a collision
 * could still do is overwrite another entry's index slot (the older order is then no longer found
 * by that key) or, within one account, name the account's other order; the fingerprints are
 * keyed with a per-process secret (fingerprint-index.ts), so neither can be arranged from
 * outside, and by accident each is a 2^-64 event. (Keeping every clientOrderId string to compare
 * as well would hold up to V3_CANCEL_WINDOW strings alive.)
 *
 * Pure domain state owned by the event-loop thread.
 */
import type { OpenOrder } from '../risk/engine.js';
import { FingerprintIndex, fingerprintNumbered, fingerprintPair, fpA, fpB } from '../lib/fingerprint-index.js';

export enum RegisteredState {
  Empty = 0,
  Open = 1,
  Canceled = 2,
}

export class OrderRegistry {
  private readonly orderNo: Float64Array;
  private readonly state: Uint8Array;
  private readonly clA: Uint32Array;
  private readonly clB: Uint32Array;
  private readonly hasCl: Uint8Array;
  /** per slot: the owning account id (the principal's string, not a copy) */
  private readonly account: (string | undefined)[];
  /** per slot: the risk engine's open-order handle, when the profile tracks exposure */
  private readonly handle: (OpenOrder | null)[];
  private readonly byClientId: FingerprintIndex;
  private readonly sessionSeq: Float64Array;
  private readonly ringPos: Float64Array;
  private readonly shard: Uint16Array;
  /** 0, or the numeric reason the order was marked loss-suspect with */
  private readonly loss: Uint8Array;
  /** per slot: the session id (the session's own string) */
  private readonly session: (string | undefined)[];
  private readonly bySessionSeq: FingerprintIndex;
  private readonly ssA: Uint32Array;
  private readonly ssB: Uint32Array;
  /** slots added since the last flush, with the index keys of the orders they evicted */
  private readonly pending: Int32Array;
  private readonly pendingOld: Uint32Array;
  private readonly pendingFlags: Uint8Array;
  private pendingCount = 0;

  constructor(readonly capacity: number) {
    // fill() faults every page in now rather than on the hot path (see FingerprintIndex).
    this.orderNo = new Float64Array(capacity).fill(0);
    this.state = new Uint8Array(capacity).fill(0);
    this.clA = new Uint32Array(capacity).fill(0);
    this.clB = new Uint32Array(capacity).fill(0);
    this.hasCl = new Uint8Array(capacity).fill(0);
    this.account = new Array<string | undefined>(capacity).fill(undefined);
    this.handle = new Array<OpenOrder | null>(capacity).fill(null);
    this.byClientId = new FingerprintIndex(capacity);
    this.sessionSeq = new Float64Array(capacity).fill(0);
    this.ringPos = new Float64Array(capacity).fill(0);
    this.shard = new Uint16Array(capacity).fill(0);
    this.loss = new Uint8Array(capacity).fill(0);
    this.session = new Array<string | undefined>(capacity).fill(undefined);
    this.ssA = new Uint32Array(capacity).fill(0);
    this.ssB = new Uint32Array(capacity).fill(0);
    this.bySessionSeq = new FingerprintIndex(capacity);
    const q = Math.max(1, Math.min(4096, capacity >> 1));
    this.pending = new Int32Array(q).fill(0);
    this.pendingOld = new Uint32Array(q * 4).fill(0);
    this.pendingFlags = new Uint8Array(q).fill(0);
  }

  /** Index updates waiting for {@link flushIndex}. */
  get pendingIndexUpdates(): number {
    return this.pendingCount;
  }

  private slotOf(orderNo: number): number {
    return orderNo % this.capacity;
  }

  /**
   * Registers an accepted order: `sessionId`/`sessionSeq` name it for confirmation queries,
   * `shard`/`ringPos` place it in the ingress ring whose durable watermark tells its status.
   */
  add(
    orderNo: number,
    accountId: string,
    clientOrderId: string | null,
    handle: OpenOrder | null,
    sessionId: string,
    sessionSeq: number,
    shard: number,
    ringPos: number,
  ): void {
    const s = this.slotOf(orderNo);
    const i = this.pendingCount;
    let evicted = 0;
    if (this.state[s] !== RegisteredState.Empty) {
      evicted = 2 | this.hasCl[s]!;
      const o = i * 4;
      this.pendingOld[o] = this.ssA[s]!;
      this.pendingOld[o + 1] = this.ssB[s]!;
      this.pendingOld[o + 2] = this.clA[s]!;
      this.pendingOld[o + 3] = this.clB[s]!;
    }
    this.pending[i] = s;
    this.pendingFlags[i] = evicted;
    this.pendingCount = i + 1;
    this.orderNo[s] = orderNo;
    this.sessionSeq[s] = sessionSeq;
    this.ringPos[s] = ringPos;
    this.shard[s] = shard;
    this.loss[s] = 0;
    this.session[s] = sessionId;
    fingerprintNumbered(sessionId, sessionSeq);
    this.ssA[s] = fpA;
    this.ssB[s] = fpB;
    this.state[s] = RegisteredState.Open;
    this.account[s] = accountId;
    this.handle[s] = handle;
    if (clientOrderId !== null) {
      fingerprintPair(accountId, clientOrderId);
      this.clA[s] = fpA;
      this.clB[s] = fpB;
      this.hasCl[s] = 1;
    } else {
      this.hasCl[s] = 0;
    }
    if (this.pendingCount === this.pending.length) this.flushIndex();
  }

  /** Applies the queued index updates (evicted orders out, new ones in), oldest first. */
  flushIndex(): void {
    const n = this.pendingCount;
    if (n === 0) return;
    this.pendingCount = 0;
    for (let i = 0; i < n; i++) {
      const s = this.pending[i]!;
      const evicted = this.pendingFlags[i]!;
      if (evicted !== 0) {
        // Remove the evicted order's keys only where they still point at this slot: a newer
        // order with the same clientOrderId owns that key now.
        const o = i * 4;
        const pa = this.pendingOld;
        if (this.bySessionSeq.get(pa[o]!, pa[o + 1]!) === s) this.bySessionSeq.delete(pa[o]!, pa[o + 1]!);
        if ((evicted & 1) !== 0 && this.byClientId.get(pa[o + 2]!, pa[o + 3]!) === s) this.byClientId.delete(pa[o + 2]!, pa[o + 3]!);
      }
      this.bySessionSeq.set(this.ssA[s]!, this.ssB[s]!, s);
      if (this.hasCl[s] === 1) this.byClientId.set(this.clA[s]!, this.clB[s]!, s);
    }
  }

  /** Ring slot of the caller's order `orderNo`, or -1 when unknown, evicted or another account's. */
  find(accountId: string, orderNo: number): number {
    if (!(orderNo > 0)) return -1;
    const s = this.slotOf(orderNo);
    return this.state[s] !== RegisteredState.Empty && this.orderNo[s] === orderNo && this.account[s] === accountId ? s : -1;
  }

  /** Ring slot of the caller's most recent order with this clientOrderId, or -1. */
  findByClientId(accountId: string, clientOrderId: string): number {
    this.flushIndex();
    fingerprintPair(accountId, clientOrderId);
    const s = this.byClientId.get(fpA, fpB);
    return s >= 0 && this.account[s] === accountId ? s : -1;
  }

  /** Ring slot holding order `orderNo` (any account), or -1. */
  slotOfOrderNo(orderNo: number): number {
    const s = this.slotOf(orderNo);
    return this.state[s] !== RegisteredState.Empty && this.orderNo[s] === orderNo ? s : -1;
  }

  /** Ring slot of the session's order `sessionSeq`, or -1 when unknown or no longer kept. */
  findBySessionSeq(sessionId: string, sessionSeq: number): number {
    this.flushIndex();
    fingerprintNumbered(sessionId, sessionSeq);
    const s = this.bySessionSeq.get(fpA, fpB);
    return s >= 0 && this.session[s] === sessionId && this.sessionSeq[s] === sessionSeq ? s : -1;
  }

  ringPosAt(slot: number): number {
    return this.ringPos[slot]!;
  }
  shardAt(slot: number): number {
    return this.shard[slot]!;
  }
  lossAt(slot: number): number {
    return this.loss[slot]!;
  }
  /** Marks an order loss-suspect with a numeric reason (> 0); returns false if it already was. */
  markLoss(slot: number, reason: number): boolean {
    if (this.loss[slot] !== 0) return false;
    this.loss[slot] = reason;
    return true;
  }

  stateAt(slot: number): RegisteredState {
    return this.state[slot] as RegisteredState;
  }
  orderNoAt(slot: number): number {
    return this.orderNo[slot]!;
  }
  handleAt(slot: number): OpenOrder | null {
    return this.handle[slot]!;
  }

  markCanceled(slot: number): void {
    this.state[slot] = RegisteredState.Canceled;
    this.handle[slot] = null;
  }
}
