/**
 * Worker-thread entry of the FIX link: runs a {@link FixInitiatorBackend} (jspurefix and its
 * socket) off the gateway's event loop. Started by {@link FixVenue} (fix/fix-venue.ts).
 */
import type { FixLinkSettings } from '../../config/venues.js';
import { serveVenue } from '../link/worker-port.js';
import { FixInitiatorBackend } from './initiator.js';

await serveVenue(async (venue, data, out) => {
  const b = new FixInitiatorBackend(venue, data as FixLinkSettings, out);
  b.start();
  return b;
});
