/**
 * Server-side session rules of the binary protocol, as a pure state machine with no sockets
 * and no timers: login gating, client sequence checks, heartbeat negotiation and the idle /
 * dead-peer clock. The TCP server feeds it decoded messages and the current time; the fake
 * server of the client tests uses it too, so both apply the same rules.
 *
 * Times are milliseconds from any monotonic source the caller chooses.
 */
import { MIN_PROTOCOL_VERSION, MsgType, PROTOCOL_VERSION, ProtocolError, type ClientMessage, type LoginMsg } from './messages.js';

export interface SessionRules {
  /** Interval used when the client asks for 0. */
  defaultHeartbeatMs: number;
  /** Smallest interval granted (requests below are raised to it). */
  minHeartbeatMs: number;
  /** Largest interval granted (requests above are lowered to it). */
  maxHeartbeatMs: number;
  /** The peer is dead after this many intervals without receiving anything from it. */
  missedHeartbeats: number;
  /** A connection that has not sent Login after this long is closed (PROTOCOL_LOGIN_TIMEOUT). */
  loginTimeoutMs: number;
}

export const DEFAULT_SESSION_RULES: Readonly<SessionRules> = Object.freeze({
  defaultHeartbeatMs: 1000,
  minHeartbeatMs: 100,
  maxHeartbeatMs: 60_000,
  missedHeartbeats: 3,
  loginTimeoutMs: 5000,
});

/** Heartbeat interval granted for a requested one (0 = default), clamped to the rules' bounds. */
export function negotiateHeartbeat(requestedMs: number, rules: SessionRules = DEFAULT_SESSION_RULES): number {
  if (requestedMs === 0) return rules.defaultHeartbeatMs;
  return Math.min(rules.maxHeartbeatMs, Math.max(rules.minHeartbeatMs, requestedMs));
}

/**
 * `awaiting-login`: connected, nothing received yet. `authenticating`: a Login arrived and is
 * being verified; the server holds every frame received after it (see
 * {@link ServerSessionGuard.holdsInput}) and processes them once the login is decided.
 * `active`: logged in.
 */
export type SessionState = 'awaiting-login' | 'authenticating' | 'active' | 'closed';

/** What {@link ServerSessionGuard.tick} asks the server to do. */
export type TickAction = 'none' | 'send-heartbeat' | ProtocolError;

/**
 * One connection's session state on the server.
 *
 * Usage: on every decoded message call {@link check}; a ProtocolError means "send Goodbye with
 * its code and message, then close". For a Login that passes, authenticate the token, then call
 * {@link accept} (or {@link close} after LoginRejected). While {@link holdsInput} is true (the
 * token is being verified), decode nothing more: the frames that followed the Login in the same
 * read (or later) wait, in order, and are checked and processed after accept() — or dropped
 * with the connection after a LoginRejected. So a client may pipeline orders right behind its
 * Login, and their fate never depends on whether the token happened to be cached. Call
 * {@link sent} whenever bytes are written, {@link writeBlocked} / {@link writeDrained} when the
 * socket stops / starts taking writes, and {@link tick} periodically.
 *
 * Timeouts: a client that sends nothing for `missedHeartbeats` intervals is dead
 * (PROTOCOL_HEARTBEAT_TIMEOUT). But the server stops reading a client that does not read its
 * answers (TCP flow control: while the socket's buffer is full), so during that time "nothing
 * received" says nothing about the client; the receive clock is suspended, and a client whose
 * answers stay unread for `missedHeartbeats` intervals is a slow consumer
 * (SESSION_SLOW_CONSUMER) instead.
 */
export class ServerSessionGuard {
  private stateValue: SessionState = 'awaiting-login';
  private heartbeat = 0;
  private lastSeq = 0;
  private nextSeq = 1;
  private lastRecvMs: number;
  private lastSentMs: number;
  private readonly openedMs: number;
  /** since when the socket takes no more writes (-1: it does) */
  private blockedSinceMs = -1;

  constructor(
    nowMs: number,
    readonly rules: SessionRules = DEFAULT_SESSION_RULES,
  ) {
    this.openedMs = nowMs;
    this.lastRecvMs = nowMs;
    this.lastSentMs = nowMs;
  }

  get state(): SessionState {
    return this.stateValue;
  }

  /** Heartbeat interval agreed at login (0 before). */
  get heartbeatMs(): number {
    return this.heartbeat;
  }

  /**
   * True while a Login is being verified: the server must not decode (nor check) further frames
   * until {@link accept} or {@link close}.
   */
  get holdsInput(): boolean {
    return this.stateValue === 'authenticating';
  }

  /** Client sequence number of the last NewOrder/Cancel accepted by {@link check} (0 if none). */
  get lastClientSeq(): number {
    return this.lastSeq;
  }

  /**
   * Applies the session rules to one decoded client message received at `nowMs`.
   * Returns null when the message may be processed, or the violation that ends the session.
   * A Login that passes still needs authentication; its version is checked by {@link loginProblem}.
   */
  check(msg: ClientMessage, nowMs: number): ProtocolError | null {
    this.lastRecvMs = nowMs;
    if (this.stateValue === 'closed') return new ProtocolError('PROTOCOL_NOT_LOGGED_IN', 'session is closed');
    if (this.stateValue === 'awaiting-login') {
      if (msg.type !== MsgType.Login) {
        return new ProtocolError('PROTOCOL_NOT_LOGGED_IN', `${MsgType[msg.type]} before Login`);
      }
      this.stateValue = 'authenticating';
      return null;
    }
    if (this.stateValue === 'authenticating') {
      // Only a server that ignores holdsInput gets here.
      return new ProtocolError('PROTOCOL_NOT_LOGGED_IN', `${MsgType[msg.type]} before LoginAccepted`);
    }
    switch (msg.type) {
      case MsgType.Login:
        return new ProtocolError('PROTOCOL_ALREADY_LOGGED_IN', 'Login on a session already logged in');
      case MsgType.NewOrder:
      case MsgType.Cancel:
        if (msg.clientSeq <= this.lastSeq || msg.clientSeq < this.nextSeq) {
          return new ProtocolError(
            'PROTOCOL_SEQ_NOT_INCREASING',
            `clientSeq ${msg.clientSeq} is not greater than ${Math.max(this.lastSeq, this.nextSeq - 1)}`,
          );
        }
        this.lastSeq = msg.clientSeq;
        return null;
      case MsgType.Heartbeat:
      case MsgType.Logout:
        return null;
    }
  }

  /**
   * Problem with a Login's protocol version, answered with LoginRejected (not Goodbye), or null.
   */
  loginProblem(msg: LoginMsg): ProtocolError | null {
    if (msg.version < MIN_PROTOCOL_VERSION || msg.version > PROTOCOL_VERSION) {
      return new ProtocolError(
        'PROTOCOL_UNSUPPORTED_VERSION',
        `protocol version ${msg.version} not supported (server speaks ${MIN_PROTOCOL_VERSION} to ${PROTOCOL_VERSION})`,
      );
    }
    return null;
  }

  /**
   * Marks the session logged in after a successful authentication; returns the LoginAccepted
   * fields (besides the session id). `nextClientSeq` lets a server resume a sequence; fresh
   * connections start at 1.
   */
  accept(login: LoginMsg, nextClientSeq = 1): { heartbeatMs: number; nextClientSeq: number } {
    this.stateValue = 'active';
    this.heartbeat = negotiateHeartbeat(login.heartbeatMs, this.rules);
    this.nextSeq = nextClientSeq;
    this.lastSeq = nextClientSeq - 1;
    return { heartbeatMs: this.heartbeat, nextClientSeq };
  }

  /** Records that bytes were written to the client at `nowMs` (resets the idle clock). */
  sent(nowMs: number): void {
    this.lastSentMs = nowMs;
  }

  /** Records that bytes were received at `nowMs` without a complete message (optional). */
  received(nowMs: number): void {
    this.lastRecvMs = nowMs;
  }

  /**
   * The socket took no more writes at `nowMs` (its buffer is full: the client is not reading);
   * the server stops reading the client until {@link writeDrained}. Repeated calls keep the
   * first time.
   */
  writeBlocked(nowMs: number): void {
    if (this.blockedSinceMs < 0) this.blockedSinceMs = nowMs;
  }

  /**
   * The client has read what was waiting (`drain` at `nowMs`); the server reads again. The
   * receive clock restarts here: nothing could be received while the server was not reading.
   */
  writeDrained(nowMs: number): void {
    this.blockedSinceMs = -1;
    if (nowMs > this.lastRecvMs) this.lastRecvMs = nowMs;
  }

  /** Marks the session over (after LoginRejected or Goodbye); later messages are violations. */
  close(): void {
    this.stateValue = 'closed';
  }

  /**
   * Time-driven duties at `nowMs`: a login timeout, a dead client or a slow consumer
   * (ProtocolError to send as Goodbye), a heartbeat due because nothing was sent for one
   * interval, or nothing.
   */
  tick(nowMs: number): TickAction {
    if (this.stateValue === 'awaiting-login' || this.stateValue === 'authenticating') {
      if (nowMs - this.openedMs >= this.rules.loginTimeoutMs) {
        return new ProtocolError('PROTOCOL_LOGIN_TIMEOUT', `no Login within ${this.rules.loginTimeoutMs} ms`);
      }
      return 'none';
    }
    if (this.stateValue === 'closed') return 'none';
    const deadAfter = this.heartbeat * this.rules.missedHeartbeats;
    if (this.blockedSinceMs >= 0) {
      // Not reading the client (it does not read us): no heartbeat timeout, and no heartbeat
      // either (it would only wait behind the unread answers).
      if (nowMs - this.blockedSinceMs >= deadAfter) {
        return new ProtocolError('SESSION_SLOW_CONSUMER', `answers unread for ${Math.round(nowMs - this.blockedSinceMs)} ms`);
      }
      return 'none';
    }
    if (nowMs - this.lastRecvMs >= deadAfter) {
      return new ProtocolError('PROTOCOL_HEARTBEAT_TIMEOUT', `nothing received for ${nowMs - this.lastRecvMs} ms`);
    }
    if (nowMs - this.lastSentMs >= this.heartbeat) return 'send-heartbeat';
    return 'none';
  }
}
