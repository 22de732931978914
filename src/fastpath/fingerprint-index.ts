/**
 * Fixed-capacity hash index from a 64-bit string fingerprint to a small integer, on typed arrays
 * allocated once: open addressing, linear probing, backward-shift deletion. It keeps no objects,
 * so indexing one entry per order costs the garbage collector nothing (a `Map` of strings keeps
 * every key alive through young-generation collections and rehashes its table as it churns).
 *
 * Fingerprints are two independent 32-bit hashes; two distinct keys collide with probability
 * about 2^-64, which for at most a few million live keys is far below any hardware error rate.
 */
const EMPTY = -1;

/** Running fingerprint state (module-level: computing one allocates nothing). */
export let fpA = 0;
export let fpB = 0;

export function fpStart(seed: number): void {
  fpA = 0x811c9dc5;
  fpB = 0x9747b28c ^ seed;
}

/** Feeds a string into the running fingerprint. */
export function fpFeed(s: string): void {
  let a = fpA;
  let b = fpB;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 13;
  }
  fpA = a;
  fpB = b;
}

/** Fingerprint of `(a, separator, b)`, left in fpA/fpB as unsigned 32-bit values. */
export function fingerprintPair(a: string, b: string): void {
  fpStart(a.length);
  fpFeed(a);
  fpA = Math.imul(fpA ^ 0x0a, 0x01000193);
  fpFeed(b);
  fpA >>>= 0;
  fpB >>>= 0;
}

/** Fingerprint of `(s, n)` for a non-negative integer n < 2^53, left in fpA/fpB (unsigned). */
export function fingerprintNumbered(s: string, n: number): void {
  fpStart(s.length ^ 0x5eed);
  fpFeed(s);
  const lo = n >>> 0;
  const hi = (n / 4294967296) >>> 0;
  let a = fpA;
  let b = fpB;
  a = Math.imul(a ^ lo, 0x01000193);
  b = Math.imul(b ^ lo, 0x5bd1e995);
  b ^= b >>> 13;
  a = Math.imul(a ^ hi, 0x01000193);
  b = Math.imul(b ^ hi, 0x5bd1e995);
  b ^= b >>> 15;
  fpA = a >>> 0;
  fpB = b >>> 0;
}

/** Fingerprint of one string, left in fpA/fpB as unsigned 32-bit values. */
export function fingerprint(s: string): void {
  fpStart(s.length);
  fpFeed(s);
  fpA >>>= 0;
  fpB >>>= 0;
}

export class FingerprintIndex {
  private readonly keyA: Uint32Array;
  private readonly keyB: Uint32Array;
  private readonly value: Int32Array;
  private readonly mask: number;
  private count = 0;

  /** Holds up to `capacity` entries (the table is sized at least twice that). */
  constructor(readonly capacity: number) {
    let size = 2;
    while (size < capacity * 2) size <<= 1;
    // fill() writes every page now: the OS maps fresh memory lazily, and a first touch on the
    // hot path is a page fault (tens of microseconds on a virtual machine).
    this.keyA = new Uint32Array(size).fill(0);
    this.keyB = new Uint32Array(size).fill(0);
    this.value = new Int32Array(size).fill(EMPTY);
    this.mask = size - 1;
  }

  get size(): number {
    return this.count;
  }

  private pos(a: number, b: number): number {
    let p = a & this.mask;
    for (;;) {
      if (this.value[p] === EMPTY) return -1 - p;
      if (this.keyA[p] === a && this.keyB[p] === b) return p;
      p = (p + 1) & this.mask;
    }
  }

  /** The value for fingerprint (a, b), or -1. */
  get(a: number, b: number): number {
    const p = this.pos(a, b);
    return p < 0 ? -1 : this.value[p]!;
  }

  /** Inserts or overwrites; the caller keeps the count within capacity. */
  set(a: number, b: number, v: number): void {
    const p = this.pos(a, b);
    if (p >= 0) {
      this.value[p] = v;
      return;
    }
    const q = -1 - p;
    this.keyA[q] = a;
    this.keyB[q] = b;
    this.value[q] = v;
    this.count++;
  }

  /** Removes the entry if present (backward-shift deletion keeps later keys reachable). */
  delete(a: number, b: number): boolean {
    let hole = this.pos(a, b);
    if (hole < 0) return false;
    this.count--;
    const mask = this.mask;
    let i = (hole + 1) & mask;
    for (;;) {
      if (this.value[i] === EMPTY) break;
      const home = this.keyA[i]! & mask;
      // move entry i into the hole unless its home lies cyclically in (hole, i]
      if (hole <= i ? home <= hole || home > i : home <= hole && home > i) {
        this.keyA[hole] = this.keyA[i]!;
        this.keyB[hole] = this.keyB[i]!;
        this.value[hole] = this.value[i]!;
        hole = i;
      }
      i = (i + 1) & mask;
    }
    this.value[hole] = EMPTY;
    return true;
  }
}
