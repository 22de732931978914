/**
 * A venue reached over FIX 4.4 as a {@link Venue} (`FixVenue`, kind `fix`): the initiator
 * (fix/initiator.ts) runs on a worker thread behind the same batched link as the simulator
 * (link/worker-venue.ts), so that encoding, parsing and the session layer never run on the
 * gateway's event loop (bench/venue-link.ts measures both placements; docs/venues.md has the
 * figures). Session events come from the FIX session: CONNECTING, UP once logged on, DOWN.
 */
import type { FixLinkSettings } from '../../config/venues.js';
import { WorkerVenue } from '../link/worker-venue.js';
import { workerEntry } from '../link/worker-entry.js';

export class FixVenue extends WorkerVenue {
  constructor(name: string, link: FixLinkSettings) {
    super({
      name,
      entry: workerEntry(import.meta.url, './initiator-worker'),
      backend: link,
      outlivesGateway: true,
      sessionFromWorker: true,
      restartMinMs: link.reconnectMinMs,
      restartMaxMs: link.reconnectMaxMs,
    });
  }
}
