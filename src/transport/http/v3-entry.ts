/**
 * `POST /v3/orders`, independent of how the request arrived: from the authorization header, the
 * Idempotency-Key header and the body to the status and JSON body of the answer. Both HTTP
 * front ends use it — the node:http server and the fast lane (fast-lane.ts) — so they answer
 * byte for byte the same and share one idempotency window.
 *
 * The answer is synchronous whenever the bearer token is in the verified-token cache (every
 * request after a session's first). Otherwise the token is verified asynchronously and the
 * answer is handed to a callback.
 */
import type { Logger } from 'pino';
import { type Authenticator, AuthFailure, type Principal } from '../../auth/authenticator.js';
import { ContractViolation, parseOrderRequest } from '../../contract/order-request.js';
import type { Reason } from '../../contract/reasons.js';
import { DecimalFormatter } from '../../fastpath/decimal.js';
import { type FastPath, statusOf } from '../../fastpath/fast-path.js';
import { CONFLICT, IdempotencyWindow, MISS } from '../../fastpath/idempotency-window.js';
import { errorBody, isAscii, rejectBody } from './respond.js';
import type { HttpCounters, HttpStages } from './server.js';

/** One answer. `ascii` bodies may be measured with `.length`; others need a byte count. */
export interface V3Reply {
  status: number;
  body: string;
  ascii: boolean;
  /** an idempotent replay: the answer carries `idempotent-replayed: true` */
  replayed: boolean;
}

/** Called with the answer when the token had to be verified first; `ctx` is the caller's. */
export type V3Later<C> = (reply: V3Reply, ctx: C) => void;

export interface V3EntryDeps {
  log: Logger;
  auth: Authenticator;
  fastPath: FastPath;
  stages: HttpStages;
  counters: HttpCounters;
  idempotencyWindow: number;
}

const nsText = new DecimalFormatter();

/** The 202 body of an accepted /v3 order. */
export function acceptBody(sessionIdJson: string, sessionSeq: number, orderId: string, receivedAtNs: number): string {
  return (
    '{"status":"VOLATILE_ACCEPT","sessionId":' +
    sessionIdJson +
    ',"sessionSeq":' +
    sessionSeq +
    ',"orderId":"' +
    orderId +
    '","receivedAtNs":' +
    nsText.format(receivedAtNs) +
    '}'
  );
}

export class V3OrderEntry {
  readonly idem: IdempotencyWindow;
  /** The synchronous answer; valid until the next call (callers write it out at once). */
  private readonly reply: V3Reply = { status: 0, body: '', ascii: true, replayed: false };

  constructor(private readonly d: V3EntryDeps) {
    this.idem = new IdempotencyWindow(d.idempotencyWindow);
  }

  /**
   * Answers one request whose body has been read. `t0` is performance.now() when the request
   * arrived. Returns the answer, or undefined when the token must be verified first: `later`
   * then gets the answer (with `ctx`), exactly once.
   */
  handle<C>(authorization: string | undefined, key: string | undefined, body: string, t0: number, later: V3Later<C>, ctx: C): V3Reply | undefined {
    const auth = this.d.auth.cached(authorization);
    if (auth !== undefined) return this.authed(auth, key, body, t0, this.reply);
    this.d.auth.verify(authorization).then(
      (p) => later(this.authed(p, key, body, t0, { status: 0, body: '', ascii: true, replayed: false }), ctx),
      (err: unknown) => {
        this.d.log.error({ err }, 'token verification failed unexpectedly');
        later({ status: 500, body: errorBody('INTERNAL_ERROR'), ascii: true, replayed: false }, ctx);
      },
    );
    return undefined;
  }

  /** Answers a request whose token has been checked (the answer is valid until the next call). */
  answer(auth: Principal | AuthFailure, key: string | undefined, body: string, t0: number): V3Reply {
    return this.authed(auth, key, body, t0, this.reply);
  }

  private authed(auth: Principal | AuthFailure, key: string | undefined, body: string, t0: number, r: V3Reply): V3Reply {
    const st = this.d.stages;
    r.replayed = false;
    r.ascii = true;
    if (auth instanceof AuthFailure) {
      this.d.counters.authFailures++;
      this.d.log.debug({ error: auth.error }, 'authentication failed');
      r.status = 401;
      r.body = errorBody(auth.error);
      st.ack.since(t0, performance.now());
      return r;
    }
    const tLive = performance.now();
    const fp = this.d.fastPath;

    // parse: JSON syntax, then the order_request_v1 contract (duplicate fields included)
    const order = parseOrderRequest(body);
    const tParsed = performance.now();
    st.parse.since(tLive, tParsed);
    if (order instanceof ContractViolation) {
      fp.reject(order.reason);
      return this.reject(r, t0, tLive, order.status, 'REJECTED', order.reason, order.message);
    }

    // Idempotency-Key: the original answer for a replay within the window
    if (key === '') key = undefined;
    if (key !== undefined) {
      const i = this.idem;
      const slot = i.lookup(auth.accountId, key, body);
      if (slot === CONFLICT) {
        this.d.counters.idempotencyConflicts++;
        fp.reject('IDEMPOTENCY_KEY_REUSED');
        return this.reject(r, t0, tLive, 409, 'REJECTED', 'IDEMPOTENCY_KEY_REUSED');
      }
      if (slot !== MISS) {
        this.d.counters.idempotentReplays++;
        r.status = 202;
        r.body = acceptBody(i.sessionIdJson(slot), i.sessionSeq(slot), fp.orderId(i.orderNo(slot)), i.receivedAtNs(slot));
        r.replayed = true;
        return r;
      }
    }

    const reason = fp.submit(auth.accountId, fp.session(auth.sessionId), order);
    if (reason !== null) {
      const status = statusOf(reason);
      return this.reject(r, t0, tLive, status, status === 503 ? 'KILLED' : reason === 'V3_BACKPRESSURE_SOFT' ? 'SOFT_REJECT' : 'REJECTED', reason);
    }

    const tSer = performance.now();
    r.status = 202;
    r.body = acceptBody(auth.sessionIdJson, fp.lastSessionSeq, fp.orderId(fp.lastOrderNo), fp.lastReceivedAtNs);
    const tDone = performance.now();
    st.serialize.since(tSer, tDone);
    if (key !== undefined) this.idem.remember(auth.accountId, key, body, auth.sessionIdJson, fp.lastSessionSeq, fp.lastOrderNo, fp.lastReceivedAtNs);
    st.v3LiveAckAccepted.since(tLive, tDone);
    st.v3LiveAck.since(tLive, tDone);
    st.ack.since(t0, tDone);
    return r;
  }

  private reject(r: V3Reply, t0: number, tLive: number, status: number, word: string, reason: Reason, message?: string): V3Reply {
    if (status < 500) this.d.log.debug({ status, reason, message }, 'order rejected');
    r.status = status;
    r.body = rejectBody(word, reason, message);
    // A contract message can quote a field name from the body, which may be any text.
    r.ascii = message === undefined || isAscii(r.body);
    const t = performance.now();
    this.d.stages.v3LiveAck.since(tLive, t);
    this.d.stages.ack.since(t0, t);
    return r;
  }
}
