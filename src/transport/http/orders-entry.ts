/**
 * `POST /orders`, independent of how the request arrived (node:http or the fast lane): from the
 * authorization header, Idempotency-Key and body to a durable-service call whose answer goes to
 * the request's {@link AnswerSink} — at once for a reject, once the journal has it otherwise
 * (durable-answers.ts writes those).
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { type Authenticator, AuthFailure, type Principal } from '../../auth/authenticator.js';
import { ContractViolation, parseOrderRequest } from '../../contract/order-request.js';
import type { Reason } from '../../contract/reasons.js';
import type { DurableOrders } from '../../durable/service.js';
import type { LatencyHistogram } from '../../lib/latency.js';
import { type AnswerSink, NodeAnswer } from './answer.js';
import { type BodyRequest, header, OVERSIZE } from './body.js';
import type { OrdersHttpCounters } from './durable-answers.js';
import type { OrdersLaneEndpoint } from './fast-lane.js';
import { errorBody, isAscii, rejectBody } from './respond.js';
import { httpStatus, statusWord } from './status.js';

const KEY_RE = /^[\x20-\x7e]{1,128}$/;

export interface OrdersEntryDeps {
  log: Logger;
  auth: Authenticator;
  svc: DurableOrders<AnswerSink>;
  counters: OrdersHttpCounters;
  /** every order-route answer, all outcomes (gateway_ack_*) */
  ack: LatencyHistogram;
}

/** A node:http request waiting for its token. */
interface Pending {
  entry: OrdersEntry;
  key: string | undefined;
  body: string;
  t0: number;
  sink: AnswerSink;
}

function onPrincipal(p: Principal | AuthFailure | null, r: Pending): void {
  if (p === null) return r.sink.send(500, errorBody('INTERNAL_ERROR'), true, false);
  r.entry.handle(p, r.key, r.body, r.t0, r.sink);
}

export class OrdersEntry implements OrdersLaneEndpoint {
  constructor(private readonly d: OrdersEntryDeps) {}

  /** node:http: the body has been read (`req._sy_t0` is when the request arrived). */
  readonly onBody = (req: BodyRequest, res: ServerResponse, body: string): void => {
    const t0 = req._sy_t0;
    const sink = new NodeAnswer(res);
    if (body === OVERSIZE) {
      res.shouldKeepAlive = false;
      return this.badRequest(sink, 413, 'PAYLOAD_TOO_LARGE', undefined, t0);
    }
    const r: Pending = { entry: this, key: header(req, 'idempotency-key'), body, t0, sink };
    const p = this.d.auth.resolve(header(req, 'authorization'), onPrincipal, r);
    if (p !== undefined) onPrincipal(p, r);
  };

  /** A request whose token has been checked; the answer goes to `sink`. */
  handle(auth: Principal | AuthFailure, key: string | undefined, body: string, t0: number, sink: AnswerSink): void {
    if (auth instanceof AuthFailure) {
      this.d.counters.authFailures++;
      sink.send(401, errorBody(auth.error), true, false);
      this.d.ack.since(t0, performance.now());
      return;
    }
    const order = parseOrderRequest(body);
    if (order instanceof ContractViolation) return this.badRequest(sink, order.status, order.reason, order.message, t0);

    if (key !== undefined) {
      key = key.trim();
      if (key === '') key = undefined;
      else if (!KEY_RE.test(key)) return this.badRequest(sink, 400, 'INVALID_IDEMPOTENCY_KEY', undefined, t0);
    }
    if (key === undefined || key === order.clientOrderId) {
      // (the same string object as the clientOrderId: an order keeps one copy)
      if (order.clientOrderId === null) return this.badRequest(sink, 400, 'IDEMPOTENCY_REQUIRED', undefined, t0);
      key = order.clientOrderId;
    }

    const reason = this.d.svc.submit(auth.accountId, key, order, sink, t0);
    if (reason === null) return;
    const status = httpStatus(reason);
    if (status >= 500) this.d.log.warn({ status, reason }, 'order refused');
    else this.d.log.debug({ status, reason }, 'order rejected');
    sink.send(status, rejectBody(statusWord(reason), reason), true, false);
    this.d.ack.since(t0, performance.now());
  }

  badRequest(sink: AnswerSink, status: number, reason: Reason, message: string | undefined, t0: number): void {
    this.d.counters.badRequests++;
    this.d.log.debug({ status, reason, message }, 'order rejected');
    const body = rejectBody('REJECTED', reason, message);
    sink.send(status, body, message === undefined || isAscii(body), false);
    this.d.ack.since(t0, performance.now());
  }
}
