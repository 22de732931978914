/**
 * The venue of an order, by symbol, as the original Kotlin gateway's SmartOrderRouter chose it:
 *
 *   1. an explicit route (`SOR_SYMBOL_ROUTES`, `SYM=venue`);
 *   2. else the catch-all route `*=venue`, when given;
 *   3. else, with one venue, that venue; with several, a deterministic hash of the symbol over the
 *      venue names in sorted order (Java's `String.hashCode` & 0x7fffffff, mod the count), so a
 *      symbol always goes to the same venue and the spread matches the original's.
 *
 * A cancel (and a status request) goes to the venue that holds the order. The router keeps no
 * per-order state: the caller records the venue it sent each order to (it is journaled with the
 * order) and asks {@link VenueRouter.venueOfOrder}, which falls back to `SOR_DEFAULT_VENUE` only for
 * an order whose venue was never recorded (the original's fallback).
 *
 * Pure: no I/O, no clock. Owned by the gateway's event loop; answers are cached per symbol.
 */
import type { RouterSettings } from '../config/venues.js';

/** Java's String.hashCode over UTF-16 code units, as a signed 32-bit integer. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

export class VenueRouter {
  private readonly sorted: readonly string[];
  private readonly cache = new Map<string, string>();

  constructor(readonly settings: RouterSettings) {
    if (settings.venues.length === 0) throw new Error('VenueRouter: no venues');
    if (!settings.venues.includes(settings.defaultVenue)) {
      throw new Error(`VenueRouter: default venue ${settings.defaultVenue} is not a venue`);
    }
    for (const [sym, v] of settings.routes) {
      if (!settings.venues.includes(v)) throw new Error(`VenueRouter: route ${sym} names unknown venue ${v}`);
    }
    this.sorted = [...settings.venues].sort();
  }

  /** The venue names, in configuration order. */
  get venues(): readonly string[] {
    return this.settings.venues;
  }

  /** The venue a new order in `symbol` goes to. */
  venueFor(symbol: string): string {
    const hit = this.cache.get(symbol);
    if (hit !== undefined) return hit;
    const v = this.settings.routes.get(symbol) ?? this.settings.routes.get('*') ?? this.hashed(symbol);
    this.cache.set(symbol, v);
    return v;
  }

  /**
   * The venue a cancel or status request of an order goes to: the venue it was sent to, as the
   * caller recorded it; `SOR_DEFAULT_VENUE` when nothing was recorded.
   */
  venueOfOrder(recordedVenue: string | null | undefined): string {
    if (recordedVenue !== null && recordedVenue !== undefined && this.settings.venues.includes(recordedVenue)) return recordedVenue;
    return this.settings.defaultVenue;
  }

  /** True when `name` is a configured venue (e.g. one read back from the journal). */
  isVenue(name: string): boolean {
    return this.settings.venues.includes(name);
  }

  private hashed(symbol: string): string {
    if (this.sorted.length === 1) return this.sorted[0]!;
    return this.sorted[(javaStringHash(symbol) & 0x7fffffff) % this.sorted.length]!;
  }
}
