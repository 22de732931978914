/**
 * Bounded in-memory idempotency window for the volatile fast path: remembers the last `capacity`
 * accepted (account, Idempotency-Key) pairs, oldest evicted first. A replay with the same body gets
 * the original acknowledgement; the same key with a different body is a conflict.
 *
 * Every accepted order passes through here, so the window keeps no objects per entry (see
 * {@link FingerprintIndex}): keys and bodies are 64-bit fingerprints, the acknowledgement is kept
 * as numbers in typed arrays and rebuilt on replay. Owning thread: the event loop.
 *
 * A hit must be the same (account, key), never another pair that shares its fingerprint. Two
 * defences, both kept after measuring them (`npm run bench:fingerprint`: lookup + remember per
 * order with a fresh key string each, as a header value is, interleaved rounds, medians, on a
 * shared 2-core VM):
 *
 *  - the fingerprints are keyed with a per-process secret (fingerprint-index.ts), so nobody can
 *    compute an (account, key) pair that collides with another, nor pile keys onto one home
 *    slot: +20 ns (short key) to +40 ns (UUID key) per fingerprint over the unkeyed hash it
 *    replaced;
 *  - a hit is re-checked against the account id and the Idempotency-Key kept per slot, so a
 *    collision, however it came about, can at worst leave a pair unremembered (its retry is
 *    evaluated anew), never answer with another pair's acknowledgement. The account id is the
 *    principal's string (alive anyway); keeping the last `capacity` key strings alive measured
 *    within the noise (-72 to +108 ns per order across runs, no more garbage-collection pause
 *    time), and costs about 4 MB at the default window with UUID keys.
 *
 * The body is compared by fingerprint only: it is compared once the pair matched, so a body
 * collision could only mix up one account's own two bodies under one key, a 2^-64 accident.
 */
import { FingerprintIndex, fingerprint, fingerprintPair, fpA, fpB } from '../lib/fingerprint-index.js';

/**
 * Fingerprints an (account, key) pair into fpA/fpB: {@link fingerprintPair} unless a test injects
 * another (e.g. one that makes two pairs collide).
 */
export type PairFingerprint = (accountId: string, key: string) => void;

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
  /** per slot: the account id (the principal's string, not a copy) and the key, re-checked on every hit */
  private readonly accounts: (string | undefined)[];
  private readonly keys: (string | undefined)[];
  private next = 0;
  /**
   * The pair the last lookup fingerprinted, and its fingerprint: /v3/orders looks a key up, then
   * remembers it once the order is accepted, and the second fingerprint is saved.
   */
  private lastAccount: string | undefined = undefined;
  private lastKey: string | undefined = undefined;
  private lastA = 0;
  private lastB = 0;

  constructor(
    readonly capacity: number,
    private readonly pairFingerprint: PairFingerprint = fingerprintPair,
  ) {
    this.index = new FingerprintIndex(Math.max(capacity, 1));
    // fill() faults every page in now rather than on the hot path (see FingerprintIndex).
    this.keyA = new Uint32Array(capacity).fill(0);
    this.keyB = new Uint32Array(capacity).fill(0);
    this.bodyA = new Uint32Array(capacity).fill(0);
    this.bodyB = new Uint32Array(capacity).fill(0);
    this.used = new Uint8Array(capacity).fill(0);
    this.numbers = new Float64Array(capacity * 3).fill(0);
    this.sessions = new Array<string | undefined>(capacity).fill(undefined);
    this.accounts = new Array<string | undefined>(capacity).fill(undefined);
    this.keys = new Array<string | undefined>(capacity).fill(undefined);
  }

  /** The slot of a remembered answer for this body, {@link MISS}, or {@link CONFLICT}. */
  lookup(accountId: string, key: string, body: string): number {
    if (this.index.size === 0) return MISS;
    this.pairFingerprint(accountId, key);
    this.lastAccount = accountId;
    this.lastKey = key;
    this.lastA = fpA;
    this.lastB = fpB;
    const slot = this.index.get(fpA, fpB);
    // another pair's entry under the same fingerprint is not this request's
    if (slot < 0 || this.accounts[slot] !== accountId || this.keys[slot] !== key) return MISS;
    fingerprint(body);
    return this.bodyA[slot] === fpA && this.bodyB[slot] === fpB ? slot : CONFLICT;
  }

  remember(accountId: string, key: string, body: string, sessionIdJson: string, sessionSeq: number, orderNo: number, receivedAtNs: number): void {
    if (this.capacity === 0) return;
    let a = this.lastA;
    let b = this.lastB;
    if (accountId !== this.lastAccount || key !== this.lastKey) {
      this.pairFingerprint(accountId, key);
      a = fpA;
      b = fpB;
    }
    // Already there (a replay's twin), or another pair with the same fingerprint: that entry
    // stays, and this pair goes unremembered (its retries are evaluated anew).
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
    this.accounts[slot] = accountId;
    this.keys[slot] = key;
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
