/**
 * Fixed-capacity hash index from a 64-bit string fingerprint to a small integer, on typed arrays
 * allocated once: open addressing, linear probing, backward-shift deletion. It keeps no objects,
 * so indexing one entry per order costs the garbage collector nothing (a `Map` of strings keeps
 * every key alive through young-generation collections and rehashes its table as it churns).
 *
 * Fingerprints are keyed: HalfSipHash-1-3 (the 32-bit member of the SipHash family, Aumasson &
 * Bernstein, with a 64-bit output; 1-3 rounds, as Rust's HashMap uses SipHash) under a 64-bit
 * secret drawn from `crypto.randomBytes` when the process starts, over an injective encoding of
 * the input (each string's length, then its UTF-16 code units two to a 32-bit word; a number as
 * two words; the input kind mixed into the initial state). Whoever sends the strings (Idempotency
 * -Keys, clientOrderIds, session ids) does not know the secret, so can neither look for two
 * inputs with the same fingerprint nor pile inputs onto one home slot; two distinct inputs
 * collide with probability about 2^-64. The users re-check what a hit names wherever a wrong hit
 * could cross accounts (idempotency-window.ts, order-registry.ts, the durable path's PairIndex).
 *
 * The unkeyed hash it replaced (an FNV-1a lane and a multiply-xorshift lane) had invertible steps
 * and no secret: a collision between two (account, key) pairs could be computed offline (a meet
 * in the middle, ~2^32 work), and the low bits of a fingerprint, which choose the home slot,
 * depended only on the low bits of the characters. Cost, `npm run bench:fingerprint` (medians of
 * interleaved rounds, shared 2-core VM), keyed vs unkeyed, ns per call: pair with a short key
 * 66 vs 45, with a UUID key 154 vs 112, (session, seq) 50 vs 35, a 110-byte order body 324 vs 269.
 *
 * Owning thread: whichever thread computes (each has its own fpA/fpB; the secret is per process
 * and per thread, which is fine: fingerprints never leave the thread that made them, and are
 * never stored on disk).
 */
import { randomBytes } from 'node:crypto';

const EMPTY = -1;

/** Where the fingerprint functions leave their result (module-level: computing one allocates nothing). */
export let fpA = 0;
export let fpB = 0;

/**
 * This process's (this thread's) 64-bit secret, as two 32-bit halves. Module constants, not
 * parameters: V8 then folds them into the code (passed as parameters the hash was 1.7x slower).
 */
const SECRET = randomBytes(8);
const K0 = SECRET.readInt32LE(0);
const K1 = SECRET.readInt32LE(4);

/** Input kinds, mixed into the initial state: a pair never has the fingerprint of a single string. */
const ONE = 1;
const PAIR = 2;
const NUMBERED = 3;

/**
 * HalfSipHash-1-3 with a 64-bit output over the words: len(a), a's code units two per word,
 * then for PAIR len(b) and b's code units, for NUMBERED the low and high 32 bits of the number.
 *
 * Written for V8 (each measured on the pair of a short key, against a specialized copy): the
 * state stays in locals (module-level state variables: 2x slower); the secret is read from
 * module constants; one loop walks both strings and the compression round is written out (a
 * loop per round and a kind test per word: 2x slower).
 */
function sip(kind: number, a: string, b: string, lo: number, hi: number): void {
  let v0 = K0;
  let v1 = K1 ^ 0xee;
  let v2 = 0x6c796765 ^ K0 ^ kind;
  let v3 = 0x74656462 ^ K1;
  let s = a;
  let n = a.length;
  let second = kind !== PAIR; // true once the last string is being read
  // i = -2: the length word; then two code units per word (the last one alone when n is odd)
  let i = -2;
  for (;;) {
    if (i >= n) {
      if (second) break;
      second = true;
      s = b;
      n = b.length;
      i = -2;
    }
    const m = i < 0 ? n : i + 1 < n ? s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16) : s.charCodeAt(i);
    i += 2;
    v3 ^= m;
    v0 = (v0 + v1) | 0;
    v1 = (v1 << 5) | (v1 >>> 27);
    v1 ^= v0;
    v0 = (v0 << 16) | (v0 >>> 16);
    v2 = (v2 + v3) | 0;
    v3 = (v3 << 8) | (v3 >>> 24);
    v3 ^= v2;
    v0 = (v0 + v3) | 0;
    v3 = (v3 << 7) | (v3 >>> 25);
    v3 ^= v0;
    v2 = (v2 + v1) | 0;
    v1 = (v1 << 13) | (v1 >>> 19);
    v1 ^= v2;
    v2 = (v2 << 16) | (v2 >>> 16);
    v0 ^= m;
  }
  if (kind === NUMBERED) {
    for (let j = 0; j < 2; j++) {
      const m = j === 0 ? lo : hi;
      v3 ^= m;
      v0 = (v0 + v1) | 0;
      v1 = (v1 << 5) | (v1 >>> 27);
      v1 ^= v0;
      v0 = (v0 << 16) | (v0 >>> 16);
      v2 = (v2 + v3) | 0;
      v3 = (v3 << 8) | (v3 >>> 24);
      v3 ^= v2;
      v0 = (v0 + v3) | 0;
      v3 = (v3 << 7) | (v3 >>> 25);
      v3 ^= v0;
      v2 = (v2 + v1) | 0;
      v1 = (v1 << 13) | (v1 >>> 19);
      v1 ^= v2;
      v2 = (v2 << 16) | (v2 >>> 16);
      v0 ^= m;
    }
  }
  // finalization: 3 rounds per 32-bit half of the output
  v2 ^= 0xee;
  for (let r = 0; r < 3; r++) {
    v0 = (v0 + v1) | 0;
    v1 = (v1 << 5) | (v1 >>> 27);
    v1 ^= v0;
    v0 = (v0 << 16) | (v0 >>> 16);
    v2 = (v2 + v3) | 0;
    v3 = (v3 << 8) | (v3 >>> 24);
    v3 ^= v2;
    v0 = (v0 + v3) | 0;
    v3 = (v3 << 7) | (v3 >>> 25);
    v3 ^= v0;
    v2 = (v2 + v1) | 0;
    v1 = (v1 << 13) | (v1 >>> 19);
    v1 ^= v2;
    v2 = (v2 << 16) | (v2 >>> 16);
  }
  fpA = (v1 ^ v3) >>> 0;
  v1 ^= 0xdd;
  for (let r = 0; r < 3; r++) {
    v0 = (v0 + v1) | 0;
    v1 = (v1 << 5) | (v1 >>> 27);
    v1 ^= v0;
    v0 = (v0 << 16) | (v0 >>> 16);
    v2 = (v2 + v3) | 0;
    v3 = (v3 << 8) | (v3 >>> 24);
    v3 ^= v2;
    v0 = (v0 + v3) | 0;
    v3 = (v3 << 7) | (v3 >>> 25);
    v3 ^= v0;
    v2 = (v2 + v1) | 0;
    v1 = (v1 << 13) | (v1 >>> 19);
    v1 ^= v2;
    v2 = (v2 << 16) | (v2 >>> 16);
  }
  fpB = (v1 ^ v3) >>> 0;
}

/** Fingerprint of `(a, b)`, left in fpA/fpB as unsigned 32-bit values. */
export function fingerprintPair(a: string, b: string): void {
  sip(PAIR, a, b, 0, 0);
}

/** Fingerprint of `(s, n)` for a non-negative integer n < 2^53, left in fpA/fpB (unsigned). */
export function fingerprintNumbered(s: string, n: number): void {
  sip(NUMBERED, s, '', n >>> 0, (n / 4294967296) >>> 0);
}

/** Fingerprint of one string, left in fpA/fpB as unsigned 32-bit values. */
export function fingerprint(s: string): void {
  sip(ONE, s, '', 0, 0);
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
