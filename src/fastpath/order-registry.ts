/**
 * The recent volatile orders, so that a session can cancel them: a ring of the last `capacity`
 * accepted orders (typed arrays plus object references shared with other owners), indexed by
 * gateway order number (direct ring position) and by (account, clientOrderId) fingerprint.
 * An order older than the ring is no longer cancellable here (ORDER_NOT_FOUND).
 *
 * Pure domain state owned by the event-loop thread.
 */
import type { OpenOrder } from '../risk/engine.js';
import { FingerprintIndex, fingerprintPair, fpA, fpB } from './fingerprint-index.js';

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
  }

  private slotOf(orderNo: number): number {
    return orderNo % this.capacity;
  }

  add(orderNo: number, accountId: string, clientOrderId: string | null, handle: OpenOrder | null): void {
    const s = this.slotOf(orderNo);
    if (this.state[s] !== RegisteredState.Empty && this.hasCl[s] === 1) this.byClientId.delete(this.clA[s]!, this.clB[s]!);
    this.orderNo[s] = orderNo;
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
