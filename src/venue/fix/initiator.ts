/**
 * The gateway's FIX 4.4 initiator: the backend of {@link FixVenue}, running on the FIX link's
 * worker thread (link/worker-port.ts), never on the gateway's event loop.
 *
 * Session: Logon with ResetSeqNumFlag=N and the sequence numbers persisted under the link's data
 * directory (fix/engine.ts), Heartbeat/TestRequest, ResendRequest on a gap and resends with
 * PossDupFlag=Y (fix/link-session.ts); reports reach the gateway in MsgSeqNum order, a resent one
 * marked `possDup: true`.
 *
 * Reconnect: when the connection ends or cannot be made, it tries again after a backoff that
 * starts at `reconnectMinMs` and doubles up to `reconnectMaxMs` (reset once a session has been
 * up). Session events: CONNECTING (each attempt, with the reason of the last failure), UP (logged
 * on), DOWN (a session that was up ended).
 *
 * While the session is not up: a new order is rejected at once (REJECTED, text VENUE_DOWN; an
 * order is never sent late), cancels and status requests wait (at most {@link MAX_WAITING}) and go
 * out after the next logon. What the venue does with working orders when the connection drops
 * is its policy (the standalone acceptor cancels them by default, docs/venues.md); the gateway
 * reconciles after an UP with status requests.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { MsgView } from 'jspurefix';
import type { FixLinkSettings } from '../../config/venues.js';
import type { BackendOutput, VenueBackend } from '../link/worker-port.js';
import type { VenueCancelReject, VenueOrder, VenueReport } from '../venue.js';
import { type RunningFixSessions, describeSession, startFixSessions } from './engine.js';
import { LinkSession, SentLog } from './link-session.js';
import { decodeExecutionReport, decodeOrderCancelReject, newOrderSingle, orderCancelRequest, orderStatusRequest } from './messages.js';

export const MAX_WAITING = 65_536;

type Item = { report: VenueReport } | { reject: VenueCancelReject };

export class FixInitiatorBackend implements VenueBackend {
  private session: LinkSession<Item> | null = null;
  private running: RunningFixSessions | null = null;
  private readonly log = new SentLog();
  private readonly waiting: { cancel: boolean; o: VenueOrder }[] = [];
  private closing = false;
  private backoffMs: number;
  private sleepTimer: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;
  private loopDone: Promise<void> = Promise.resolve();
  private readonly tag = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  private seq = 0;

  constructor(
    private readonly venue: string,
    private readonly link: FixLinkSettings,
    private readonly out: BackendOutput,
  ) {
    this.backoffMs = link.reconnectMinMs;
  }

  start(): void {
    mkdirSync(this.link.dataDir, { recursive: true });
    this.loopDone = this.loop();
  }

  submit(o: VenueOrder): void {
    if (this.link.failpoint === 'drop-new') return;
    if (this.session) this.session.sendApp('D', newOrderSingle(o, new Date()));
    else this.out.report(this.localReject(o, 'VENUE_DOWN'));
  }

  cancel(o: VenueOrder): void {
    if (this.session) this.session.sendApp('F', orderCancelRequest(o, `${o.clOrdId}~C${this.tag}${++this.seq}`, new Date()));
    else if (this.waiting.length < MAX_WAITING) this.waiting.push({ cancel: true, o });
    else this.out.cancelReject({ venue: this.venue, clOrdId: o.clOrdId, reason: 'VENUE_DOWN' });
  }

  status(o: VenueOrder): void {
    if (this.session) this.session.sendApp('H', orderStatusRequest(o));
    else if (this.waiting.length < MAX_WAITING) this.waiting.push({ cancel: false, o });
  }

  poll(): number {
    return Infinity;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.session?.logout();
    this.running?.stop();
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    this.wake?.();
    await this.loopDone;
  }

  private readonly hooks = {
    log: this.log,
    decode: (msgType: string, view: MsgView, possDup: boolean): Item | null => {
      if (msgType === '8') {
        const report = decodeExecutionReport(view, this.venue, possDup);
        return report ? { report } : null;
      }
      if (msgType === '9') {
        const reject = decodeOrderCancelReject(view, this.venue);
        return reject ? { reject } : null;
      }
      return null;
    },
    deliver: (item: Item): void => {
      if ('report' in item) this.out.report(item.report);
      else this.out.cancelReject(item.reject);
    },
    ready: (s: LinkSession<Item>): void => {
      this.session = s;
      this.backoffMs = this.link.reconnectMinMs;
      this.out.session('UP', `${this.link.host}:${this.link.port}`);
      for (const w of this.waiting.splice(0)) {
        if (w.cancel) this.cancel(w.o);
        else this.status(w.o);
      }
    },
    stopped: (s: LinkSession<Item>, err: Error | undefined): void => {
      if (this.session !== s) return;
      this.session = null;
      this.out.session('DOWN', err?.message ?? 'session ended');
    },
  };

  private async loop(): Promise<void> {
    let last: string | null = null;
    while (!this.closing) {
      this.out.session('CONNECTING', last === null ? `${this.link.host}:${this.link.port}` : `${this.link.host}:${this.link.port} (last: ${last})`);
      const description = describeSession('initiator', this.link);
      this.running = startFixSessions(description, this.link.dataDir, (c) => new LinkSession<Item>(c, this.hooks));
      try {
        await this.running.done;
        last = 'session ended';
      } catch (e) {
        last = e instanceof Error ? e.message : String(e);
      }
      this.running = null;
      if (this.session) {
        // the engine ended without reporting the stop: report it here
        this.session = null;
        this.out.session('DOWN', last);
      }
      if (this.closing) break;
      await this.sleep(this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, this.link.reconnectMaxMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.sleepTimer = setTimeout(resolve, ms);
    });
  }

  private localReject(o: VenueOrder, text: string): VenueReport {
    return {
      venue: this.venue,
      clOrdId: o.clOrdId,
      venueOrderId: 'NONE',
      execId: `local-${this.tag}-${++this.seq}`,
      execType: 'REJECTED',
      ordStatus: 'REJECTED',
      lastQty: 0,
      lastPx: 0,
      cumQty: 0,
      leavesQty: 0,
      avgPx: 0,
      text,
      transactTime: Date.now(),
      possDup: false,
    };
  }
}
