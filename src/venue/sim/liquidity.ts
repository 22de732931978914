/**
 * The synthetic liquidity provider of one symbol: it quotes `lpLevels` price levels per side
 * around a reference price, `lpDepth` each, and at every walk period moves the reference price by
 * a seeded random step in [-walkStepTicks, +walkStepTicks] and requotes. A requoted level that
 * crosses resting client orders trades with them (the client order is the maker and trades at its
 * own price), so a resting order near the market fills over time, at most `lpDepth` per level per
 * period: partial fills over several reports.
 *
 * Pure: the caller (sim/exchange.ts) decides when a period has passed; randomness comes from the
 * injected {@link Rng}. Owned by the simulator's thread.
 *
 * Quotes: best bid = ref - floor(spread / 2), best ask = best bid + spread (so they never cross),
 * level i at i × lpLevelStepTicks further away; prices below 1 tick are not quoted.
 */
import { Side } from '../../contract/order.js';
import type { SimSettings } from '../../config/venues.js';
import type { BookOrder, FillSink, OrderBook } from './book.js';
import type { Rng } from './rng.js';

/** The owner tag of the liquidity provider's own book orders. */
export const LP_OWNER = Symbol('lp');

export class LiquidityProvider {
  private quotes: BookOrder[] = [];

  constructor(
    readonly book: OrderBook,
    private readonly settings: SimSettings,
    /** reference price, ticks */
    public ref: number,
  ) {}

  /** Moves the reference price one random step (never below 1 + spread) and requotes. */
  walk(rng: Rng, sink: FillSink): void {
    const step = this.settings.walkStepTicks;
    if (step > 0) {
      const next = this.ref + rng.int(-step, step);
      this.ref = Math.max(next, 1 + this.settings.lpSpreadTicks);
    }
    this.requote(sink);
  }

  /** Withdraws the current quotes and posts fresh ones around `ref`; crossing quotes trade first. */
  requote(sink: FillSink): void {
    const { lpLevels, lpLevelStepTicks, lpSpreadTicks, lpDepth } = this.settings;
    for (const q of this.quotes) this.book.remove(q);
    this.quotes = [];
    const bid0 = this.ref - Math.floor(lpSpreadTicks / 2);
    const ask0 = bid0 + lpSpreadTicks;
    for (let i = 0; i < lpLevels; i++) {
      this.post(Side.Sell, ask0 + i * lpLevelStepTicks, lpDepth, sink);
      const bid = bid0 - i * lpLevelStepTicks;
      if (bid >= 1) this.post(Side.Buy, bid, lpDepth, sink);
    }
  }

  private post(side: Side, price: number, qty: number, sink: FillSink): void {
    const o = this.book.order(side, price, qty, LP_OWNER);
    this.book.match(o, price, sink);
    if (o.leaves > 0) {
      this.book.rest(o);
      this.quotes.push(o);
    }
  }
}
