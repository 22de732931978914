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
  /**
   * One slot = 4 int32s (keyA, keyB, value, unused): a probe touches one cache line and one page,
   * not three. The table is far larger than the CPU caches, so every lookup of a new key misses
   * them; on a virtual machine a TLB miss is a two-level page walk, and three of them per probe
   * showed up as a 9 µs p99 for inserting one order into the cancel registry.
   */
  private readonly t: Int32Array;
  private readonly mask: number;
  private count = 0;

  /** Holds up to `capacity` entries (the table is sized at least twice that). */
  constructor(readonly capacity: number) {
    let size = 2;
    while (size < capacity * 2) size <<= 1;
    // fill() writes every page now: the OS maps fresh memory lazily, and a first touch on the
    // hot path is a page fault (tens of microseconds on a virtual machine).
    this.t = new Int32Array(size * 4).fill(0);
    for (let i = 2; i < this.t.length; i += 4) this.t[i] = EMPTY;
    this.mask = size - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Slot index (×4) of (a, b), or -1 - (index of the empty slot where it would go). */
  private pos(a: number, b: number): number {
    const t = this.t;
    const ai = a | 0;
    const bi = b | 0;
    let p = a & this.mask;
    for (;;) {
      const o = p << 2;
      if (t[o + 2] === EMPTY) return -1 - o;
      if (t[o] === ai && t[o + 1] === bi) return o;
      p = (p + 1) & this.mask;
    }
  }

  /** The value for fingerprint (a, b), or -1. */
  get(a: number, b: number): number {
    const o = this.pos(a, b);
    return o < 0 ? -1 : this.t[o + 2]!;
  }

  /** Inserts or overwrites; the caller keeps the count within capacity. */
  set(a: number, b: number, v: number): void {
    const o = this.pos(a, b);
    const t = this.t;
    if (o >= 0) {
      t[o + 2] = v;
      return;
    }
    const q = -1 - o;
    t[q] = a | 0;
    t[q + 1] = b | 0;
    t[q + 2] = v;
    this.count++;
  }

  /**
   * Inserts or overwrites, returning the value replaced or -1: a `get` and a `set` in one probe.
   * The caller keeps the count within capacity.
   */
  swap(a: number, b: number, v: number): number {
    const o = this.pos(a, b);
    const t = this.t;
    if (o >= 0) {
      const old = t[o + 2]!;
      t[o + 2] = v;
      return old;
    }
    const q = -1 - o;
    t[q] = a | 0;
    t[q + 1] = b | 0;
    t[q + 2] = v;
    this.count++;
    return -1;
  }

  /** Copies every entry into `other` (growing a table). */
  copyInto(other: FingerprintIndex): void {
    const t = this.t;
    for (let o = 0; o < t.length; o += 4) if (t[o + 2] !== EMPTY) other.set(t[o]!, t[o + 1]!, t[o + 2]!);
  }

  /** Removes the entry if it holds `v`; true if removed. */
  deleteIf(a: number, b: number, v: number): boolean {
    const o = this.pos(a, b);
    return o >= 0 && this.t[o + 2] === v && this.delete(a, b);
  }

  /** Removes the entry if present (backward-shift deletion keeps later keys reachable). */
  delete(a: number, b: number): boolean {
    const found = this.pos(a, b);
    if (found < 0) return false;
    this.count--;
    const t = this.t;
    const mask = this.mask;
    let hole = found >> 2;
    let i = (hole + 1) & mask;
    for (;;) {
      const io = i << 2;
      if (t[io + 2] === EMPTY) break;
      const home = t[io]! & mask;
      // move entry i into the hole unless its home lies cyclically in (hole, i]
      if (hole <= i ? home <= hole || home > i : home <= hole && home > i) {
        const ho = hole << 2;
        t[ho] = t[io]!;
        t[ho + 1] = t[io + 1]!;
        t[ho + 2] = t[io + 2]!;
        hole = i;
      }
      i = (i + 1) & mask;
    }
    t[(hole << 2) + 2] = EMPTY;
    return true;
  }
}
