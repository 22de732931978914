/**
 * The recent volatile orders, so that a session can cancel them and ask whether they are durable:
 * a ring of the last `capacity` accepted orders (typed arrays plus object references shared with
 * other owners), indexed by gateway order number (direct ring position), by (account,
 * clientOrderId) fingerprint and by (session, sessionSeq) fingerprint. Each entry keeps the
 * order's position in its shard's ingress ring (compared with the ring's durable watermark) and
 * a loss-suspect mark. An order older than the ring is no longer cancellable here
 * (ORDER_NOT_FOUND) and its confirmation status is no longer kept.
 *
 * Pure domain state owned by the event-loop thread.
 */
import type { OpenOrder } from '../risk/engine.js';
import { FingerprintIndex, fingerprintNumbered, fingerprintPair, fpA, fpB } from './fingerprint-index.js';

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
    if (this.state[s] !== RegisteredState.Empty) {
      if (this.hasCl[s] === 1) this.byClientId.delete(this.clA[s]!, this.clB[s]!);
      this.bySessionSeq.delete(this.ssA[s]!, this.ssB[s]!);
    }
    this.orderNo[s] = orderNo;
    this.sessionSeq[s] = sessionSeq;
    this.ringPos[s] = ringPos;
    this.shard[s] = shard;
    this.loss[s] = 0;
    this.session[s] = sessionId;
    fingerprintNumbered(sessionId, sessionSeq);
    this.ssA[s] = fpA;
    this.ssB[s] = fpB;
    this.bySessionSeq.set(fpA, fpB, s);
    this.state[s] = RegisteredState.Open;
    this.account[s] = accountId;
    this.handle[s] = handle;
    if (clientOrderId !== null) {
      fingerprintPair(accountId, clientOrderId);
      this.clA[s] = fpA;
      this.clB[s] = fpB;
      this.hasCl[s] = 1;
      this.byClientId.set(fpA, fpB, s);
    } else {
      this.hasCl[s] = 0;
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
