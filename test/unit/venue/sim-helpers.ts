import { OrdType, Side, TimeInForce } from '../../../src/contract/order.js';
import { parseSimSettings, type SimSettings } from '../../../src/config/venues.js';
import { SimExchange } from '../../../src/venue/sim/exchange.js';
import type { VenueCancelReject, VenueOrder, VenueReport } from '../../../src/venue/venue.js';

export const T0_US = Date.UTC(2026, 0, 5, 12) * 1000;

export function simSettings(over: Partial<SimSettings> = {}): SimSettings {
  return { ...parseSimSettings({}, 'VENUE_SIM_'), ...over };
}

export function order(over: Partial<VenueOrder> = {}): VenueOrder {
  return {
    clOrdId: 'o1',
    accountId: 'acct-1',
    symbol: 'AAPL',
    side: Side.Buy,
    type: OrdType.Limit,
    qty: 100,
    price: 15_000,
    timeInForce: TimeInForce.GTC,
    expireAt: 0,
    ...over,
  };
}

/** A simulator with a manual clock and recorded output. */
export class SimHarness {
  readonly reports: VenueReport[] = [];
  readonly rejects: VenueCancelReject[] = [];
  readonly ex: SimExchange;
  nowUs = T0_US;

  constructor(settings: SimSettings, refs: Record<string, number> = { AAPL: 15_000 }, runId = 'run1') {
    this.ex = new SimExchange('sim', settings, new Map(Object.entries(refs)), runId, {
      report: (_owner, r) => this.reports.push(r),
      cancelReject: (_owner, r) => this.rejects.push(r),
    }, this.nowUs);
  }

  /** Moves the clock forward and processes what is due. */
  tick(us: number): void {
    this.nowUs += us;
    this.ex.advance(this.nowUs);
  }

  of(clOrdId: string): VenueReport[] {
    return this.reports.filter((r) => r.clOrdId === clOrdId);
  }
}
