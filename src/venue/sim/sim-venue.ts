/**
 * The embedded simulator as a Venue (`SimVenue`): a {@link WorkerVenue} running sim/worker.ts, so that
 * matching never runs on the gateway's event loop. The worker is restarted if it dies (its open
 * orders are gone; see link/worker-venue.ts).
 */
import type { SimSettings } from '../../config/venues.js';
import { WorkerVenue } from '../link/worker-venue.js';
import { workerEntry } from '../link/worker-entry.js';

/** What the simulator's worker needs (structured-cloneable). */
export interface SimBackendData {
  settings: SimSettings;
  /** [symbol, reference price in ticks] — the gateway's symbol master */
  refPrices: [string, number][];
  /** fixed run id (tests); by default each worker start draws its own */
  runId?: string;
}

export interface SimVenueOptions {
  restartMinMs?: number;
  restartMaxMs?: number;
  /** fixed run id (tests only: execIds must differ between runs) */
  runId?: string;
}

export class SimVenue extends WorkerVenue {
  constructor(name: string, settings: SimSettings, refPrices: ReadonlyMap<string, number>, opts: SimVenueOptions = {}) {
    const backend: SimBackendData = { settings, refPrices: [...refPrices] };
    if (opts.runId !== undefined) backend.runId = opts.runId;
    super({
      name,
      entry: workerEntry(import.meta.url, './worker'),
      backend,
      outlivesGateway: false,
      sessionFromWorker: false,
      restartMinMs: opts.restartMinMs ?? 100,
      restartMaxMs: opts.restartMaxMs ?? 5000,
    });
  }
}
