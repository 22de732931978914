/**
 * A price-time-priority limit order book for one symbol. Pure: no clock, no I/O.
 *
 * Owned by the simulator's thread. Invariants:
 *  - `bids` are sorted by price descending, `asks` ascending; a level is removed once it holds no
 *    live quantity, so `bids[0]` / `asks[0]` are the best prices;
 *  - within a level, orders are filled in arrival order (FIFO); a cancelled order is marked dead
 *    and skipped (lazy removal), its quantity leaves the level at once;
 *  - a trade's price is the resting (maker) order's price;
 *  - `level.qty` is the sum of the live orders' `leaves` at that level.
 *
 * Layout: each side is an array of levels (few, short) plus a price → level map; a level is an
 * array used as a queue with a head index, compacted when half of it is consumed.
 */
import { Side } from '../../contract/order.js';

export interface BookOrder {
  /** book-wide arrival sequence: earlier = higher time priority */
  seq: number;
  side: Side;
  price: number;
  leaves: number;
  live: boolean;
  /** whatever the owner attaches (the simulator's order state), returned on fills */
  readonly owner: unknown;
}

export interface FillSink {
  /** `maker` traded `qty` at `price` (the maker's price) against the incoming order. */
  fill(maker: BookOrder, qty: number, price: number): void;
}

class Level {
  readonly queue: BookOrder[] = [];
  head = 0;
  qty = 0;
  constructor(readonly price: number) {}

  push(o: BookOrder): void {
    this.queue.push(o);
    this.qty += o.leaves;
  }

  /** First live order, or undefined; drops dead ones from the front. */
  front(): BookOrder | undefined {
    while (this.head < this.queue.length) {
      const o = this.queue[this.head]!;
      if (o.live && o.leaves > 0) return o;
      this.head++;
    }
    return undefined;
  }

  compact(): void {
    if (this.head > 32 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}

class BookSide {
  readonly levels: Level[] = [];
  private readonly byPrice = new Map<number, Level>();
  constructor(private readonly descending: boolean) {}

  /** true when price a is strictly better than b for this side */
  private better(a: number, b: number): boolean {
    return this.descending ? a > b : a < b;
  }

  level(price: number): Level {
    let l = this.byPrice.get(price);
    if (l) return l;
    l = new Level(price);
    this.byPrice.set(price, l);
    let lo = 0;
    let hi = this.levels.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.better(this.levels[mid]!.price, price)) lo = mid + 1;
      else hi = mid;
    }
    this.levels.splice(lo, 0, l);
    return l;
  }

  get(price: number): Level | undefined {
    return this.byPrice.get(price);
  }

  drop(l: Level): void {
    this.byPrice.delete(l.price);
    const i = this.levels.indexOf(l);
    if (i >= 0) this.levels.splice(i, 1);
  }
}

export class OrderBook {
  readonly bids = new BookSide(true);
  readonly asks = new BookSide(false);
  private nextSeq = 1;

  constructor(readonly symbol: string) {}

  /** Best bid price, or 0 when the side is empty. */
  bestBid(): number {
    return this.bids.levels[0]?.price ?? 0;
  }

  /** Best ask price, or 0 when the side is empty. */
  bestAsk(): number {
    return this.asks.levels[0]?.price ?? 0;
  }

  /** Live quantity at a price on one side. */
  depthAt(side: Side, price: number): number {
    return (side === Side.Buy ? this.bids : this.asks).get(price)?.qty ?? 0;
  }

  /** Makes a book order (not yet resting): `seq` fixes its time priority. */
  order(side: Side, price: number, qty: number, owner: unknown): BookOrder {
    return { seq: this.nextSeq++, side, price, leaves: qty, live: true, owner };
  }

  /**
   * Matches an incoming order against the opposite side: while it has quantity left and the best
   * opposite price is acceptable (`limit` 0 = any price, i.e. MARKET), it takes the oldest live
   * order there. Reports each trade to `sink` and returns the quantity filled. The incoming
   * order's `leaves` is decremented; it is not added to the book (see {@link rest}).
   */
  match(taker: BookOrder, limit: number, sink: FillSink): number {
    const opp = taker.side === Side.Buy ? this.asks : this.bids;
    let filled = 0;
    while (taker.leaves > 0) {
      const level = opp.levels[0];
      if (!level) break;
      if (limit !== 0 && (taker.side === Side.Buy ? level.price > limit : level.price < limit)) break;
      const maker = level.front();
      if (!maker) {
        opp.drop(level);
        continue;
      }
      const qty = Math.min(maker.leaves, taker.leaves);
      maker.leaves -= qty;
      taker.leaves -= qty;
      level.qty -= qty;
      filled += qty;
      if (maker.leaves === 0) {
        maker.live = false;
        level.head++;
      }
      sink.fill(maker, qty, level.price);
      if (level.qty === 0) opp.drop(level);
      else level.compact();
    }
    return filled;
  }

  /** Adds an order with quantity left to its side, behind the orders already at its price. */
  rest(o: BookOrder): void {
    if (!o.live || o.leaves <= 0) throw new Error('OrderBook.rest: order has nothing left to rest');
    (o.side === Side.Buy ? this.bids : this.asks).level(o.price).push(o);
  }

  /** Removes a resting order; returns false when it was not live. */
  remove(o: BookOrder): boolean {
    if (!o.live) return false;
    o.live = false;
    const side = o.side === Side.Buy ? this.bids : this.asks;
    const level = side.get(o.price);
    if (level) {
      level.qty -= o.leaves;
      if (level.qty <= 0) side.drop(level);
    }
    return true;
  }
}
