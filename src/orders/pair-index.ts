/**
 * Growable hash index from a pair of strings (an account id and a key) to a non-negative
 * integer, on typed arrays: open addressing, linear probing, backward-shift deletion, doubling
 * when half full.
 *
 * The durable path keeps every order, so its (account, clientOrderId) and (account,
 * idempotency key) indexes hold one entry per order for the life of the process. A `Map` of
 * strings costs about a microsecond per insert at that size (hashing, rehashing as it grows,
 * its backing store churned through the garbage collector) and keeps a heap entry per order;
 * here an entry is 12 bytes in typed arrays and an insert is a fingerprint and a probe.
 *
 * Keys are stored as 64-bit fingerprints (two independent 32-bit hashes of the pair), not as
 * strings: callers check the candidate they get back against the real strings, so a
 * fingerprint collision (about 2^-64 per pair of keys) can only make an entry unreachable,
 * never return a wrong order.
 */
import { fingerprintPair as fingerprint, fpA, fpB } from '../fastpath/fingerprint-index.js';

const EMPTY = -1;

export class PairIndex {
  private keyA: Uint32Array;
  private keyB: Uint32Array;
  private value: Int32Array;
  private mask: number;
  private count = 0;

  constructor(initialSlots = 1 << 12) {
    let size = 16;
    while (size < initialSlots) size <<= 1;
    this.keyA = new Uint32Array(size);
    this.keyB = new Uint32Array(size);
    this.value = new Int32Array(size).fill(EMPTY);
    this.mask = size - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Slot of fingerprint (fpA, fpB), or -1 - (the empty slot where it would go). */
  private pos(a: number, b: number): number {
    const keyA = this.keyA;
    const value = this.value;
    const mask = this.mask;
    let p = (a ^ Math.imul(b, 0x9e3779b1)) & mask;
    for (;;) {
      if (value[p] === EMPTY) return -1 - p;
      if (keyA[p] === a && this.keyB[p] === b) return p;
      p = (p + 1) & mask;
    }
  }

  /** The value stored for (x, y), or -1. */
  get(x: string, y: string): number {
    fingerprint(x, y);
    const p = this.pos(fpA, fpB);
    return p < 0 ? -1 : this.value[p]!;
  }

  /** Stores (x, y) → v (v >= 0), replacing a previous value. */
  set(x: string, y: string, v: number): void {
    fingerprint(x, y);
    const p = this.pos(fpA, fpB);
    if (p >= 0) {
      this.value[p] = v;
      return;
    }
    if ((this.count + 1) * 2 > this.value.length) {
      this.grow();
      this.set(x, y, v);
      return;
    }
    const q = -1 - p;
    this.keyA[q] = fpA;
    this.keyB[q] = fpB;
    this.value[q] = v;
    this.count++;
  }

  /** Removes (x, y) if it maps to `v`; true if removed. */
  deleteIf(x: string, y: string, v: number): boolean {
    fingerprint(x, y);
    const p = this.pos(fpA, fpB);
    if (p < 0 || this.value[p] !== v) return false;
    // Backward-shift deletion: move later entries of the probe run into the hole.
    const keyA = this.keyA;
    const keyB = this.keyB;
    const value = this.value;
    const mask = this.mask;
    let hole = p;
    let q = (p + 1) & mask;
    while (value[q] !== EMPTY) {
      const home = (keyA[q]! ^ Math.imul(keyB[q]!, 0x9e3779b1)) & mask;
      // Move q into the hole unless its home lies cyclically in (hole, q].
      if (hole <= q ? home <= hole || home > q : home <= hole && home > q) {
        keyA[hole] = keyA[q]!;
        keyB[hole] = keyB[q]!;
        value[hole] = value[q]!;
        hole = q;
      }
      q = (q + 1) & mask;
    }
    value[hole] = EMPTY;
    this.count--;
    return true;
  }

  private grow(): void {
    const oldA = this.keyA;
    const oldB = this.keyB;
    const oldV = this.value;
    const size = oldV.length * 2;
    this.keyA = new Uint32Array(size);
    this.keyB = new Uint32Array(size);
    this.value = new Int32Array(size).fill(EMPTY);
    this.mask = size - 1;
    for (let i = 0; i < oldV.length; i++) {
      if (oldV[i] === EMPTY) continue;
      const q = -1 - this.pos(oldA[i]!, oldB[i]!);
      this.keyA[q] = oldA[i]!;
      this.keyB[q] = oldB[i]!;
      this.value[q] = oldV[i]!;
    }
  }
}
