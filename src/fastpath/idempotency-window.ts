/**
 * Bounded in-memory idempotency window for the volatile fast path: remembers the last `capacity`
 * accepted (account, Idempotency-Key) pairs, oldest evicted first. A replay with the same body gets
 * the original acknowledgement; the same key with a different body is a conflict.
 *
 * Every accepted order passes through here, so the window keeps no objects per entry (see
 * {@link FingerprintIndex}): keys and bodies are 64-bit fingerprints, the acknowledgement is kept
 * as numbers in typed arrays and rebuilt on replay.
 */
import { FingerprintIndex, fingerprint, fingerprintPair, fpA, fpB } from '../lib/fingerprint-index.js';

export const MISS = -1;
export const CONFLICT = -2;

export class IdempotencyWindow {
  private readonly index: FingerprintIndex;
  /** ring of entries (insertion order), index = slot */
  private readonly keyA: Uint32Array;
  private readonly keyB: Uint32Array;
  private readonly bodyA: Uint32Array;
  private readonly bodyB: Uint32Array;
  private readonly used: Uint8Array;
  private readonly numbers: Float64Array;
  /** per slot: JSON literal of the session id (shared with the principal, not copied) */
  private readonly sessions: (string | undefined)[];
  private next = 0;

  constructor(readonly capacity: number) {
    this.index = new FingerprintIndex(Math.max(capacity, 1));
    // fill() faults every page in now rather than on the hot path (see FingerprintIndex).
    this.keyA = new Uint32Array(capacity).fill(0);
    this.keyB = new Uint32Array(capacity).fill(0);
    this.bodyA = new Uint32Array(capacity).fill(0);
    this.bodyB = new Uint32Array(capacity).fill(0);
    this.used = new Uint8Array(capacity).fill(0);
    this.numbers = new Float64Array(capacity * 3).fill(0);
    this.sessions = new Array<string | undefined>(capacity).fill(undefined);
  }

  /** The slot of a remembered answer for this body, {@link MISS}, or {@link CONFLICT}. */
  lookup(accountId: string, key: string, body: string): number {
    if (this.index.size === 0) return MISS;
    fingerprintPair(accountId, key);
    const slot = this.index.get(fpA, fpB);
    if (slot < 0) return MISS;
    fingerprint(body);
    return this.bodyA[slot] === fpA && this.bodyB[slot] === fpB ? slot : CONFLICT;
  }

  remember(accountId: string, key: string, body: string, sessionIdJson: string, sessionSeq: number, orderNo: number, receivedAtNs: number): void {
    if (this.capacity === 0) return;
    fingerprintPair(accountId, key);
    const a = fpA;
    const b = fpB;
    if (this.index.get(a, b) >= 0) return;
    const slot = this.next;
    if (this.used[slot] === 1) this.index.delete(this.keyA[slot]!, this.keyB[slot]!);
    this.next = slot + 1 === this.capacity ? 0 : slot + 1;
    this.used[slot] = 1;
    this.keyA[slot] = a;
    this.keyB[slot] = b;
    fingerprint(body);
    this.bodyA[slot] = fpA;
    this.bodyB[slot] = fpB;
    this.sessions[slot] = sessionIdJson;
    this.numbers[slot * 3] = sessionSeq;
    this.numbers[slot * 3 + 1] = orderNo;
    this.numbers[slot * 3 + 2] = receivedAtNs;
    this.index.set(a, b, slot);
  }

  sessionIdJson(slot: number): string {
    return this.sessions[slot]!;
  }
  sessionSeq(slot: number): number {
    return this.numbers[slot * 3]!;
  }
  orderNo(slot: number): number {
    return this.numbers[slot * 3 + 1]!;
  }
  receivedAtNs(slot: number): number {
    return this.numbers[slot * 3 + 2]!;
  }

  get size(): number {
    return this.index.size;
  }
}
