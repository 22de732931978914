/**
 * Bounded in-memory idempotency window for the volatile fast path: remembers the last `capacity`
 * accepted (account, Idempotency-Key) pairs, oldest evicted first. A replay with the same body gets
 * the original acknowledgement; the same key with a different body is a conflict.
 *
 * Built for the garbage collector: every accepted order passes through here, and whatever a
 * structure like this keeps survives young-generation collections (whose pause grows with the
 * survivors), while a churning Map rehashes its whole table every lap. So the window keeps no
 * objects at all: a fixed open-addressing hash table (linear probing, backward-shift deletion) and
 * a ring of entries, all typed arrays allocated once. Keys and bodies are kept as 64-bit
 * fingerprints (two independent 32-bit hashes); the acknowledgement is kept as numbers and rebuilt
 * on replay. With 64-bit fingerprints a false match needs a collision among at most `capacity`
 * live keys of the whole gateway: about capacity / 2^64 per lookup.
 */
export const MISS = -1;
export const CONFLICT = -2;

const EMPTY = -1;

let hA = 0;
let hB = 0;

/** Feeds a string into the running fingerprint (hA, hB). */
function feed(s: string): void {
  let a = hA;
  let b = hB;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 13;
  }
  hA = a;
  hB = b;
}

function start(len: number): void {
  hA = 0x811c9dc5;
  hB = 0x9747b28c ^ len;
}

export class IdempotencyWindow {
  /** hash table: position -> ring slot, or EMPTY */
  private readonly table: Int32Array;
  private readonly mask: number;
  /** ring of entries (insertion order), index = slot */
  private readonly keyA: Uint32Array;
  private readonly keyB: Uint32Array;
  private readonly bodyA: Uint32Array;
  private readonly bodyB: Uint32Array;
  private readonly bodyLen: Uint32Array;
  private readonly used: Uint8Array;
  private readonly numbers: Float64Array;
  /** per slot: JSON literal of the session id (shared with the principal, not copied) */
  private readonly sessions: (string | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    let size = 2;
    while (size < capacity * 2) size <<= 1;
    this.table = new Int32Array(size).fill(EMPTY);
    this.mask = size - 1;
    this.keyA = new Uint32Array(capacity);
    this.keyB = new Uint32Array(capacity);
    this.bodyA = new Uint32Array(capacity);
    this.bodyB = new Uint32Array(capacity);
    this.bodyLen = new Uint32Array(capacity);
    this.used = new Uint8Array(capacity);
    this.numbers = new Float64Array(capacity * 3);
    this.sessions = new Array<string | undefined>(capacity).fill(undefined);
  }

  private keyHash(accountId: string, key: string): void {
    start(accountId.length);
    feed(accountId);
    hA = Math.imul(hA ^ 0x0a, 0x01000193); // separator
    feed(key);
    hA >>>= 0;
    hB >>>= 0;
  }

  /** Table position holding the key (hA, hB), or EMPTY. */
  private find(a: number, b: number): number {
    const t = this.table;
    let pos = a & this.mask;
    for (;;) {
      const slot = t[pos]!;
      if (slot === EMPTY) return EMPTY;
      if (this.keyA[slot] === a && this.keyB[slot] === b) return pos;
      pos = (pos + 1) & this.mask;
    }
  }

  /** The slot of a remembered answer for this body, {@link MISS}, or {@link CONFLICT}. */
  lookup(accountId: string, key: string, body: string): number {
    if (this.count === 0) return MISS;
    this.keyHash(accountId, key);
    const pos = this.find(hA, hB);
    if (pos === EMPTY) return MISS;
    const slot = this.table[pos]!;
    if (this.bodyLen[slot] !== body.length) return CONFLICT;
    start(body.length);
    feed(body);
    return this.bodyA[slot] === hA >>> 0 && this.bodyB[slot] === hB >>> 0 ? slot : CONFLICT;
  }

  remember(accountId: string, key: string, body: string, sessionIdJson: string, sessionSeq: number, orderNo: number, receivedAtNs: number): void {
    if (this.capacity === 0) return;
    this.keyHash(accountId, key);
    const a = hA;
    const b = hB;
    if (this.find(a, b) !== EMPTY) return;
    const slot = this.next;
    if (this.used[slot] === 1) this.remove(this.find(this.keyA[slot]!, this.keyB[slot]!));
    this.next = slot + 1 === this.capacity ? 0 : slot + 1;
    this.used[slot] = 1;
    this.keyA[slot] = a;
    this.keyB[slot] = b;
    start(body.length);
    feed(body);
    this.bodyA[slot] = hA >>> 0;
    this.bodyB[slot] = hB >>> 0;
    this.bodyLen[slot] = body.length;
    this.sessions[slot] = sessionIdJson;
    this.numbers[slot * 3] = sessionSeq;
    this.numbers[slot * 3 + 1] = orderNo;
    this.numbers[slot * 3 + 2] = receivedAtNs;
    let pos = a & this.mask;
    while (this.table[pos] !== EMPTY) pos = (pos + 1) & this.mask;
    this.table[pos] = slot;
    this.count++;
  }

  /** Backward-shift deletion: keeps every remaining key reachable from its home position. */
  private remove(pos: number): void {
    const t = this.table;
    const mask = this.mask;
    this.used[t[pos]!] = 0;
    this.count--;
    let hole = pos;
    let i = (pos + 1) & mask;
    for (;;) {
      const slot = t[i]!;
      if (slot === EMPTY) break;
      const home = this.keyA[slot]! & mask;
      // move the entry into the hole unless its home lies cyclically in (hole, i]
      if (hole <= i ? home <= hole || home > i : home <= hole && home > i) {
        t[hole] = slot;
        hole = i;
      }
      i = (i + 1) & mask;
    }
    t[hole] = EMPTY;
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
    return this.count;
  }
}
