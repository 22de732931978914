/**
 * The main-thread side of a venue that runs on a worker thread (the simulator, the FIX link):
 * implements {@link Venue} for the gateway's event loop.
 *
 * Owning thread: the gateway's event loop. Hot path: `send`/`cancel`/`requestStatus` append ten
 * primitives to the pending batch and, on the first request of a turn, arm one `setImmediate`;
 * the flush posts the whole batch (one postMessage) and wakes the worker if it sleeps in
 * `Atomics.wait` (one atomic add + notify). No promise, no object per request. Measured by
 * bench/venue-link.ts (docs/venues.md has the figures).
 *
 * Worker life: `start` spawns it and resolves on its `ready`. If it dies, its open orders are
 * gone (cancel-on-disconnect): the adapter reports session DOWN, restarts it with backoff
 * (`restartMinMs` doubling to `restartMaxMs`) and reports UP once the new one is ready; requests
 * made meanwhile wait in the batch (new orders beyond {@link MAX_PENDING_NEW} are rejected
 * locally with text VENUE_DOWN). Requests that were in flight in the dead worker get no answer:
 * after an UP following a DOWN, the consumer asks `requestStatus` for its open orders (a restarted
 * simulator answers UNKNOWN).
 *
 * Session events: with `sessionFromWorker` false (the simulator) the adapter itself reports
 * CONNECTING/UP/DOWN around the worker's life; with true (the FIX link) the worker reports the
 * state of its FIX session and the adapter only adds DOWN when the worker dies.
 */
import { Worker } from 'node:worker_threads';
import { VenueError } from '../errors.js';
import type { Venue, VenueEvents, VenueOrder, VenueReport, VenueSessionState } from '../venue.js';
import {
  type FromWorker,
  OUT_CANCEL_REJECT,
  OUT_REPORT,
  OUT_SESSION,
  REPORT_SLOTS,
  REQ_CANCEL,
  REQ_NEW,
  REQ_SLOTS,
  REQ_STATUS,
  type Slot,
  pushRequest,
  readReport,
} from './protocol.js';

/** New orders held while the worker is down, beyond which they are rejected locally. */
export const MAX_PENDING_NEW = 262_144;

export interface WorkerVenueOptions {
  name: string;
  /** the worker module (see link/worker-entry.ts) */
  entry: URL;
  /** passed to the worker as `workerData.backend`; must be structured-cloneable */
  backend: unknown;
  /** whether the worker reports the session state (FIX) or the adapter does (simulator) */
  sessionFromWorker: boolean;
  /** see Venue.outlivesGateway */
  outlivesGateway: boolean;
  restartMinMs: number;
  restartMaxMs: number;
  /** how long `close` waits for the worker to finish before terminating it */
  closeTimeoutMs?: number;
}

/** workerData of a venue worker. */
export interface VenueWorkerData {
  venue: string;
  /** Int32Array(1) over it: bumped and notified after each posted batch */
  wake: SharedArrayBuffer;
  backend: unknown;
}

export class WorkerVenue implements Venue {
  readonly name: string;
  readonly outlivesGateway: boolean;
  private events: VenueEvents | null = null;
  private worker: Worker | null = null;
  private ready = false;
  private closing = false;
  private batch: Slot[] = [];
  private pendingNew = 0;
  private scheduled = false;
  private readonly wake = new SharedArrayBuffer(4);
  private readonly wakeView = new Int32Array(this.wake);
  private restartMs: number;
  private restartTimer: NodeJS.Timeout | null = null;
  private localRejects = 0;
  private readonly runTag = Date.now().toString(36);
  private readonly flushFn = (): void => this.flush();

  constructor(private readonly opts: WorkerVenueOptions) {
    this.name = opts.name;
    this.outlivesGateway = opts.outlivesGateway;
    this.restartMs = opts.restartMinMs;
  }

  async start(events: VenueEvents): Promise<void> {
    if (this.events) throw new VenueError('VENUE_START_FAILED', this.name, 'already started');
    this.events = events;
    await this.spawn();
  }

  send(o: VenueOrder): void {
    if (!this.ready && this.pendingNew >= MAX_PENDING_NEW) return this.rejectLocally(o);
    if (!this.ready) this.pendingNew++;
    this.push(REQ_NEW, o);
  }

  cancel(o: VenueOrder): void {
    this.push(REQ_CANCEL, o);
  }

  requestStatus(o: VenueOrder): void {
    this.push(REQ_STATUS, o);
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.flush();
    this.closing = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const w = this.worker;
    if (!w) return;
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    w.postMessage({ t: 'close' });
    this.notify();
    const timer = setTimeout(() => void w.terminate(), this.opts.closeTimeoutMs ?? 5000);
    await exited;
    clearTimeout(timer);
    this.worker = null;
    this.ready = false;
    this.events?.session(this.name, 'DOWN', 'closed');
  }

  /**
   * Ends the worker abruptly, as a crash would: its open orders are gone, the adapter reports
   * DOWN and starts a fresh one. For operators (reset a simulator) and tests.
   */
  async killWorker(): Promise<void> {
    const w = this.worker;
    if (w) await w.terminate();
  }

  private push(op: number, o: VenueOrder): void {
    pushRequest(this.batch, op, o);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushFn);
    }
  }

  private flush(): void {
    this.scheduled = false;
    if (!this.ready || this.closing || this.batch.length === 0 || !this.worker) return;
    this.worker.postMessage({ t: 'in', d: this.batch });
    this.batch = [];
    this.pendingNew = 0;
    this.notify();
  }

  private notify(): void {
    Atomics.add(this.wakeView, 0, 1);
    Atomics.notify(this.wakeView, 0);
  }

  private spawn(): Promise<void> {
    if (!this.opts.sessionFromWorker) this.session('CONNECTING', null);
    const data: VenueWorkerData = { venue: this.name, wake: this.wake, backend: this.opts.backend };
    const w = new Worker(this.opts.entry, { workerData: data, name: `venue-${this.name}` });
    this.worker = w;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      w.on('message', (m: FromWorker) => {
        if (m.t === 'out') this.dispatch(m.d);
        else if (m.t === 'ready') {
          this.ready = true;
          this.restartMs = this.opts.restartMinMs;
          if (!this.opts.sessionFromWorker) this.session('UP', null);
          this.flush();
          if (!settled) {
            settled = true;
            resolve();
          }
        }
      });
      w.on('error', (err) => {
        if (!settled) {
          settled = true;
          reject(new VenueError('VENUE_START_FAILED', this.name, `worker failed to start: ${err.message}`, { cause: err }));
          return;
        }
        this.session('DOWN', `worker failed: ${err.message}`);
      });
      w.on('exit', (code) => {
        if (this.worker === w) {
          this.worker = null;
          this.ready = false;
        }
        if (!settled) {
          settled = true;
          reject(new VenueError('VENUE_START_FAILED', this.name, `worker exited with code ${code} before it was ready`));
          return;
        }
        if (this.closing) return;
        this.session('DOWN', `worker exited with code ${code}; its open orders are gone`);
        this.scheduleRestart();
      });
    });
  }

  private scheduleRestart(): void {
    const delay = this.restartMs;
    this.restartMs = Math.min(this.restartMs * 2, this.opts.restartMaxMs);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.closing) return;
      this.spawn().catch(() => {
        // the exit handler of the failed worker does not reschedule (it was never settled)
        if (!this.closing) this.scheduleRestart();
      });
    }, delay);
  }

  private dispatch(d: readonly Slot[]): void {
    const ev = this.events!;
    let i = 0;
    while (i < d.length) {
      const code = d[i];
      if (code === OUT_REPORT) {
        ev.report(readReport(this.name, d, i));
        i += REPORT_SLOTS;
      } else if (code === OUT_CANCEL_REJECT) {
        ev.cancelReject({ venue: this.name, clOrdId: d[i + 1] as string, reason: d[i + 2] as string });
        i += 3;
      } else if (code === OUT_SESSION) {
        ev.session(this.name, d[i + 1] as VenueSessionState, d[i + 2] as string | null);
        i += 3;
      } else {
        throw new VenueError('VENUE_WORKER_FAILED', this.name, `bad output code ${String(code)} at ${i}`);
      }
    }
  }

  private session(state: VenueSessionState, detail: string | null): void {
    this.events?.session(this.name, state, detail);
  }

  private rejectLocally(o: VenueOrder): void {
    const n = ++this.localRejects;
    const ev = this.events!;
    const r: VenueReport = {
      venue: this.name,
      clOrdId: o.clOrdId,
      venueOrderId: 'NONE',
      execId: `local-${this.runTag}-${n}`,
      execType: 'REJECTED',
      ordStatus: 'REJECTED',
      lastQty: 0,
      lastPx: 0,
      cumQty: 0,
      leavesQty: 0,
      avgPx: 0,
      text: 'VENUE_DOWN',
      transactTime: Date.now(),
      possDup: false,
    };
    // answered on a later turn, like every other report: never from inside the caller's send()
    setImmediate(() => ev.report(r));
  }
}
