/**
 * Single-producer / single-consumer ring of fixed-size order records in shared memory.
 *
 * The event-loop thread is the only producer of a ring; exactly one drain worker thread consumes
 * it. Head and tail are monotonically increasing 32-bit counters on separate cache lines; the
 * producer publishes a record with `Atomics.store(head)` after writing it, the consumer frees a
 * slot with `Atomics.store(tail)` once it is done with it. No locks, no allocation, no syscalls on
 * the producer side: the consumer polls (see drain/drain-loop.ts), so enqueueing never wakes a thread.
 *
 * The consumer reads ahead of the tail: it journals what it read, and frees the slots only when
 * the journal has made them durable. So `tail` is the shard's durable watermark: every order
 * pushed before it is on disk, every order at or after it is not (yet). The producer knows each
 * order's position (its push count), so it can answer "is order N durable?" from shared memory
 * alone, and the oldest slot still held is the oldest order waiting for the journal.
 *
 * Record layout (SLOT_BYTES = 256, little-endian):
 *
 *   off  size  field
 *     0     8  orderNo        f64  gateway order number
 *     8     8  sessionSeq     f64
 *    16     8  receivedAtNs   f64  monotonic ns since process start
 *    24     8  price          f64  ticks (0 = none)
 *    32     8  expireAt       f64  epoch ms (0 = none)
 *    40     4  qty            u32
 *    44     1  side           u8   1 BUY, 2 SELL
 *    45     1  type           u8   1 LIMIT, 2 MARKET
 *    46     1  timeInForce    u8   1 GTC, 2 GTD
 *    47     1  symbolLen      u8
 *    48     1  accountLen     u8
 *    49     1  sessionLen     u8
 *    50     1  clientIdLen    u8   0 = none
 *    51     5  (reserved)
 *    56     8  symbol         ASCII
 *    64    64  accountId      ASCII
 *   128    64  sessionId      ASCII
 *   192    64  clientOrderId  ASCII
 */
import { getAscii, putAscii } from '@switchyard/protocol';
import type { NewOrder } from '../contract/order.js';

export const SLOT_BYTES = 256;

/** Int32 indexes of the control block; each counter sits on its own 64-byte line. */
export const CTL_HEAD = 0;
export const CTL_TAIL = 16;
export const CTL_CLOSED = 32;
export const CTL_PROCESSED = 48;
/** set (to 1) by the consumer when its journal failed: the slots it holds will never be durable */
export const CTL_FAILED = 56;
const CTL_INTS = 64;

export interface RingBuffers {
  control: SharedArrayBuffer;
  slots: SharedArrayBuffer;
  capacity: number;
}

export function allocateRing(capacity: number): RingBuffers {
  const slots = new SharedArrayBuffer(capacity * SLOT_BYTES);
  // Touch every page now so the first lap around the ring does not take page faults on the
  // hot path (a fault per 16 slots showed up in the enqueue stage's p99).
  const touch = new Int32Array(slots);
  for (let i = 0; i < touch.length; i += 1024) touch[i] = 1;
  touch.fill(0);
  return { control: new SharedArrayBuffer(CTL_INTS * 4), slots, capacity };
}

/** A decoded record, as a drain worker sees it. */
export interface RingRecord {
  orderNo: number;
  sessionSeq: number;
  receivedAtNs: number;
  price: number;
  expireAt: number;
  qty: number;
  side: number;
  type: number;
  timeInForce: number;
  symbol: string;
  accountId: string;
  sessionId: string;
  clientOrderId: string | null;
}

class RingView {
  protected readonly ctl: Int32Array;
  protected readonly f64: Float64Array;
  protected readonly u32: Uint32Array;
  protected readonly u8: Uint8Array;
  readonly capacity: number;

  constructor(b: RingBuffers) {
    this.ctl = new Int32Array(b.control);
    this.f64 = new Float64Array(b.slots);
    this.u32 = new Uint32Array(b.slots);
    this.u8 = new Uint8Array(b.slots);
    this.capacity = b.capacity;
  }

  /** Records enqueued and not yet consumed. */
  depth(): number {
    return (Atomics.load(this.ctl, CTL_HEAD) - Atomics.load(this.ctl, CTL_TAIL)) | 0;
  }

  get closed(): boolean {
    return Atomics.load(this.ctl, CTL_CLOSED) !== 0;
  }

  /** Records the consumer has finished with. */
  get processed(): number {
    return Atomics.load(this.ctl, CTL_PROCESSED) >>> 0;
  }
}

export enum PushResult {
  Ok = 0,
  Full = 1,
  Closed = 2,
}

/** Writes at most `max` characters of an ASCII string; returns how many. */
function writeAscii(u8: Uint8Array, off: number, s: string, max: number): number {
  const n = s.length < max ? s.length : max;
  putAscii(u8, off, s, n);
  return n;
}

function readAscii(u8: Uint8Array, off: number, len: number): string {
  return getAscii(u8, off, off + len);
}

export class RingProducer extends RingView {
  private head = 0;
  /** Records ever pushed (a JS number: does not wrap like the 32-bit head). */
  private total = 0;

  constructor(b: RingBuffers) {
    super(b);
    this.head = Atomics.load(this.ctl, CTL_HEAD);
    this.total = this.head >>> 0;
  }

  /** Position the next pushed record will have (= records pushed so far). */
  get pushed(): number {
    return this.total;
  }

  /** Records the consumer has freed: every position below this is durable (or was dropped unjournaled, see CTL_FAILED). */
  freedCount(): number {
    return this.total - this.depth();
  }

  /** True once the consumer reported that its journal failed. */
  get failed(): boolean {
    return Atomics.load(this.ctl, CTL_FAILED) !== 0;
  }

  /**
   * Slot index of position `pos`. Positions are JS numbers that never wrap (the 32-bit head and
   * tail only serve to compute the depth, which is right modulo 2^32), so the mapping stays
   * consistent for any capacity, not only powers of two.
   */
  private slotAt(pos: number): number {
    return pos % this.capacity;
  }

  /** receivedAtNs of the record at `pos`; valid only while it is held (freedCount() <= pos < pushed). */
  receivedAtNsAt(pos: number): number {
    return this.f64[this.slotAt(pos) * (SLOT_BYTES / 8) + 2]!;
  }

  /** Gateway order number of the record at `pos` (same validity as receivedAtNsAt). */
  orderNoAt(pos: number): number {
    return this.f64[this.slotAt(pos) * (SLOT_BYTES / 8)]!;
  }

  /** Session id of the record at `pos` (allocates; for the rare loss-suspect path). */
  sessionIdAt(pos: number): string {
    const b = this.slotAt(pos) * SLOT_BYTES;
    return readAscii(this.u8, b + 128, this.u8[b + 49]!);
  }

  push(
    orderNo: number,
    sessionSeq: number,
    receivedAtNs: number,
    accountId: string,
    sessionId: string,
    o: NewOrder,
  ): PushResult {
    if (Atomics.load(this.ctl, CTL_CLOSED) !== 0) return PushResult.Closed;
    const head = this.head;
    if (((head - Atomics.load(this.ctl, CTL_TAIL)) | 0) >= this.capacity) return PushResult.Full;
    const slot = this.total % this.capacity;
    const f = slot * (SLOT_BYTES / 8);
    const b = slot * SLOT_BYTES;
    const f64 = this.f64;
    const u8 = this.u8;
    f64[f] = orderNo;
    f64[f + 1] = sessionSeq;
    f64[f + 2] = receivedAtNs;
    f64[f + 3] = o.price;
    f64[f + 4] = o.expireAt;
    this.u32[(b >> 2) + 10] = o.qty;
    u8[b + 44] = o.side;
    u8[b + 45] = o.type;
    u8[b + 46] = o.timeInForce;
    u8[b + 47] = writeAscii(u8, b + 56, o.symbol, 8);
    u8[b + 48] = writeAscii(u8, b + 64, accountId, 64);
    u8[b + 49] = writeAscii(u8, b + 128, sessionId, 64);
    u8[b + 50] = o.clientOrderId === null ? 0 : writeAscii(u8, b + 192, o.clientOrderId, 64);
    this.head = (head + 1) | 0;
    this.total++;
    Atomics.store(this.ctl, CTL_HEAD, this.head);
    return PushResult.Ok;
  }

  /** Refuses further records; the consumer drains what is left and stops. */
  close(): void {
    Atomics.store(this.ctl, CTL_CLOSED, 1);
  }
}

export class RingConsumer extends RingView {
  /** first slot not yet freed (shared with the producer) */
  private tail: number;
  /** first slot not yet read (private to the consumer; tail <= readPos <= head) */
  private readPos: number;
  /** positions of tail and readPos as JS numbers (no 32-bit wrap; they pick the slot) */
  private tailTotal: number;
  private readTotal: number;

  constructor(b: RingBuffers) {
    super(b);
    this.tail = Atomics.load(this.ctl, CTL_TAIL);
    this.readPos = this.tail;
    this.tailTotal = this.tail >>> 0;
    this.readTotal = this.tailTotal;
  }

  /** Records pushed and not yet read. */
  available(): number {
    return (Atomics.load(this.ctl, CTL_HEAD) - this.readPos) | 0;
  }

  /** Records read but not yet freed. */
  get held(): number {
    return (this.readPos - this.tail) | 0;
  }

  /** Reads the oldest unread record into `out`. Call only when available() > 0. */
  peek(out: RingRecord): RingRecord {
    return this.peekAt(0, out);
  }

  /** Byte offset, in {@link bytes}, of the slot of the i-th oldest unread record (i < available()). */
  slotOffset(i: number): number {
    return ((this.readTotal + i) % this.capacity) * SLOT_BYTES;
  }

  /** The slots' bytes (for copying records out without decoding them). */
  get bytes(): Uint8Array {
    return this.u8;
  }

  /** Reads the i-th oldest unread record into `out` (i < available()). */
  peekAt(i: number, out: RingRecord): RingRecord {
    const b = this.slotOffset(i);
    const f = b >> 3;
    const f64 = this.f64;
    const u8 = this.u8;
    out.orderNo = f64[f]!;
    out.sessionSeq = f64[f + 1]!;
    out.receivedAtNs = f64[f + 2]!;
    out.price = f64[f + 3]!;
    out.expireAt = f64[f + 4]!;
    out.qty = this.u32[(b >> 2) + 10]!;
    out.side = u8[b + 44]!;
    out.type = u8[b + 45]!;
    out.timeInForce = u8[b + 46]!;
    out.symbol = readAscii(u8, b + 56, u8[b + 47]!);
    out.accountId = readAscii(u8, b + 64, u8[b + 48]!);
    out.sessionId = readAscii(u8, b + 128, u8[b + 49]!);
    const cl = u8[b + 50]!;
    out.clientOrderId = cl === 0 ? null : readAscii(u8, b + 192, cl);
    return out;
  }

  /** receivedAtNs of the i-th oldest unread record (i < available()). */
  receivedAtNsAt(i: number): number {
    return this.f64[(this.slotOffset(i) >> 3) + 2]!;
  }

  /** Marks the oldest `n` unread records as read; their slots stay held until {@link release}. */
  consume(n: number): void {
    this.readPos = (this.readPos + n) | 0;
    this.readTotal += n;
  }

  /**
   * Frees the oldest `n` held slots and counts them as processed (also consumes them if they
   * were not read through {@link consume}).
   */
  release(n: number): void {
    this.tail = (this.tail + n) | 0;
    this.tailTotal += n;
    if (this.readTotal < this.tailTotal) {
      this.readTotal = this.tailTotal;
      this.readPos = this.tail;
    }
    Atomics.store(this.ctl, CTL_TAIL, this.tail);
    Atomics.add(this.ctl, CTL_PROCESSED, n);
  }

  /** Tells the producer that the held slots will never become durable. */
  markFailed(): void {
    Atomics.store(this.ctl, CTL_FAILED, 1);
  }
}

export function emptyRecord(): RingRecord {
  return {
    orderNo: 0,
    sessionSeq: 0,
    receivedAtNs: 0,
    price: 0,
    expireAt: 0,
    qty: 0,
    side: 0,
    type: 0,
    timeInForce: 0,
    symbol: '',
    accountId: '',
    sessionId: '',
    clientOrderId: null,
  };
}
