/**
 * What the HTTP transport counts and times (read by metrics at scrape time). Event-loop thread
 * only; every field has one writer, the transport.
 */
import type { LatencyHistogram } from '../../lib/latency.js';

export interface HttpStages {
  /** every order-route answer after the request arrived, all outcomes */
  ack: LatencyHistogram;
  /** /v3 answers given after authentication, all outcomes */
  v3LiveAck: LatencyHistogram;
  /** /v3 accepted answers only */
  v3LiveAckAccepted: LatencyHistogram;
  parse: LatencyHistogram;
  serialize: LatencyHistogram;
}

export class HttpCounters {
  requests = 0;
  authFailures = 0;
  badRequests = 0;
  idempotentReplays = 0;
  idempotencyConflicts = 0;
  protocolErrors = 0;
}
