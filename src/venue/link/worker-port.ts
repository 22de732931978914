/**
 * The worker-thread side of a venue link: receives request batches from the main-thread adapter
 * (link/worker-venue.ts), hands each request to the venue's backend (the simulator, the FIX
 * initiator), and posts what the backend produces back in batches, one postMessage per turn.
 *
 * Owning thread: the venue's worker. Timing: a backend that has work due at a known time (the
 * simulator's latencies, walk periods, expiries) returns it from `poll()`, in epoch µs. A due time
 * more than 2 ms away is waited for with a timer; a nearer one with `Atomics.wait` on the wake
 * word, which has sub-millisecond resolution (timers have 1 ms) and is cut short by the adapter's
 * notify when a new batch is posted, so the thread never spins and never sleeps through a request.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { VenueCancelReject, VenueOrder, VenueReport, VenueSessionState } from '../venue.js';
import { epochUs } from '../clock.js';
import type { VenueWorkerData } from './worker-venue.js';
import {
  type FromWorker,
  REQ_CANCEL,
  REQ_NEW,
  REQ_SLOTS,
  type Slot,
  type ToWorker,
  pushCancelReject,
  pushReport,
  pushSession,
  readRequest,
} from './protocol.js';

export interface BackendOutput {
  report(r: VenueReport): void;
  cancelReject(r: VenueCancelReject): void;
  session(state: VenueSessionState, detail: string | null): void;
}

export interface VenueBackend {
  submit(o: VenueOrder): void;
  cancel(o: VenueOrder): void;
  status(o: VenueOrder): void;
  /** Does the work due now; returns when more is due (epoch µs), Infinity when only events will tell. */
  poll(nowUs: number): number;
  close(): Promise<void>;
}

export type BackendFactory = (venue: string, backendData: unknown, out: BackendOutput) => Promise<VenueBackend>;

const NEAR_US = 2000;

/** Runs a venue backend in this worker thread until the adapter says close. */
export async function serveVenue(make: BackendFactory): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('serveVenue: not in a worker thread');
  const data = workerData as VenueWorkerData;
  const wake = new Int32Array(data.wake);
  let out: Slot[] = [];
  let flushArmed = false;
  let closing = false;
  let timer: NodeJS.Timeout | null = null;
  let immediate: NodeJS.Immediate | null = null;

  const flush = (): void => {
    flushArmed = false;
    if (out.length === 0) return;
    const msg: FromWorker = { t: 'out', d: out };
    port.postMessage(msg);
    out = [];
  };
  const armFlush = (): void => {
    if (flushArmed) return;
    flushArmed = true;
    setImmediate(flush);
  };
  const output: BackendOutput = {
    report: (r) => {
      pushReport(out, r);
      armFlush();
    },
    cancelReject: (r) => {
      pushCancelReject(out, r);
      armFlush();
    },
    session: (state, detail) => {
      pushSession(out, state, detail);
      armFlush();
    },
  };

  const backend = await make(data.venue, data.backend, output);

  const loop = (): void => {
    immediate = null;
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    if (closing) return;
    const seen = Atomics.load(wake, 0);
    const next = backend.poll(epochUs());
    flush();
    if (next === Infinity) return;
    const waitUs = next - epochUs();
    if (waitUs > NEAR_US) {
      timer = setTimeout(loop, Math.floor((waitUs - 1000) / 1000));
      return;
    }
    if (waitUs > 0) Atomics.wait(wake, 0, seen, waitUs / 1000);
    immediate = setImmediate(loop);
  };
  const kick = (): void => {
    if (immediate || closing) return;
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    immediate = setImmediate(loop);
  };

  port.on('message', (m: ToWorker) => {
    if (m.t === 'in') {
      const d = m.d;
      for (let i = 0; i < d.length; i += REQ_SLOTS) {
        const o = readRequest(d, i);
        const op = d[i];
        if (op === REQ_NEW) backend.submit(o);
        else if (op === REQ_CANCEL) backend.cancel(o);
        else backend.status(o);
      }
      kick();
    } else if (m.t === 'close') {
      closing = true;
      if (timer) clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
      void backend.close().finally(() => {
        flush();
        port.postMessage({ t: 'closed' } satisfies FromWorker);
        process.exit(0);
      });
    }
  });
  port.postMessage({ t: 'ready' } satisfies FromWorker);
  loop();
}
