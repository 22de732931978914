/**
 * Binary TCP order entry (protocol v1, docs/tcp-protocol.md). Translates frames to the same domain
 * calls as HTTP — `FastPath.submit` and `FastPath.cancel` — and answers in arrival order.
 *
 * Per connection: a streaming FrameDecoder, the pure session guard (login gating, sequence rule,
 * heartbeats), and one output buffer. All answers produced while handling one chunk of input go
 * out in a single socket write. A malformed frame ends the session with Goodbye and a reason; it
 * never throws out of the handler.
 *
 * Reading stops in two cases, and the guard knows which:
 *  - a Login whose token is not in the verified-token cache is being verified: the frames after
 *    it stay in the decoder, undecoded, and are processed in order once the login is decided
 *    (session.ts, `holdsInput`), so Login + NewOrder in one packet always behaves the same;
 *  - the client does not read its answers (a write found the socket's buffer full): the server
 *    stops reading its requests until `drain` (TCP flow control), and cuts it with Goodbye
 *    SESSION_SLOW_CONSUMER once that has lasted `missedHeartbeats` heartbeat intervals, or at
 *    once when its unread answers exceed `maxWriteBufferBytes`. It is never mistaken for a silent
 *    client (PROTOCOL_HEARTBEAT_TIMEOUT): the receive clock does not run while the server is not
 *    reading.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { type Authenticator, AuthFailure, type Principal } from '../../auth/authenticator.js';
import type { NewOrder } from '../../contract/order.js';
import { REASONS, type Reason } from '../../contract/reasons.js';
import type { FastPath, SessionState } from '../../fastpath/fast-path.js';
import type { LatencyHistogram } from '../../lib/latency.js';
import {
  type CancelMsg,
  type ClientMessage,
  encodeAckFast,
  encodeCancelAck,
  encodeCancelReject,
  encodeGoodbye,
  encodeHeartbeat,
  encodeLoginAccepted,
  encodeLoginRejected,
  encodeReject,
  FrameDecoder,
  type LoginMsg,
  MAX_FRAME_BYTES,
  MsgType,
  type NewOrderMsg,
  ProtocolError,
  encodeExecutionReport,
  EXECUTION_REPORT_FRAME_SIZE,
  ExecTypeCode,
  type ExecutionReportMsg,
  type Fields,
  type OrdStatusCode,
} from '@switchyard/protocol';
import { wireOrderToContract } from './wire-order.js';
import type { ExecType } from '../../contract/bus-event.js';
import type { ExecutionListener } from '../../execution/execution.js';
import type { LiveOrder } from '../../execution/live-order.js';
import { type Applied, isTerminalStatus } from '../../execution/reports.js';
import { statusIndex } from '../../orders/order.js';

const EXEC_TYPE_CODES: Readonly<Record<ExecType, ExecTypeCode>> = {
  NEW: ExecTypeCode.New,
  TRADE: ExecTypeCode.Trade,
  CANCELED: ExecTypeCode.Canceled,
  REJECTED: ExecTypeCode.Rejected,
  EXPIRED: ExecTypeCode.Expired,
  REPLACED: ExecTypeCode.Replaced,
  ORDER_STATUS: ExecTypeCode.OrderStatus,
};
import { DEFAULT_SESSION_RULES, ServerSessionGuard, type SessionRules } from '@switchyard/protocol';

export interface TcpDeps {
  log: Logger;
  auth: Authenticator;
  fastPath: FastPath;
  /** time from a decoded NewOrder to its encoded answer */
  ackTimer: LatencyHistogram;
  rules?: SessionRules;
  maxWriteBufferBytes?: number;
  /** venue execution reports, sent to the sessions that entered the orders (protocol version 2) */
  executions?: { subscribe(l: ExecutionListener): void };
}

export class TcpCounters {
  connections = 0;
  connectionsOpen = 0;
  logins = 0;
  loginRejected = 0;
  protocolErrors = 0;
  heartbeatTimeouts = 0;
  slowConsumers = 0;
  executionReports = 0;
  newOrders = 0;
  cancels = 0;
}

const OUT_BYTES = 64 * 1024;
const now = (): number => performance.now();

function onLoginVerified(p: Principal | AuthFailure | null, c: Connection): void {
  c.verifiedLogin(p);
}

class Connection {
  readonly decoder = new FrameDecoder({ from: 'client' });
  readonly guard: ServerSessionGuard;
  principal: Principal | null = null;
  session: SessionState | null = null;
  /** a Login whose token is being verified */
  private pendingLogin: LoginMsg | null = null;
  /** protocol version of the session (version 2 receives ExecutionReports) */
  version = 0;
  private out = Buffer.allocUnsafe(OUT_BYTES);
  private outLen = 0;
  private closing = false;
  /** the socket takes no more writes: waiting for 'drain' */
  private blocked = false;

  constructor(
    readonly t: TcpTransport,
    readonly socket: Socket,
  ) {
    this.guard = new ServerSessionGuard(now(), t.rules);
  }

  onData(chunk: Buffer): void {
    if (this.closing) return;
    this.decoder.push(chunk);
    this.process();
  }

  /** Decodes and handles the frames waiting in the decoder, unless a login holds them; answers go out in one write. */
  private process(): void {
    for (;;) {
      if (this.guard.holdsInput) break;
      const msg = this.decoder.next();
      if (msg === null) break;
      if (msg instanceof ProtocolError) {
        this.goodbye(msg.reason as Reason, msg.message);
        return;
      }
      this.handle(msg);
      if (this.closing) return;
    }
    this.flush();
  }

  private handle(msg: ClientMessage): void {
    const violation = this.guard.check(msg, now());
    if (violation !== null) {
      this.t.counters.protocolErrors++;
      this.goodbye(violation.reason as Reason, violation.message);
      return;
    }
    switch (msg.type) {
      case MsgType.NewOrder:
        return this.newOrder(msg);
      case MsgType.Cancel:
        return this.cancel(msg);
      case MsgType.Login:
        return this.login(msg);
      case MsgType.Logout:
        return this.goodbye('SESSION_LOGOUT', 'logged out');
      case MsgType.Heartbeat:
        return;
    }
  }

  private newOrder(m: NewOrderMsg): void {
    const t0 = now();
    const fp = this.t.fastPath;
    this.t.counters.newOrders++;
    const order: NewOrder | Reason = wireOrderToContract(m, Date.now());
    const reason = typeof order === 'string' ? fp.reject(order) : fp.submit(this.principal!.accountId, this.session!, order);
    this.reserve(48);
    if (reason === null) {
      this.outLen += encodeAckFast(this.out, this.outLen, m.clientSeq, fp.lastOrderNo, fp.lastSessionSeq, fp.lastReceivedAtNs);
    } else {
      this.outLen += encodeReject(this.out, this.outLen, { clientSeq: m.clientSeq, reasonCode: REASONS[reason] });
    }
    this.t.ackTimer.since(t0, now());
  }

  private cancel(m: CancelMsg): void {
    const fp = this.t.fastPath;
    this.t.counters.cancels++;
    // A bigint id lies above every id this gateway issues: -1 names no order (ORDER_NOT_FOUND).
    const reason = fp.cancel(this.principal!.accountId, typeof m.orderId === 'bigint' ? -1 : (m.orderId ?? 0), m.clientOrderId);
    this.reserve(32);
    if (reason === null) this.outLen += encodeCancelAck(this.out, this.outLen, { clientSeq: m.clientSeq, orderId: fp.lastOrderNo });
    else this.outLen += encodeCancelReject(this.out, this.outLen, { clientSeq: m.clientSeq, reasonCode: REASONS[reason] });
  }

  private login(m: LoginMsg): void {
    const problem = this.guard.loginProblem(m);
    if (problem !== null) return this.loginRejected(problem.reason as Reason, problem.message);
    this.pendingLogin = m;
    const p = this.t.auth.resolve('Bearer ' + m.token, onLoginVerified, this);
    if (p !== undefined) {
      this.pendingLogin = null;
      return this.loggedIn(m, p);
    }
    // The guard now holds the frames after the Login (process() stops decoding); stop reading
    // more until the token is verified, then go on with what is waiting, in order.
    this.reading();
  }

  /** The Login's token has been verified (null: the verification failed; logged by the authenticator). */
  verifiedLogin(p: Principal | AuthFailure | null): void {
    const m = this.pendingLogin!;
    this.pendingLogin = null;
    if (this.closing) return;
    if (p === null) return this.goodbye('INTERNAL_ERROR', 'internal error');
    this.loggedIn(m, p);
    if (this.closing) return;
    this.reading();
    this.process();
  }

  private loggedIn(m: LoginMsg, p: Principal | AuthFailure): void {
    if (p instanceof AuthFailure) {
      return this.loginRejected(p.error === 'TokenExpired' ? 'AUTH_TOKEN_EXPIRED' : 'AUTH_FAILED', p.error);
    }
    this.principal = p;
    this.version = m.version;
    this.session = this.t.fastPath.session(p.sessionId);
    this.t.loggedIn(this);
    const { heartbeatMs, nextClientSeq } = this.guard.accept(m);
    this.t.counters.logins++;
    this.reserve(MAX_FRAME_BYTES);
    this.outLen += encodeLoginAccepted(this.out, this.outLen, { sessionId: p.sessionId, nextClientSeq, heartbeatMs });
  }

  private loginRejected(reason: Reason, text: string): void {
    this.t.counters.loginRejected++;
    this.t.log.debug({ reason, text, remote: this.socket.remoteAddress }, 'tcp login rejected');
    this.reserve(MAX_FRAME_BYTES);
    this.outLen += encodeLoginRejected(this.out, this.outLen, { reasonCode: REASONS[reason], text });
    this.end();
  }

  /** Sends everything answered so far, then Goodbye, and closes. */
  goodbye(reason: Reason, text: string): void {
    if (this.closing) return;
    if (reason !== 'SESSION_LOGOUT' && reason !== 'SERVER_SHUTDOWN') {
      this.t.log.debug({ reason, text, remote: this.socket.remoteAddress }, 'tcp session ended');
    }
    this.reserve(MAX_FRAME_BYTES);
    this.outLen += encodeGoodbye(this.out, this.outLen, { reasonCode: REASONS[reason], text: text.slice(0, 200) });
    this.end();
  }

  private end(): void {
    this.closing = true;
    this.guard.close();
    this.flush();
    this.socket.end();
    // A peer that never reads must not keep the socket forever.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  tick(nowMs: number): void {
    if (this.closing) return;
    const action = this.guard.tick(nowMs);
    if (action === 'none') return;
    if (action === 'send-heartbeat') {
      this.reserve(8);
      this.outLen += encodeHeartbeat(this.out, this.outLen);
      this.flush();
      return;
    }
    if (action.reason === 'SESSION_SLOW_CONSUMER') return this.slowConsumer(action.message);
    if (action.reason === 'PROTOCOL_HEARTBEAT_TIMEOUT') this.t.counters.heartbeatTimeouts++;
    this.goodbye(action.reason as Reason, action.message);
  }

  /**
   * Ends the session of a client that does not read its answers: Goodbye SESSION_SLOW_CONSUMER
   * behind them (it arrives if the client reads on), then close (destroyed after the grace of
   * {@link end} if it never does).
   */
  private slowConsumer(text: string): void {
    this.t.counters.slowConsumers++;
    this.t.log.warn({ remote: this.socket.remoteAddress, unread: this.socket.writableLength, text }, 'tcp slow consumer disconnected');
    this.goodbye('SESSION_SLOW_CONSUMER', text);
  }

  /** Reads from the socket unless a login holds the input or the client does not read its answers. */
  private reading(): void {
    if (this.closing) return;
    if (this.blocked || this.guard.holdsInput) this.socket.pause();
    else this.socket.resume();
  }

  /** An execution report of one of the session's orders (written at once, behind any answers due). */
  executionReport(m: Fields<ExecutionReportMsg>): void {
    if (this.closing || this.version < 2) return;
    this.reserve(EXECUTION_REPORT_FRAME_SIZE);
    this.outLen += encodeExecutionReport(this.out, this.outLen, m);
    this.t.counters.executionReports++;
    this.flush();
  }

  private reserve(n: number): void {
    if (this.outLen + n > this.out.length) this.flush();
  }

  flush(): void {
    if (this.outLen === 0 || this.socket.destroyed) return;
    const chunk = Buffer.allocUnsafe(this.outLen);
    this.out.copy(chunk, 0, 0, this.outLen);
    this.outLen = 0;
    const ok = this.socket.write(chunk);
    const t = now();
    this.guard.sent(t);
    if (this.closing) return;
    if (this.socket.writableLength > this.t.maxWriteBufferBytes) {
      this.slowConsumer(`${this.socket.writableLength} bytes of answers unread`);
      return;
    }
    if (!ok && !this.blocked) {
      // Stop reading orders from a client that does not read its answers.
      this.blocked = true;
      this.guard.writeBlocked(t);
      this.reading();
      this.socket.once('drain', () => {
        this.blocked = false;
        this.guard.writeDrained(now());
        this.reading();
      });
    }
  }
}

export class TcpTransport implements ExecutionListener {
  readonly server: Server;
  readonly counters = new TcpCounters();
  readonly rules: SessionRules;
  readonly maxWriteBufferBytes: number;
  private readonly connections = new Set<Connection>();
  /** logged-in connections by session id */
  private readonly bySession = new Map<string, Connection[]>();
  private ticker: NodeJS.Timeout | null = null;

  constructor(private readonly d: TcpDeps) {
    this.rules = d.rules ?? DEFAULT_SESSION_RULES;
    this.maxWriteBufferBytes = d.maxWriteBufferBytes ?? 8 * 1024 * 1024;
    this.server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    d.executions?.subscribe(this);
  }

  /** A connection has logged in: it hears of its session's orders. */
  loggedIn(c: Connection): void {
    const id = c.principal!.sessionId;
    const list = this.bySession.get(id);
    if (list === undefined) this.bySession.set(id, [c]);
    else list.push(c);
  }

  private forget(c: Connection): void {
    const id = c.principal?.sessionId;
    if (id === undefined) return;
    const list = this.bySession.get(id);
    if (list === undefined) return;
    const i = list.indexOf(c);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.bySession.delete(id);
  }

  executionReport(o: LiveOrder, a: Applied, execType: ExecType, at: number): void {
    if (o.sessionId === '' || o.orderNo <= 0) return;
    const list = this.bySession.get(o.sessionId);
    if (list === undefined) return;
    const m: Fields<ExecutionReportMsg> = {
      orderId: o.orderNo,
      execType: EXEC_TYPE_CODES[execType],
      ordStatus: statusIndex(a.status) as OrdStatusCode,
      lastQty: a.fillQty,
      lastPx: a.fillPx,
      cumQty: a.cumQty,
      leavesQty: isTerminalStatus(a.status) ? 0 : o.qty - a.cumQty,
      avgPx: a.cumQty === 0 ? 0 : a.notional / a.cumQty,
      transactTime: Math.max(0, Math.round(at)),
    };
    for (const c of list) c.executionReport(m);
  }

  get log(): Logger {
    return this.d.log;
  }
  get auth(): Authenticator {
    return this.d.auth;
  }
  get fastPath(): FastPath {
    return this.d.fastPath;
  }
  get ackTimer(): LatencyHistogram {
    return this.d.ackTimer;
  }

  private accept(socket: Socket): void {
    const c = new Connection(this, socket);
    this.connections.add(c);
    this.counters.connections++;
    this.counters.connectionsOpen++;
    socket.on('data', (chunk: Buffer) => c.onData(chunk));
    socket.on('error', (err) => this.d.log.debug({ err: err.message }, 'tcp socket error'));
    socket.on('close', () => {
      this.connections.delete(c);
      this.forget(c);
      this.counters.connectionsOpen--;
    });
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        const tick = Math.max(10, Math.floor(this.rules.minHeartbeatMs / 2));
        this.ticker = setInterval(() => {
          const t = now();
          for (const c of this.connections) c.tick(t);
        }, tick);
        this.ticker.unref();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
      });
    });
  }

  /** Stops accepting, says Goodbye(SERVER_SHUTDOWN) to every session, and waits for them to close. */
  close(graceMs: number): Promise<void> {
    if (this.ticker !== null) clearInterval(this.ticker);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        for (const c of this.connections) c.socket.destroy();
      }, graceMs);
      timer.unref();
      this.server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      for (const c of this.connections) c.goodbye('SERVER_SHUTDOWN', 'server shutting down');
    });
  }
}
