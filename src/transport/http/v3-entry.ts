/**
 * `POST /v3/orders`, independent of how the request arrived: from the authorization header, the
 * Idempotency-Key header and the body to the status and JSON body of the answer. Both HTTP
 * front ends use it — the node:http server and the fast lane (fast-lane.ts) — so they answer
 * byte for byte the same and share one idempotency window.
 *
 * The caller resolves the token first (Authenticator.resolve: synchronous when cached); the
 * answer is then computed synchronously.
 */
import type { Logger } from 'pino';
import { AuthFailure, type Principal } from '../../auth/authenticator.js';
import { ContractViolation, parseOrderRequest } from '../../contract/order-request.js';
import type { Reason } from '../../contract/reasons.js';
import { DecimalFormatter } from '../../lib/decimal.js';
import type { FastPath } from '../../fastpath/fast-path.js';
import { CONFLICT, IdempotencyWindow, MISS } from '../../fastpath/idempotency-window.js';
import { errorBody, isAscii, rejectBodyOpen } from './respond.js';
import { httpStatus, statusWord } from './status.js';
import type { HttpCounters, HttpStages } from './counters.js';

/** One answer. `ascii` bodies may be measured with `.length`; others need a byte count. */
export interface V3Reply {
  status: number;
  body: string;
  ascii: boolean;
  /** an idempotent replay: the answer carries `idempotent-replayed: true` */
  replayed: boolean;
}

export interface V3EntryDeps {
  log: Logger;
  fastPath: FastPath;
  stages: HttpStages;
  counters: HttpCounters;
  idempotencyWindow: number;
}

const nsText = new DecimalFormatter();

/**
 * The 202 body of an accepted /v3 order; `attemptId` is the original's (`att_<sessionSeq>`). The
 * sequence number is formatted once and used twice (bench:v3 figures in BENCHMARKS.md).
 */
export function acceptBody(sessionIdJson: string, sessionSeq: number, orderId: string, receivedAtNs: number): string {
  const seq = '' + sessionSeq;
  return (
    '{"status":"VOLATILE_ACCEPT","sessionId":' +
    sessionIdJson +
    ',"sessionSeq":' +
    seq +
    ',"attemptId":"att_' +
    seq +
    '","orderId":"' +
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
   * Answers a request whose token has been checked; `t0` is performance.now() when the request
   * arrived. The answer is valid until the next call (callers write it out at once).
   */
  answer(auth: Principal | AuthFailure, key: string | undefined, body: string, t0: number): V3Reply {
    return this.authed(auth, key, body, t0, this.reply);
  }

  /** As {@link answer}; `null` (the token could not be checked) is a 500. */
  answerOrFail(auth: Principal | AuthFailure | null, key: string | undefined, body: string, t0: number): V3Reply {
    if (auth !== null) return this.authed(auth, key, body, t0, this.reply);
    const r = this.reply;
    r.status = 500;
    r.body = errorBody('INTERNAL_ERROR');
    r.ascii = true;
    r.replayed = false;
    return r;
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
      return this.reject(r, auth, t0, tLive, order.status, 'REJECTED', order.reason, order.message);
    }

    // Idempotency-Key: the original answer for a replay within the window
    if (key === '') key = undefined;
    if (key !== undefined) {
      const i = this.idem;
      const slot = i.lookup(auth.accountId, key, body);
      if (slot === CONFLICT) {
        this.d.counters.idempotencyConflicts++;
        fp.reject('IDEMPOTENCY_KEY_REUSED');
        return this.reject(r, auth, t0, tLive, 409, 'REJECTED', 'IDEMPOTENCY_KEY_REUSED');
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
      return this.reject(r, auth, t0, tLive, httpStatus(reason), statusWord(reason), reason);
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

  /**
   * A reject after authentication: the prebuilt `{"status","reason","message"` text, then the
   * original's `sessionId` and `receivedAtNs` (monotonic ns of the request's arrival).
   */
  private reject(r: V3Reply, auth: Principal, t0: number, tLive: number, status: number, word: string, reason: Reason, message?: string): V3Reply {
    if (status < 500) this.d.log.debug({ status, reason, message }, 'order rejected');
    r.status = status;
    r.body = rejectBodyOpen(word, reason, message) + ',"sessionId":' + auth.sessionIdJson + ',"receivedAtNs":' + nsText.format(Math.round(t0 * 1e6)) + '}';
    // A contract message can quote a field name from the body, which may be any text.
    r.ascii = message === undefined || isAscii(r.body);
    const t = performance.now();
    this.d.stages.v3LiveAck.since(tLive, t);
    this.d.stages.ack.since(t0, t);
    return r;
  }
}
