/**
 * The standalone FIX 4.4 acceptor wrapping the exchange simulator (`npm run venue`): a venue a
 * gateway's FIX link (kind `fix`) connects to over TCP, and the real socket peer the link is
 * tested against.
 *
 * Owning thread: the acceptor process's event loop (the simulator runs on it too; this process
 * is the venue, nobody else's hot path). One counterparty: the gateway's CompID
 * (`VENUE_FIX_GATEWAY_COMP_ID`); the acceptor's own is `VENUE_FIX_VENUE_COMP_ID`.
 *
 * Messages in: NewOrderSingle, OrderCancelRequest, OrderStatusRequest; out: ExecutionReport,
 * OrderCancelReject (fix/messages.ts). Sequence numbers persist under `VENUE_FIX_DATA_DIR`; the
 * application messages sent are kept (fix/link-session.ts SentLog) across connections, so a
 * ResendRequest after a reconnect gets every lost report again, PossDupFlag=Y. Reports produced
 * while the counterparty is not logged on wait and go out, in order, after its next logon.
 *
 * Cancel-on-disconnect (`VENUE_FIX_CANCEL_ON_DISCONNECT`, default on): when the counterparty's
 * connection ends, every working order of it is cancelled at once; the CANCELED reports (text
 * CANCEL_ON_DISCONNECT) are sent after the next logon. Off: orders keep working and trading while
 * the counterparty is away; their reports wait likewise.
 */
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import type { MsgView } from 'jspurefix';
import type { AcceptorConfig } from '../../config/venues.js';
import { VenueError } from '../errors.js';
import { SimExchange } from '../sim/exchange.js';
import { epochUs } from '../clock.js';
import type { VenueOrder, VenueOrdStatus, VenueReport } from '../venue.js';
import { type RunningFixSessions, describeSession, startFixSessions } from './engine.js';
import { LinkSession, SentLog } from './link-session.js';
import { decodeNewOrderSingle, decodeOrderRequest, executionReport, orderCancelReject } from './messages.js';

type Action = () => void;

/** Events: `logon`, `logout` (detail), `sent` (msgType, seq). */
export class FixAcceptor extends EventEmitter {
  private readonly owner: string;
  private readonly ex: SimExchange;
  private readonly log = new SentLog();
  private readonly pending: { msgType: string; body: Record<string, unknown> }[] = [];
  private readonly cancelIds = new Map<string, string>();
  private readonly statuses = new Map<string, VenueOrdStatus>();
  private live: LinkSession<Action> | null = null;
  private running: RunningFixSessions | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private localSeq = 0;
  private port = 0;

  constructor(
    private readonly cfg: AcceptorConfig,
    refPrices: ReadonlyMap<string, number>,
    private readonly runId: string = `${Date.now().toString(36)}${process.pid.toString(36)}`,
  ) {
    super();
    this.owner = cfg.link.gatewayCompId;
    this.ex = new SimExchange(cfg.link.venueCompId, cfg.sim, refPrices, runId, {
      report: (_owner, r, o) => this.onReport(r, o),
      cancelReject: (_owner, r) => {
        const cancelId = this.cancelIds.get(r.clOrdId) ?? r.clOrdId;
        this.cancelIds.delete(r.clOrdId);
        this.out('9', orderCancelReject(r, cancelId, this.statuses.get(r.clOrdId) ?? null, new Date()));
      },
    }, epochUs());
  }

  /** Working orders in the simulator. */
  get openOrders(): number {
    return this.ex.openOrders;
  }

  /** True while the counterparty is logged on. */
  get connected(): boolean {
    return this.live !== null;
  }

  /** Starts listening; resolves with the port (a free one when the configured port is 0). */
  async listen(): Promise<number> {
    if (this.running) throw new VenueError('VENUE_START_FAILED', this.cfg.link.venueCompId, 'already listening');
    mkdirSync(this.cfg.link.dataDir, { recursive: true });
    this.port = await reservePort(this.cfg.link.host, this.cfg.link.port);
    const description = describeSession('acceptor', { ...this.cfg.link, port: this.port });
    this.running = startFixSessions(description, this.cfg.link.dataDir, (c) => new LinkSession<Action>(c, this.hooks));
    await waitListening(this.running, this.cfg.link.venueCompId);
    this.pump();
    return this.port;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const r = this.running;
    if (!r) return;
    r.stop();
    this.live?.socket()?.destroy();
    await r.done.catch(() => undefined);
  }

  /**
   * Test hook: holds the counterparty's outbound bytes from now on (the socket is corked), as if
   * the network had stalled; a {@link dropConnection} then loses them.
   */
  stall(): boolean {
    const s = this.live?.socket();
    if (!s) return false;
    s.cork();
    return true;
  }

  /** Test and operator hook: drops the counterparty's connection at once (no Logout). */
  dropConnection(): boolean {
    const session = this.live;
    const s = session?.socket();
    if (!session || !s) return false;
    s.destroy();
    // a socket destroyed on this side never reads an end: stop the session here
    session.requestStop('connection dropped by the venue');
    return true;
  }

  private readonly hooks = {
    log: this.log,
    decode: (msgType: string, view: MsgView, _possDup: boolean): Action | null => this.decode(msgType, view),
    deliver: (a: Action): void => a(),
    ready: (s: LinkSession<Action>): void => {
      this.live = s;
      const queued = this.pending.splice(0);
      for (const m of queued) s.sendApp(m.msgType, m.body);
      this.emit('logon');
    },
    stopped: (s: LinkSession<Action>, err: Error | undefined): void => {
      if (this.live !== s) return;
      this.live = null;
      if (this.cfg.cancelOnDisconnect && !this.closed) {
        this.ex.cancelAllOf(this.owner, 'CANCEL_ON_DISCONNECT', epochUs());
        this.pump();
      }
      this.emit('logout', err?.message ?? null);
    },
    sent: (msgType: string, seq: number): void => {
      this.emit('sent', msgType, seq);
    },
  };

  private decode(msgType: string, view: MsgView): Action | null {
    if (msgType === 'D') {
      const o = decodeNewOrderSingle(view);
      if (typeof o === 'string') {
        const clOrdId = view.getString(11) ?? '';
        return () => this.rejectUndecodable(clOrdId, o, view.getString(55) ?? '', view.getString(54) === '2');
      }
      return () => {
        this.statuses.set(o.clOrdId, 'NEW');
        this.ex.submit(this.owner, o, epochUs());
        this.pump();
      };
    }
    if (msgType === 'F' || msgType === 'H') {
      const req = decodeOrderRequest(view, msgType === 'F');
      if (!req) return null;
      return () => {
        if (msgType === 'F') {
          this.cancelIds.set(req.order.clOrdId, req.requestId);
          this.ex.cancel(this.owner, req.order, epochUs());
        } else {
          this.ex.status(this.owner, req.order, epochUs());
        }
        this.pump();
      };
    }
    return null;
  }

  private onReport(r: VenueReport, o: VenueOrder): void {
    let cancelId: string | null = null;
    if (r.execType === 'CANCELED' && r.text === null) {
      cancelId = this.cancelIds.get(r.clOrdId) ?? null;
      this.cancelIds.delete(r.clOrdId);
    }
    if (r.ordStatus === 'NEW' || r.ordStatus === 'PARTIALLY_FILLED') this.statuses.set(r.clOrdId, r.ordStatus);
    else if (r.ordStatus !== 'UNKNOWN') this.statuses.delete(r.clOrdId);
    this.out('8', executionReport(r, o, cancelId));
  }

  private rejectUndecodable(clOrdId: string, reason: string, symbol: string, sell: boolean): void {
    const o: VenueOrder = { clOrdId, accountId: '', symbol, side: sell ? 2 : 1, type: 1, qty: 0, price: 0, timeInForce: 1, expireAt: 0 };
    const r: VenueReport = {
      venue: this.cfg.link.venueCompId,
      clOrdId,
      venueOrderId: 'NONE',
      execId: `${this.runId}-x${++this.localSeq}`,
      execType: 'REJECTED',
      ordStatus: 'REJECTED',
      lastQty: 0,
      lastPx: 0,
      cumQty: 0,
      leavesQty: 0,
      avgPx: 0,
      text: reason,
      transactTime: Date.now(),
      possDup: false,
    };
    this.out('8', executionReport(r, o, null));
  }

  private out(msgType: string, body: Record<string, unknown>): void {
    if (this.live) this.live.sendApp(msgType, body);
    else this.pending.push({ msgType, body });
  }

  /** Runs the simulator up to now and arms the timer for its next due time. */
  private pump(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    const now = epochUs();
    this.ex.advance(now);
    const next = this.ex.nextDueUs();
    this.timer = next === Infinity ? null : setTimeout(() => this.pump(), Math.max(0, Math.ceil((next - epochUs()) / 1000)));
  }
}

/** The port to listen on: `port`, after checking it is free (jspurefix throws from an event otherwise), or a free one for 0. */
function reservePort(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', (e) => reject(new VenueError('VENUE_START_FAILED', 'fix-acceptor', `cannot listen on ${host}:${port}: ${e.message}`, { cause: e })));
    s.listen(port, host, () => {
      const a = s.address();
      const p = typeof a === 'object' && a ? a.port : port;
      s.close(() => resolve(p));
    });
  });
}

/** Waits for jspurefix's listener (it loads the dictionary first, asynchronously). */
async function waitListening(r: RunningFixSessions, name: string): Promise<void> {
  let failed: unknown = null;
  r.done.catch((e: unknown) => (failed = e ?? new Error('stopped')));
  for (let waited = 0; waited < 60_000; waited += 5) {
    if (failed !== null) throw new VenueError('VENUE_START_FAILED', name, 'the FIX listener failed to start', { cause: failed });
    const s = r.server();
    if (s?.listening) return;
    await new Promise((res) => setTimeout(res, 5));
  }
  throw new VenueError('VENUE_START_FAILED', name, 'the FIX listener did not start within 60 s');
}
