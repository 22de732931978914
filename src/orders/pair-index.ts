/**
 * Growable hash index from a pair of strings (an account id and a key) to a non-negative
 * integer: a {@link FingerprintIndex} (open addressing on one interleaved typed array) that
 * doubles when half full.
 *
 * The durable path keeps every order, so its (account, clientOrderId) and (account,
 * idempotency key) indexes hold one entry per order for the life of the process. A `Map` of
 * strings costs about a microsecond per insert at that size (hashing, rehashing as it grows,
 * its backing store churned through the garbage collector) and keeps a heap entry per order;
 * here an entry is 16 bytes of one typed array, and an insert is a fingerprint and a probe that
 * touches one cache line.
 *
 * Keys are stored as 64-bit fingerprints (keyed with a per-process secret: see
 * fingerprint-index.ts), not as strings: callers check the candidate they get back against the
 * real strings, so a fingerprint collision (about 2^-64 per pair of keys, and not computable
 * from outside without the secret) can only make an entry unreachable, never return a wrong
 * order.
 */
import { FingerprintIndex, fingerprintPair as fingerprint, fpA, fpB } from '../lib/fingerprint-index.js';

export class PairIndex {
  private table: FingerprintIndex;

  /** @param initialEntries  entries held before the first doubling */
  constructor(initialEntries = 1 << 11) {
    this.table = new FingerprintIndex(Math.max(8, initialEntries));
  }

  get size(): number {
    return this.table.size;
  }

  /** The value stored for (x, y), or -1. */
  get(x: string, y: string): number {
    fingerprint(x, y);
    return this.table.get(fpA, fpB);
  }

  /** Stores (x, y) → v (v >= 0), replacing a previous value. */
  set(x: string, y: string, v: number): void {
    this.swap(x, y, v);
  }

  /**
   * Stores (x, y) → v (v >= 0) and returns the value it replaced, or -1: a `get` and a `set`
   * with one fingerprint and one probe.
   */
  swap(x: string, y: string, v: number): number {
    if (this.table.size >= this.table.capacity) this.grow();
    fingerprint(x, y);
    return this.table.swap(fpA, fpB, v);
  }

  /** Removes (x, y) if it maps to `v`; true if removed. */
  deleteIf(x: string, y: string, v: number): boolean {
    fingerprint(x, y);
    return this.table.deleteIf(fpA, fpB, v);
  }

  private grow(): void {
    const bigger = new FingerprintIndex(this.table.capacity * 2);
    this.table.copyInto(bigger);
    this.table = bigger;
  }
}
