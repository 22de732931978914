/**
 * `SwitchyardClient`: one logged-in binary TCP session with pipelined requests.
 *
 * Requests are encoded straight into an output buffer and written once per event-loop tick
 * (many requests, one write). The server answers every NewOrder and Cancel exactly once, in the
 * order received, so answers are matched against a FIFO of outstanding requests and checked
 * against their client sequence number; any mismatch is a protocol violation that ends the session.
 *
 * Failure model: when a session ends (socket closed, heartbeat timeout, Goodbye, protocol
 * violation) every outstanding request fails with {@link ConnectionLostError} and nothing is
 * sent again on its own. With `reconnect` the client then opens a new session with exponential
 * backoff; requests made while no session is active fail at once with {@link NotConnectedError}.
 *
 * One state machine (connecting → ready → reconnecting → closed) with its answer FIFO, kept in
 * one file; the request mapping is in requests.ts.
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { OrdType, Side, TimeInForce } from '@switchyard/protocol';
import {
  FrameDecoder,
  HEARTBEAT_FRAME_SIZE,
  LOGOUT_FRAME_SIZE,
  MAX_CLIENT_ORDER_ID_BYTES,
  MAX_NEW_ORDER_FRAME_SIZE,
  MsgType,
  PROTOCOL_VERSION,
  ProtocolError,
  cancelFrameSize,
  encodeCancel,
  encodeHeartbeat,
  encodeLogin,
  encodeLogout,
  encodeNewOrder,
  loginFrameSize,
  reasonFromCode,
  type Fields,
  type NewOrderMsg,
  type ServerMessage,
} from '@switchyard/protocol';
import {
  ClientClosedError,
  ConnectTimeoutError,
  ConnectionClosedError,
  ConnectionLostError,
  HeartbeatTimeoutError,
  InvalidRequestError,
  LoginRejectedError,
  NotConnectedError,
  ProtocolViolationError,
  ServerGoodbyeError,
  SwitchyardError,
} from './errors.js';
import { Fifo } from '@switchyard/protocol';
import type {
  CancelRequest,
  CancelResult,
  ClientEventMap,
  ClientOptions,
  ClientState,
  ExecutionReport,
  Clock,
  OrdTypeInput,
  OrderRequest,
  OrderResult,
  ReasonName,
  ReconnectPolicy,
  SessionInfo,
  SideInput,
  TimeInForceInput,
} from './types.js';
import { orderToWire, reasonName } from './requests.js';

const OUT_CHUNK = 64 * 1024;

const EXEC_TYPE_NAMES: ReadonlyArray<ExecutionReport['execType']> = ['NEW', 'NEW', 'TRADE', 'CANCELED', 'REJECTED', 'EXPIRED', 'REPLACED', 'ORDER_STATUS'];
const ORD_STATUS_NAMES: ReadonlyArray<ExecutionReport['status']> = ['ACCEPTED', 'PARTIALLY_FILLED', 'FILLED', 'CANCEL_REQUESTED', 'CANCELED', 'REJECTED', 'EXPIRED'];

const ORDER = 0;
const CANCEL = 1;

interface PendingOrder {
  kind: typeof ORDER;
  seq: number;
  resolve: (r: OrderResult) => void;
  reject: (e: Error) => void;
}
interface PendingCancel {
  kind: typeof CANCEL;
  seq: number;
  resolve: (r: CancelResult) => void;
  reject: (e: Error) => void;
}
type Pending = PendingOrder | PendingCancel;

interface Handshake {
  startedMs: number;
  resolve: (info: SessionInfo) => void;
  reject: (err: Error) => void;
}

const DEFAULT_RECONNECT: Required<ReconnectPolicy> = {
  initialDelayMs: 100,
  maxDelayMs: 5000,
  factor: 2,
  maxAttempts: Number.POSITIVE_INFINITY,
  jitter: 0.2,
};

const monotonic: Clock = { now: () => performance.now() };

function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

function positive(name: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be a positive number, got ${v}`);
  return v;
}

/**
 * A client session. Create it with {@link SwitchyardClient.connect}.
 *
 * `newOrder()` and `cancel()` resolve with the server's business answer (accepted or rejected,
 * see {@link OrderResult}); they reject only with a {@link SwitchyardError} for transport or
 * session failures.
 */
export class SwitchyardClient extends EventEmitter<ClientEventMap> {
  /** Connects, logs in and resolves once the server has accepted the login. */
  static async connect(options: ClientOptions): Promise<SwitchyardClient> {
    const client = new SwitchyardClient(options);
    try {
      const info = await client.openSession();
      client.stateValue = 'active';
      client.emit('connected', info);
    } catch (e) {
      client.destroy();
      throw e;
    }
    return client;
  }

  private readonly host: string;
  private readonly port: number;
  private readonly token: ClientOptions['token'];
  private readonly requestedHeartbeatMs: number;
  private readonly missedHeartbeats: number;
  private readonly reconnectPolicy: Required<ReconnectPolicy> | null;
  private readonly connectTimeoutMs: number;
  private readonly closeTimeoutMs: number;
  private readonly clock: Clock;
  private readonly noDelay: boolean;

  private stateValue: ClientState = 'connecting';
  private socket: net.Socket | null = null;
  private decoder = new FrameDecoder({ from: 'server' });
  private handshake: Handshake | null = null;
  private sessionInfo: SessionInfo | null = null;
  private readonly pending = new Fifo<Pending>();
  private lastSeq = 0;
  private lastRecvMs = 0;
  private lastSentMs = 0;

  private out: Buffer = Buffer.allocUnsafe(OUT_CHUNK);
  private outStart = 0;
  private outEnd = 0;
  private flushQueued = false;
  private readonly flushCb = (): void => {
    this.flushQueued = false;
    this.flush();
  };

  private tickTimer: NodeJS.Timeout | null = null;
  private sleepTimer: NodeJS.Timeout | null = null;
  private wakeSleeper: (() => void) | null = null;
  private closeTimer: NodeJS.Timeout | null = null;
  private finished = false;
  private readonly closeWaiters: Array<() => void> = [];

  private constructor(o: ClientOptions) {
    super();
    this.host = o.host;
    this.port = o.port;
    this.token = o.token;
    this.requestedHeartbeatMs = o.heartbeatMs ?? 1000;
    if (!Number.isInteger(this.requestedHeartbeatMs) || this.requestedHeartbeatMs < 0) {
      throw new RangeError(`heartbeatMs must be a non-negative integer, got ${this.requestedHeartbeatMs}`);
    }
    this.missedHeartbeats = positive('missedHeartbeats', o.missedHeartbeats ?? 3);
    this.connectTimeoutMs = positive('connectTimeoutMs', o.connectTimeoutMs ?? 5000);
    this.closeTimeoutMs = positive('closeTimeoutMs', o.closeTimeoutMs ?? 2000);
    this.clock = o.clock ?? monotonic;
    this.noDelay = o.noDelay ?? true;
    const r = o.reconnect ?? false;
    this.reconnectPolicy = r === false ? null : { ...DEFAULT_RECONNECT, ...(r === true ? {} : r) };
    if (o.autoTick ?? true) {
      const every = Math.min(250, Math.max(10, Math.floor((this.requestedHeartbeatMs || 1000) / 4)));
      this.tickTimer = setInterval(() => this.tick(), every);
      this.tickTimer.unref();
    }
  }

  /** Current lifecycle state. */
  get state(): ClientState {
    return this.stateValue;
  }

  /** What the server granted at the current session's login, or null without a session. */
  get session(): SessionInfo | null {
    return this.sessionInfo;
  }

  /** Number of requests sent and not yet answered. */
  get outstanding(): number {
    return this.pending.length;
  }

  /** Client sequence number of the most recent request (0 before the first). */
  get lastClientSeq(): number {
    return this.lastSeq;
  }

  /**
   * Sends a new order. Resolves with `{status: 'ACK', ...}` or `{status: 'REJECTED', reason, ...}`;
   * rejects with {@link InvalidRequestError} when the order cannot be encoded,
   * {@link NotConnectedError} without an active session, or {@link ConnectionLostError} when the
   * session ends before the answer. Any number of orders may be outstanding.
   */
  newOrder(order: OrderRequest): Promise<OrderResult> {
    if (this.stateValue !== 'active' || this.socket === null) {
      return Promise.reject(new NotConnectedError(this.stateValue));
    }
    const seq = this.lastSeq + 1;
    try {
      const fields = orderToWire(order, seq);
      this.reserve(MAX_NEW_ORDER_FRAME_SIZE);
      const n = encodeNewOrder(this.out, this.outEnd, fields);
      this.lastSeq = seq;
      this.commit(n);
    } catch (e) {
      return Promise.reject(e instanceof SwitchyardError ? e : new InvalidRequestError(toError(e).message));
    }
    return new Promise<OrderResult>((resolve, reject) => {
      this.pending.push({ kind: ORDER, seq, resolve, reject });
    });
  }

  /**
   * Sends a cancel for an order named by `orderId` or `clientOrderId`. Resolves with
   * `{status: 'CANCEL_ACK'}` or `{status: 'CANCEL_REJECTED', reason}`; fails like {@link newOrder}.
   */
  cancel(target: CancelRequest): Promise<CancelResult> {
    if (this.stateValue !== 'active' || this.socket === null) {
      return Promise.reject(new NotConnectedError(this.stateValue));
    }
    const seq = this.lastSeq + 1;
    try {
      const byId = 'orderId' in target;
      const orderId = byId ? toOrderId(target.orderId) : null;
      const clientOrderId = byId ? null : target.clientOrderId;
      if (!byId && (typeof clientOrderId !== 'string' || clientOrderId === '')) {
        throw new InvalidRequestError('clientOrderId must be a non-empty string');
      }
      this.reserve(cancelFrameSize(MAX_CLIENT_ORDER_ID_BYTES));
      const n = encodeCancel(this.out, this.outEnd, { clientSeq: seq, orderId, clientOrderId });
      this.lastSeq = seq;
      this.commit(n);
    } catch (e) {
      return Promise.reject(e instanceof SwitchyardError ? e : new InvalidRequestError(toError(e).message));
    }
    return new Promise<CancelResult>((resolve, reject) => {
      this.pending.push({ kind: CANCEL, seq, resolve, reject });
    });
  }

  /**
   * Heartbeat and timeout duties: sends a Heartbeat when nothing was sent for one interval,
   * ends the session when nothing was received for `missedHeartbeats` intervals, and enforces
   * the connect timeout. Runs on an internal timer unless `autoTick: false`.
   */
  tick(): void {
    const sock = this.socket;
    if (sock === null) return;
    const now = this.clock.now();
    const hs = this.handshake;
    if (hs !== null) {
      if (now - hs.startedMs >= this.connectTimeoutMs) this.drop(sock, new ConnectTimeoutError(this.connectTimeoutMs));
      return;
    }
    const info = this.sessionInfo;
    if (info === null || info.heartbeatMs <= 0) return;
    const silent = now - this.lastRecvMs;
    if (silent >= info.heartbeatMs * this.missedHeartbeats) {
      this.drop(sock, new HeartbeatTimeoutError(silent));
      return;
    }
    if (now - this.lastSentMs >= info.heartbeatMs) {
      this.reserve(HEARTBEAT_FRAME_SIZE);
      this.commit(encodeHeartbeat(this.out, this.outEnd));
      this.flush();
    }
  }

  /**
   * Graceful close: sends Logout, lets the server answer what is outstanding and say Goodbye,
   * then resolves. Gives up after `closeTimeoutMs` (outstanding requests then fail with
   * ConnectionLostError). Stops any reconnect in progress.
   */
  close(): Promise<void> {
    if (this.stateValue === 'closed') return Promise.resolve();
    const done = new Promise<void>((resolve) => this.closeWaiters.push(resolve));
    if (this.stateValue === 'closing') return done;
    const sock = this.socket;
    if (this.stateValue === 'active' && sock !== null) {
      this.stateValue = 'closing';
      this.reserve(LOGOUT_FRAME_SIZE);
      this.commit(encodeLogout(this.out, this.outEnd));
      this.flush();
      this.closeTimer = setTimeout(() => {
        this.drop(sock, new ConnectionClosedError(`no Goodbye within ${this.closeTimeoutMs} ms of Logout`));
      }, this.closeTimeoutMs);
    } else {
      this.destroy();
    }
    return done;
  }

  /** Immediate close without Logout. Outstanding requests fail with ConnectionLostError. */
  destroy(): void {
    if (this.finished) return;
    this.stateValue = 'closed';
    this.wake();
    if (this.socket !== null) this.drop(this.socket, new ClientClosedError());
    this.finish(null);
  }

  // -------------------------------------------------------------------------------------------
  // Session establishment

  private async openSession(): Promise<SessionInfo> {
    const token = typeof this.token === 'function' ? await this.token() : this.token;
    let login: Buffer;
    try {
      login = Buffer.allocUnsafe(loginFrameSize(token.length));
      encodeLogin(login, 0, { version: PROTOCOL_VERSION, heartbeatMs: this.requestedHeartbeatMs, token });
    } catch (e) {
      throw new InvalidRequestError(`token cannot be sent: ${toError(e).message}`);
    }
    if (this.stateValue === 'closed') throw new ClientClosedError();

    return new Promise<SessionInfo>((resolve, reject) => {
      const sock = new net.Socket();
      const now = this.clock.now();
      this.socket = sock;
      this.decoder = new FrameDecoder({ from: 'server' });
      this.discardOutput();
      this.lastRecvMs = now;
      this.lastSentMs = now;
      this.handshake = { startedMs: now, resolve, reject };
      sock.setNoDelay(this.noDelay);
      sock.on('connect', () => {
        if (sock !== this.socket) return;
        sock.write(login);
        this.lastSentMs = this.clock.now();
      });
      sock.on('data', (chunk: Buffer) => this.onData(sock, chunk));
      sock.on('error', (err: Error) => this.drop(sock, new ConnectionClosedError(`connection error: ${err.message}`, err)));
      sock.on('close', () => this.drop(sock, new ConnectionClosedError('connection closed')));
      sock.connect({ host: this.host, port: this.port });
    });
  }

  private async reconnectLoop(): Promise<void> {
    const policy = this.reconnectPolicy as Required<ReconnectPolicy>;
    this.stateValue = 'reconnecting';
    let lastError: Error = new ConnectionClosedError('reconnect attempts exhausted');
    for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
      const delay = this.backoff(policy, attempt);
      this.emit('reconnecting', attempt, delay);
      await this.sleep(delay);
      if (this.stateValue !== 'reconnecting') return;
      try {
        const info = await this.openSession();
        if (this.stateValue !== 'reconnecting') return;
        this.stateValue = 'active';
        this.emit('connected', info);
        return;
      } catch (e) {
        lastError = toError(e);
        if (this.stateValue !== 'reconnecting') return;
        if (lastError instanceof LoginRejectedError || lastError instanceof InvalidRequestError) break;
      }
    }
    this.finish(lastError);
  }

  private backoff(p: Required<ReconnectPolicy>, attempt: number): number {
    const base = Math.min(p.maxDelayMs, p.initialDelayMs * Math.pow(p.factor, attempt - 1));
    const spread = p.jitter > 0 ? 1 + p.jitter * (2 * Math.random() - 1) : 1;
    return Math.max(0, Math.round(base * spread));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wakeSleeper = resolve;
      this.sleepTimer = setTimeout(() => this.wake(), ms);
    });
  }

  private wake(): void {
    if (this.sleepTimer !== null) clearTimeout(this.sleepTimer);
    this.sleepTimer = null;
    const w = this.wakeSleeper;
    this.wakeSleeper = null;
    if (w !== null) w();
  }

  // -------------------------------------------------------------------------------------------
  // Inbound

  private onData(sock: net.Socket, chunk: Buffer): void {
    if (sock !== this.socket) return;
    this.lastRecvMs = this.clock.now();
    const dec = this.decoder;
    dec.push(chunk);
    for (;;) {
      const m = dec.next();
      if (m === null) return;
      if (m instanceof ProtocolError) {
        this.drop(sock, new ProtocolViolationError(`undecodable data from the server: ${m.message}`, m.reason));
        return;
      }
      this.emit('message', m);
      this.handle(sock, m);
      if (sock !== this.socket) return;
    }
  }

  private handle(sock: net.Socket, m: ServerMessage): void {
    switch (m.type) {
      case MsgType.LoginAccepted: {
        const hs = this.handshake;
        if (hs === null) return this.violation(sock, 'LoginAccepted on an established session');
        const info: SessionInfo = { sessionId: m.sessionId, heartbeatMs: m.heartbeatMs, nextClientSeq: m.nextClientSeq };
        this.sessionInfo = info;
        this.lastSeq = Math.max(this.lastSeq, m.nextClientSeq - 1);
        this.handshake = null;
        hs.resolve(info);
        return;
      }
      case MsgType.LoginRejected:
        if (this.handshake === null) return this.violation(sock, 'LoginRejected on an established session');
        return this.drop(sock, new LoginRejectedError(m.reasonCode, reasonName(m.reasonCode), m.text));
      case MsgType.Goodbye: {
        const reason = reasonName(m.reasonCode);
        this.emit('goodbye', { reason, reasonCode: m.reasonCode, text: m.text });
        return this.drop(sock, new ServerGoodbyeError(m.reasonCode, reason, m.text));
      }
      case MsgType.ExecutionReport:
        this.emit('executionReport', {
          orderId: m.orderId,
          execType: EXEC_TYPE_NAMES[m.execType] ?? 'ORDER_STATUS',
          status: ORD_STATUS_NAMES[m.ordStatus] ?? 'ACCEPTED',
          lastQty: m.lastQty,
          lastPx: m.lastPx,
          cumQty: m.cumQty,
          leavesQty: m.leavesQty,
          avgPx: m.avgPx,
          transactTime: m.transactTime,
        });
        return;
      case MsgType.Heartbeat:
        this.emit('heartbeat');
        return;
      case MsgType.Ack:
      case MsgType.Reject: {
        const p = this.pending.peek();
        if (this.handshake !== null || p === undefined || p.kind !== ORDER || p.seq !== m.clientSeq) {
          return this.violation(sock, `${MsgType[m.type]} for clientSeq ${m.clientSeq} ${this.expectation(p)}`);
        }
        this.pending.shift();
        if (m.type === MsgType.Ack) {
          p.resolve({
            status: 'ACK',
            clientSeq: m.clientSeq,
            orderId: m.orderId,
            sessionSeq: m.sessionSeq,
            receivedAtNs: m.receivedAtNs,
          });
        } else {
          p.resolve({ status: 'REJECTED', clientSeq: m.clientSeq, reason: reasonName(m.reasonCode), reasonCode: m.reasonCode });
        }
        return;
      }
      case MsgType.CancelAck:
      case MsgType.CancelReject: {
        const p = this.pending.peek();
        if (this.handshake !== null || p === undefined || p.kind !== CANCEL || p.seq !== m.clientSeq) {
          return this.violation(sock, `${MsgType[m.type]} for clientSeq ${m.clientSeq} ${this.expectation(p)}`);
        }
        this.pending.shift();
        if (m.type === MsgType.CancelAck) {
          p.resolve({ status: 'CANCEL_ACK', clientSeq: m.clientSeq, orderId: m.orderId });
        } else {
          p.resolve({
            status: 'CANCEL_REJECTED',
            clientSeq: m.clientSeq,
            reason: reasonName(m.reasonCode),
            reasonCode: m.reasonCode,
          });
        }
        return;
      }
    }
  }

  private expectation(p: Pending | undefined): string {
    if (this.handshake !== null) return 'before LoginAccepted';
    if (p === undefined) return 'with nothing outstanding';
    return `while the oldest outstanding request is ${p.kind === ORDER ? 'NewOrder' : 'Cancel'} ${p.seq}`;
  }

  private violation(sock: net.Socket, message: string): void {
    this.drop(sock, new ProtocolViolationError(message));
  }

  // -------------------------------------------------------------------------------------------
  // Session end

  /** Ends the session on `sock` (if still current) and decides what happens next. */
  private drop(sock: net.Socket, cause: Error): void {
    if (sock !== this.socket) return;
    this.socket = null;
    sock.destroy();
    this.discardOutput();
    this.sessionInfo = null;
    for (const p of this.pending.drain()) p.reject(new ConnectionLostError(p.seq, cause));
    const hs = this.handshake;
    if (hs !== null) {
      // connect() or the reconnect loop owns this attempt and decides what follows.
      this.handshake = null;
      hs.reject(cause);
      return;
    }
    if (this.stateValue === 'closing' || this.stateValue === 'closed') {
      this.finish(null);
      return;
    }
    this.emit('disconnected', cause);
    if (this.reconnectPolicy !== null) void this.reconnectLoop();
    else this.finish(cause);
  }

  private finish(cause: Error | null): void {
    if (this.finished) return;
    this.finished = true;
    this.stateValue = 'closed';
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    if (this.closeTimer !== null) clearTimeout(this.closeTimer);
    this.tickTimer = null;
    this.closeTimer = null;
    this.wake();
    for (const w of this.closeWaiters.splice(0)) w();
    this.emit('closed', cause);
  }

  // -------------------------------------------------------------------------------------------
  // Outbound batching

  /** Makes room for `n` more bytes in the output buffer. */
  private reserve(n: number): void {
    if (this.out.length - this.outEnd >= n) return;
    this.flush();
    // The socket keeps a reference to what was flushed: start a fresh buffer rather than reuse.
    this.out = Buffer.allocUnsafe(Math.max(OUT_CHUNK, n));
    this.outStart = 0;
    this.outEnd = 0;
  }

  private commit(n: number): void {
    this.outEnd += n;
    if (!this.flushQueued) {
      this.flushQueued = true;
      process.nextTick(this.flushCb);
    }
  }

  private flush(): void {
    if (this.outEnd === this.outStart) return;
    const sock = this.socket;
    if (sock !== null) {
      sock.write(this.out.subarray(this.outStart, this.outEnd));
      this.lastSentMs = this.clock.now();
    }
    this.outStart = this.outEnd;
  }

  private discardOutput(): void {
    this.outStart = this.outEnd;
  }
}

const U64_MAX = 2n ** 64n - 1n;

/** A 64-bit order id from a decimal string, a bigint or a safe integer; a number when it fits one. */
function toOrderId(v: string | bigint | number): number | bigint {
  let big: bigint;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v <= 0) throw new InvalidRequestError(`orderId must be a positive integer (pass ids above 2^53 as a string or bigint), got ${v}`);
    return v;
  }
  if (typeof v === 'string') {
    if (!/^\d{1,20}$/.test(v)) throw new InvalidRequestError(`orderId must be a decimal integer, got ${JSON.stringify(v)}`);
    big = BigInt(v);
  } else if (typeof v === 'bigint') big = v;
  else throw new InvalidRequestError(`orderId must be a string, bigint or number, got ${typeof v}`);
  if (big <= 0n || big > U64_MAX) throw new InvalidRequestError(`orderId must be in [1, 2^64-1], got ${big}`);
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}
