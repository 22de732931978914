/**
 * Worker-thread entry of the embedded simulator: one {@link SimExchange} on the real clock, served
 * through link/worker-port.ts. Started by {@link createSimVenue} (sim/sim-venue.ts).
 *
 * Each start draws a fresh run id (time + random), which prefixes every execId and venue order id,
 * so ids stay unique across restarts of the worker and of the gateway. Its state lives only here:
 * when the worker ends, its open orders are gone (cancel-on-disconnect).
 */
import { randomBytes } from 'node:crypto';
import { SimExchange } from './exchange.js';
import { epochUs } from '../clock.js';
import { type BackendOutput, type VenueBackend, serveVenue } from '../link/worker-port.js';
import type { SimBackendData } from './sim-venue.js';

async function makeSimBackend(venue: string, data: unknown, out: BackendOutput): Promise<VenueBackend> {
  const d = data as SimBackendData;
  const runId = d.runId ?? `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const ex = new SimExchange(venue, d.settings, new Map(d.refPrices), runId, {
    report: (_owner, r) => out.report(r),
    cancelReject: (_owner, r) => out.cancelReject(r),
  }, epochUs());
  return {
    submit: (o) => ex.submit('', o, epochUs()),
    cancel: (o) => ex.cancel('', o, epochUs()),
    status: (o) => ex.status('', o, epochUs()),
    poll: (nowUs) => {
      ex.advance(nowUs);
      return ex.nextDueUs();
    },
    close: async () => undefined,
  };
}

await serveVenue(makeSimBackend);
