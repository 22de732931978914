/**
 * The durable path's answers, as HTTP: the bodies of accepted orders, replays, cancels and reads,
 * written to the request's answer sink once the records they depend on are durable (the durable
 * service calls back, see durable/service.ts). One object, made in the composition root before
 * the service, so nothing is wired after construction.
 */
import { OrdType, Side, TIF_NAMES } from '../../contract/order.js';
import type { Reason } from '../../contract/reasons.js';
import { AnswerKind, type DurableResponder } from '../../durable/types.js';
import { DecimalFormatter } from '../../lib/decimal.js';
import type { LatencyHistogram } from '../../lib/latency.js';
import { EventType, type Order, venueOf } from '../../orders/order.js';
import type { LiveOrder } from '../../execution/live-order.js';
import type { AnswerSink } from './answer.js';
import { errorBody, rejectBody } from './respond.js';

/** Counters of the durable path's HTTP side (metrics). */
export class OrdersHttpCounters {
  authFailures = 0;
  badRequests = 0;
  replays = 0;
}

const seqText = new DecimalFormatter();

/** The 202 body of an accepted order (also the replay body). */
export function ackBody(o: Order, durable: boolean): string {
  const coid = o.clientOrderId;
  const n = seqText.format(o.acceptSeq);
  return (
    '{"orderId":"' + o.orderId +
    '","clientOrderId":' + (coid === null ? 'null' : JSON.stringify(coid)) +
    ',"status":"ACCEPTED","acceptSeq":' + n +
    ',"requestId":"req_' + n + (durable ? '"}' : '","durable":false}')
  );
}

/** The order as `GET /orders/{id}` shows it (with its venue, fills and average price once routed). */
export function orderJson(o: Order): string {
  const r = o.request;
  return (
    '{"orderId":"' + o.orderId +
    '","accountId":' + JSON.stringify(o.accountId) +
    ',"clientOrderId":' + (r.clientOrderId === null ? 'null' : JSON.stringify(r.clientOrderId)) +
    ',"symbol":' + JSON.stringify(r.symbol) +
    ',"side":"' + (r.side === Side.Buy ? 'BUY' : 'SELL') +
    '","type":"' + (r.type === OrdType.Limit ? 'LIMIT' : 'MARKET') +
    '","qty":' + r.qty +
    ',"price":' + (r.type === OrdType.Market ? 'null' : r.price) +
    ',"timeInForce":"' + TIF_NAMES[r.timeInForce] +
    '","expireAt":' + (r.expireAt === 0 ? 'null' : r.expireAt) +
    ',"status":"' + o.status +
    '","filledQty":' + o.filledQty +
    ',"acceptedAt":' + o.acceptedAt +
    ',"lastUpdateAt":' + o.lastUpdateAt +
    ',"acceptSeq":' + o.acceptSeq +
    (o.later === null ? '}' : venuePart(o) + '}')
  );
}

/** `,"venue":...,"avgPx":...,"fills":[...]` from an order's venue events ('' when it has none). */
function venuePart(o: Order): string {
  let venue: string | null = null;
  let fills = '';
  let notional = 0;
  for (const e of o.later!) {
    if (e.type === EventType.OrderSent) venue = venueOf(e.data);
    else if (e.type === EventType.ExecutionReport && e.data !== null) {
      const d = JSON.parse(e.data) as { execId: string; lastQty: number; lastPx: number; venue: string };
      if (d.lastQty > 0) {
        notional += d.lastQty * d.lastPx;
        fills += (fills === '' ? '' : ',') + JSON.stringify({ execId: d.execId, qty: d.lastQty, px: d.lastPx, at: e.at, venue: d.venue });
      }
    }
  }
  if (venue === null) return '';
  return ',"venue":' + JSON.stringify(venue) + ',"avgPx":' + (o.filledQty === 0 ? 0 : Math.round((notional / o.filledQty) * 1e6) / 1e6) + ',"fills":[' + fills + ']';
}

/** A /v3 or binary TCP order at a venue, as `GET /orders/{id}` shows it. */
export function liveOrderJson(o: LiveOrder): string {
  const r = o.request;
  return JSON.stringify({
    orderId: o.orderId,
    accountId: o.accountId,
    clientOrderId: r.clientOrderId,
    symbol: r.symbol,
    side: r.side === Side.Buy ? 'BUY' : 'SELL',
    type: r.type === OrdType.Limit ? 'LIMIT' : 'MARKET',
    qty: r.qty,
    price: r.type === OrdType.Market ? null : r.price,
    timeInForce: TIF_NAMES[r.timeInForce],
    expireAt: r.expireAt === 0 ? null : r.expireAt,
    status: o.status,
    filledQty: o.cumQty,
    sessionId: o.sessionId === '' ? null : o.sessionId,
    venue: o.venue,
    avgPx: Math.round(o.avgPx * 1e6) / 1e6,
    fills: o.fills ?? [],
  });
}

export class DurableAnswers implements DurableResponder<AnswerSink> {
  readonly counters = new OrdersHttpCounters();

  constructor(
    /** every order-route answer, all outcomes (gateway_ack_*) */
    private readonly ack: LatencyHistogram,
    /** journal records are fdatasynced: acknowledgements carry no `"durable":false` */
    private readonly fsync: boolean,
  ) {}

  answer(kind: AnswerKind, sink: AnswerSink, o: Order, t0: number): void {
    switch (kind) {
      case AnswerKind.Accepted:
        sink.send(202, ackBody(o, this.fsync), true, false);
        this.ack.since(t0, performance.now());
        return;
      case AnswerKind.Replay:
        this.counters.replays++;
        sink.send(202, ackBody(o, this.fsync), true, true); // clientOrderIds are printable ASCII
        this.ack.since(t0, performance.now());
        return;
      case AnswerKind.Cancel:
        sink.send(202, '{"orderId":"' + o.orderId + '","clientOrderId":' + (o.clientOrderId === null ? 'null' : JSON.stringify(o.clientOrderId)) + ',"status":"' + o.status + '"}', true, false);
        return;
      case AnswerKind.CancelFinal:
        sink.send(
          409,
          JSON.stringify({ status: 'REJECTED', reason: 'ORDER_FINAL', message: 'the order is in a final state', orderId: o.orderId, orderStatus: o.status }),
          true,
          false,
        );
        return;
      case AnswerKind.Read:
        sink.send(200, orderJson(o), true, false);
        return;
    }
  }

  fail(kind: AnswerKind, sink: AnswerSink, o: Order, t0: number, reason: Reason): void {
    if (kind === AnswerKind.Read && o.rolledBack) return sink.send(404, errorBody('NOT_FOUND'), true, false);
    sink.send(500, rejectBody('REJECTED', reason), true, false);
    if (kind === AnswerKind.Accepted || kind === AnswerKind.Replay) this.ack.since(t0, performance.now());
  }
}
