/**
 * The execution stage's live orders by id.
 *
 * /v3 and binary TCP orders carry gateway order numbers, handed out consecutively, and their ids
 * are those numbers' decimal text; they are routed roughly in number order. They sit in a window:
 * an array indexed by `orderNo - base`, so adding one is an array store and finding one (a
 * venue report names it by id) parses the digits and reads a slot. A `Map` keyed by id strings
 * was the largest single cost of the venue loop on the event loop (bench:v3 with the embedded
 * venue, CPU profile: 5 % of the thread inserting into a table of 500k resting orders): every
 * insert hashed a new string and probed a table far larger than the cache, and the table's
 * growth rehashed it all.
 *
 * Everything else goes to the `Map`: durable `/orders` orders (ids of their own), orders numbered
 * below the window (restored from an earlier run), and orders the window leaves behind — when
 * the numbers run more than `windowSlots` past the oldest order still in it, the oldest part
 * moves to the map (an order that rests for days costs a map entry, not a window that grows with
 * every order since). Lookups try the window, then the map.
 *
 * Event-loop thread only; the execution stage is its single writer.
 */

/** What the index needs of an order. */
export interface Indexed {
  readonly orderId: string;
  /** gateway order number (> 0) of a /v3 or binary TCP order; 0 for others */
  readonly orderNo: number;
}

/** Slots left empty at the window's front before the array is compacted. */
const COMPACT_AT = 1 << 16;

/** The gateway order number an id names, or -1 when it is not a decimal number of up to 16 digits. */
export function orderNoOf(id: string): number {
  const n = id.length;
  if (n === 0 || n > 16) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = id.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

export class LiveIndex<T extends Indexed> {
  /** win[i] is the order numbered base + i, or undefined */
  private win: (T | undefined)[] = [];
  private base = 0;
  /** first slot that may be occupied (those before it are empty) */
  private head = 0;
  /** orders in the window */
  private inWindow = 0;
  private readonly map = new Map<string, T>();

  /** @param windowSlots  how far the window reaches: order numbers from its oldest order on */
  constructor(private readonly windowSlots = 1 << 20) {}

  get size(): number {
    return this.inWindow + this.map.size;
  }

  /** Adds `o`; its id must not be in the index yet. */
  add(o: T): void {
    const no = o.orderNo;
    if (no <= 0 || o.orderId.length > 16 || orderNoOf(o.orderId) !== no) {
      this.map.set(o.orderId, o);
      return;
    }
    if (this.inWindow === 0) {
      // Empty window: start it here.
      this.win.length = 0;
      this.base = no;
      this.head = 0;
    } else if (no < this.base + this.head) {
      this.map.set(o.orderId, o);
      return;
    } else if (no - (this.base + this.head) >= this.windowSlots) {
      this.leaveBehind(no);
      if (this.inWindow === 0) {
        this.win.length = 0;
        this.base = no;
        this.head = 0;
      }
    }
    const i = no - this.base;
    const w = this.win;
    // Fill a gap (numbers of rejected orders) so the array stays a dense one.
    while (w.length < i) w.push(undefined);
    if (i === w.length) w.push(o);
    else w[i] = o;
    this.inWindow++;
  }

  get(id: string): T | undefined {
    const no = orderNoOf(id);
    if (no >= 0) {
      const i = no - this.base;
      if (i >= this.head && i < this.win.length) {
        const o = this.win[i];
        if (o !== undefined && o.orderId === id) return o;
      }
    }
    return this.map.size === 0 ? undefined : this.map.get(id);
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  delete(id: string): boolean {
    const no = orderNoOf(id);
    if (no >= 0) {
      const i = no - this.base;
      const w = this.win;
      if (i >= this.head && i < w.length && w[i] !== undefined && w[i]!.orderId === id) {
        w[i] = undefined;
        this.inWindow--;
        if (i === this.head) this.advance();
        return true;
      }
    }
    return this.map.delete(id);
  }

  /** Every order: the window's in number order, then the map's. */
  *values(): IterableIterator<T> {
    const w = this.win;
    for (let i = this.head; i < w.length; i++) {
      const o = w[i];
      if (o !== undefined) yield o;
    }
    yield* this.map.values();
  }

  /** Moves past the empty slots at the front; compacts the array once most of it is empty. */
  private advance(): void {
    const w = this.win;
    let h = this.head;
    while (h < w.length && w[h] === undefined) h++;
    if (h === w.length) {
      w.length = 0;
      this.base += h;
      h = 0;
    } else if (h >= COMPACT_AT && h * 2 >= w.length) {
      this.win = w.slice(h);
      this.base += h;
      h = 0;
    }
    this.head = h;
  }

  /**
   * The numbers ran `windowSlots` past the window's front: the oldest half of the window's reach
   * moves to the map, so this runs once per half-window of numbers, not once per order.
   */
  private leaveBehind(no: number): void {
    const keepFrom = no - (this.windowSlots >> 1) - this.base;
    const w = this.win;
    const end = Math.min(keepFrom, w.length);
    for (let i = this.head; i < end; i++) {
      const o = w[i];
      if (o === undefined) continue;
      this.map.set(o.orderId, o);
      w[i] = undefined;
      this.inWindow--;
    }
    this.head = Math.max(this.head, end);
    this.advance();
  }
}
