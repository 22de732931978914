/**
 * The gateway's metric catalogue: every name the original gateway exported for the parts that
 * exist here, read at scrape time from the components that own the state.
 */
import type { GatewayConfig } from '../config/config.js';
import { REASONS, type Reason } from '../contract/reasons.js';
import type { FastPath } from '../fastpath/fast-path.js';
import type { HttpStages } from '../transport/http/counters.js';
import type { HttpTransport } from '../transport/http/server.js';
import type { TcpTransport } from '../transport/tcp/server.js';
import type { Authenticator } from '../auth/authenticator.js';
import { LatencyHistogram } from '../lib/latency.js';
import type { MetricsRegistry } from './registry.js';

/** Per-stage timers of the volatile path. */
export class StageTimers implements HttpStages {
  readonly ack = new LatencyHistogram();
  readonly v3LiveAck = new LatencyHistogram();
  readonly v3LiveAckAccepted = new LatencyHistogram();
  readonly parse = new LatencyHistogram();
  readonly serialize = new LatencyHistogram();
  readonly risk = new LatencyHistogram();
  readonly riskLimits = new LatencyHistogram();
  readonly riskPosition = new LatencyHistogram();
  readonly riskMargin = new LatencyHistogram();
  readonly enqueue = new LatencyHistogram();
  readonly tcpAck = new LatencyHistogram();
  /** /v3: received → durable in its shard journal (shipped by the drain workers) */
  readonly confirm = new LatencyHistogram();

  reset(): void {
    for (const h of Object.values(this)) if (h instanceof LatencyHistogram) h.reset();
  }
}

const sumReasons = (fp: FastPath, reasons: Reason[]) => () => reasons.reduce((n, r) => n + fp.counters.byReason[REASONS[r]]!, 0);

export function registerGatewayMetrics(
  m: MetricsRegistry,
  cfg: GatewayConfig,
  fp: FastPath,
  st: StageTimers,
  http: HttpTransport,
  auth: Authenticator,
  drainWorkers: () => number,
  tcp: TcpTransport,
): void {
  const c = fp.counters;
  const f = cfg.fastPath;
  const r = cfg.risk;

  // --- queue / fast path ------------------------------------------------------------------
  m.gauge('gateway_queue_len', 'Orders waiting in the ingress queues', () => fp.totalDepth());
  m.counter('gateway_v3_accepted_total', '/v3 orders acknowledged VOLATILE_ACCEPT', () => c.accepted);
  m.counter('gateway_v3_rejected_soft_total', '/v3 orders refused by the soft watermark (429)', () => c.softRejected);
  m.counter('gateway_v3_rejected_hard_total', '/v3 orders refused by the hard watermark (503 V3_BACKPRESSURE_HARD)', () => c.hardRejected);
  m.counter('gateway_v3_rejected_killed_total', '/v3 orders refused by the kill switch or a full/closed queue (503)', () => c.killed);
  m.counter('gateway_v3_rejected_risk_total', '/v3 orders refused by contract or pre-trade risk checks (422/429)', () => c.riskRejected);
  m.gauge('gateway_v3_queue_depth', 'Orders in the /v3 ingress queues (all shards)', () => fp.totalDepth());
  m.gauge('gateway_v3_queue_capacity', 'Capacity of the /v3 ingress queues (all shards)', () => f.ingressCapacity * f.shardCount);
  m.gauge('gateway_v3_queue_utilization_pct', 'Highest ingress queue utilisation over shards (percent)', () => fp.maxUtilisation());
  m.gauge('gateway_v3_soft_reject_pct', 'Soft watermark (percent)', () => f.softRejectPct);
  m.gauge('gateway_v3_kill_reject_pct', 'Kill watermark (percent)', () => f.killRejectPct);
  m.gauge('gateway_v3_hard_reject_pct', 'Hard watermark (percent; 0 = no hard tier, V3_HARD_REJECT_PCT unset)', () => f.hardRejectPct);
  m.gauge('gateway_v3_kill_switch', '1 while any kill switch blocks new orders (global, account, session or shard)', () => (fp.kill.engaged ? 1 : 0));
  m.gauge('gateway_v3_global_kill_switch', '1 while the global kill switch is on', () => (fp.kill.global !== null ? 1 : 0));
  m.gauge('gateway_v3_shard_kill_switches', 'Shards whose kill switch is on', () => fp.kill.killedShardCount());
  m.gauge('gateway_v3_account_kill_switches', 'Accounts whose kill switch is on', () => fp.kill.accounts.size);
  m.gauge('gateway_v3_session_kill_switches', 'Sessions whose kill switch is on', () => fp.kill.sessions.size);
  m.counter('gateway_v3_shard_killed_total', 'Times a shard kill switch was raised', () => fp.kill.shardKilledTotal);
  m.counter('gateway_v3_kill_recovered_total', 'Times a shard kill switch was lifted by auto-recovery', () => fp.kill.recoveredTotal);
  m.counter('gateway_v3_processed_total', 'Orders taken off the ingress queues by drain workers', () => fp.processed());
  m.gauge('gateway_v3_accepted_rate', 'accepted / (accepted + soft + killed) since start', () => {
    const d = c.accepted + c.softRejected + c.killed;
    return d === 0 ? 0 : c.accepted / d;
  });
  m.gauge('gateway_v3_shard_count', 'Ingress shards', () => f.shardCount);
  m.gauge('gateway_drain_workers', 'Drain worker threads running', drainWorkers);
  m.gauge('gateway_v3_sessions', 'Sessions seen since start', () => fp.sessionCount);
  m.counter('gateway_v3_idempotent_replays_total', 'Replays answered from the Idempotency-Key window', () => http.counters.idempotentReplays);
  m.counter('gateway_v3_idempotency_conflicts_total', 'Idempotency-Key reused with a different body (409)', () => http.counters.idempotencyConflicts);
  m.gauge('gateway_v3_idempotency_window_entries', 'Entries in the /v3 Idempotency-Key window', () => http.idempotencyEntries);

  // --- rejects ------------------------------------------------------------------------------
  m.counter('gateway_reject_invalid_qty_total', 'Rejects INVALID_QTY, INVALID_SIDE, INVALID_PRICE, INVALID_TYPE', sumReasons(fp, ['INVALID_QTY', 'INVALID_SIDE', 'INVALID_PRICE', 'INVALID_TYPE']));
  m.counter('gateway_reject_invalid_symbol_total', 'Rejects INVALID_SYMBOL', sumReasons(fp, ['INVALID_SYMBOL']));
  m.counter('gateway_reject_rate_limit_total', 'Rejects RATE_LIMITED', sumReasons(fp, ['RATE_LIMITED']));
  m.counter('gateway_reject_risk_total', 'Rejects by pre-trade risk limits', sumReasons(fp, ['RISK_REJECT', 'SYMBOL_RESTRICTED', 'PRICE_COLLAR', 'POSITION_LIMIT', 'CREDIT_LIMIT', 'DAILY_NOTIONAL_LIMIT', 'DUPLICATE_CLIENT_ORDER_ID']));
  m.counter('gateway_reject_queue_full_total', 'Rejects because an ingress queue was full', sumReasons(fp, ['V3_QUEUE_FULL']));
  m.family('gateway_reject_total', 'Order rejects by stable reason code', 'counter', () =>
    (Object.keys(REASONS) as Reason[]).map((reason) => [{ reason }, c.byReason[REASONS[reason]]!] as [Record<string, string>, number]).filter(([, v]) => v > 0),
  );
  m.counter('gateway_http_requests_total', 'HTTP requests received', () => http.counters.requests);
  m.counter('gateway_http_fast_lane_requests_total', 'HTTP requests answered by the fast lane (POST /v3/orders off the socket)', () => http.fastLane?.answered ?? 0);
  m.counter('gateway_http_fast_lane_handoffs_total', 'Connections the fast lane handed to node:http (a request it does not handle)', () => http.fastLane?.handedOff ?? 0);
  m.gauge('gateway_http_fast_lane_connections', 'Open connections served by the fast lane', () => http.fastLane?.connections ?? 0);
  m.counter('gateway_http_bad_requests_total', 'HTTP requests refused before reaching an order route (413/415)', () => http.counters.badRequests);
  m.counter('gateway_auth_failures_total', 'Requests refused with 401', () => http.counters.authFailures);
  m.gauge('gateway_jwt_cache_entries', 'Verified tokens cached', () => auth.cacheSize);

  // --- latency ------------------------------------------------------------------------------
  m.percentiles('gateway_ack', 'Order acknowledgement time in the handler, all outcomes', st.ack, [
    ['p50', 50],
    ['p99', 99],
    ['p999', 99.9],
  ]);
  // The original's engine figures: here the fast path's risk stage (TCP and /v3).
  m.percentiles('gateway_fast_path_processing', 'Fast path risk stage', st.risk, [
    ['p50', 50],
    ['p99', 99],
    ['p999', 99.9],
  ]);
  m.gauge('gateway_latency_mean_ns', 'Fast path risk stage mean (ns)', () => Math.round(st.risk.meanNs));
  m.gauge('gateway_latency_p95_ns', 'Fast path risk stage p95 (ns)', () => st.risk.percentileNs(95));
  m.gauge('gateway_latency_p999_ns', 'Fast path risk stage p99.9 (ns)', () => st.risk.percentileNs(99.9));
  m.percentiles('gateway_live_ack', '/v3 acknowledgement time after authentication, all outcomes', st.v3LiveAck);
  m.percentiles('gateway_v3_live_ack', '/v3 acknowledgement time after authentication, all outcomes', st.v3LiveAck);
  m.percentiles('gateway_live_ack_accepted', '/v3 acknowledgement time after authentication, accepted only', st.v3LiveAckAccepted);
  m.percentiles('gateway_v3_live_ack_accepted', '/v3 acknowledgement time after authentication, accepted only', st.v3LiveAckAccepted);
  const stages: Array<[string, LatencyHistogram]> = [
    ['parse', st.parse],
    ['risk', st.risk],
    ['risk_position', st.riskPosition],
    ['risk_margin', st.riskMargin],
    ['risk_limits', st.riskLimits],
    ['enqueue', st.enqueue],
    ['serialize', st.serialize],
  ];
  for (const [name, h] of stages) m.percentiles(`gateway_v3_stage_${name}`, `/v3 stage ${name}`, h);
  m.gauge('gateway_latency_p50_ns', 'Fast path risk stage p50 (ns)', () => st.risk.percentileNs(50));
  m.gauge('gateway_latency_p99_ns', 'Fast path risk stage p99 (ns)', () => st.risk.percentileNs(99));
  m.gauge('gateway_latency_max_ns', 'Fast path risk stage max (ns)', () => st.risk.maxNs);
  m.counter('gateway_latency_count_total', 'Fast path risk evaluations', () => st.risk.count);
  m.histogram('gateway_v3_ack_seconds', '/v3 acknowledgement time after authentication', [
    [{ outcome: 'all' }, st.v3LiveAck],
    [{ outcome: 'accepted' }, st.v3LiveAckAccepted],
  ]);
  m.histogram('gateway_v3_stage_seconds', '/v3 time per stage', stages.map(([stage, h]) => [{ stage }, h]));

  // --- binary TCP -------------------------------------------------------------------------
  const t = tcp.counters;
  m.counter('gateway_tcp_connections_total', 'TCP connections accepted', () => t.connections);
  m.gauge('gateway_tcp_connections_open', 'TCP connections open', () => t.connectionsOpen);
  m.counter('gateway_tcp_logins_total', 'TCP sessions logged in', () => t.logins);
  m.counter('gateway_tcp_login_rejected_total', 'TCP logins refused', () => t.loginRejected);
  m.counter('gateway_tcp_protocol_errors_total', 'TCP sessions ended by a protocol violation', () => t.protocolErrors);
  m.counter('gateway_tcp_heartbeat_timeouts_total', 'TCP sessions ended because the client went silent', () => t.heartbeatTimeouts);
  m.counter('gateway_tcp_slow_consumers_total', 'TCP sessions cut because the client did not read its answers', () => t.slowConsumers);
  m.counter('gateway_tcp_new_orders_total', 'NewOrder messages received', () => t.newOrders);
  m.counter('gateway_tcp_cancels_total', 'Cancel messages received', () => t.cancels);
  m.counter('gateway_v3_canceled_total', 'Volatile orders canceled', () => c.canceled);
  m.counter('gateway_v3_cancel_rejected_total', 'Cancels refused (ORDER_NOT_FOUND, ORDER_FINAL)', () => c.cancelRejected);
  m.percentiles('gateway_tcp_ack', 'TCP NewOrder decoded to answer encoded', st.tcpAck);
  m.histogram('gateway_tcp_ack_seconds', 'TCP NewOrder decoded to answer encoded', [[{}, st.tcpAck]]);

  // --- risk configuration -------------------------------------------------------------------
  const level = { light: 1, medium: 2, heavy: 3 }[r.profile];
  m.gauge('gateway_v3_risk_profile_level', 'Risk profile: 1 light, 2 medium, 3 heavy', () => level);
  m.gauge('gateway_v3_risk_profile_loops', 'Synthetic risk work per order (V3_RISK_LOOPS)', () => r.loops);
  m.gauge('gateway_v3_risk_margin_mode', 'Margin mode: 1 legacy (O(n)), 2 incremental (O(1))', () => (r.marginMode === 'legacy' ? 1 : 2));
  m.gauge('gateway_v3_risk_strict_symbols', '1 when only symbols of the master are accepted', () => (r.strictSymbols ? 1 : 0));
  m.gauge('gateway_v3_risk_max_order_qty', 'MAX_ORDER_QTY', () => r.maxOrderQty);
  m.gauge('gateway_v3_risk_max_notional', 'MAX_NOTIONAL', () => r.maxNotional);
  m.gauge('gateway_v3_risk_daily_notional_limit', 'Default per-account daily notional limit', () => r.defaults.dailyNotionalLimit);
  m.gauge('gateway_v3_risk_max_abs_position_qty', 'Default per-account |position + open exposure| limit', () => r.defaults.maxAbsPositionQty);
  m.gauge('gateway_v3_risk_credit_limit', 'Default per-account credit limit', () => r.defaults.creditLimit);
  m.gauge('gateway_v3_risk_price_collar_pct', 'Price collar around the reference price (percent, 0 = off)', () => r.priceCollarPct);
  m.gauge('gateway_v3_symbol_limits_count', 'Symbols in the symbol master', () => r.symbols.size);
  m.gauge('gateway_v3_account_daily_notional_count', 'Accounts with risk state', () => fp.risk.accountCount);
  m.gauge('gateway_v3_account_symbol_position_count', '(account, symbol) exposure entries', () => fp.risk.exposureCount);
  m.gauge('gateway_v3_kill_auto_recover_enabled', 'V3_KILL_AUTO_RECOVER', () => (f.killAutoRecover ? 1 : 0));
  m.gauge('gateway_v3_kill_recover_pct', 'V3_KILL_RECOVER_PCT', () => f.killRecoverPct);
  m.gauge('gateway_v3_kill_recover_after_ms', 'V3_KILL_RECOVER_AFTER_MS', () => f.killRecoverAfterMs);

  // --- the original's gauges whose answer here is a constant (docs/compatibility.md) ----------
  m.gauge('gateway_inflight_dynamic_enabled', 'Dynamic inflight control: always 0 (a static cap)', () => 0);
  m.gauge('gateway_inflight_limit_dynamic', 'Inflight limit in force: BACKPRESSURE_INFLIGHT_MAX (0 = no cap)', () => cfg.durable.inflightMax);
  m.gauge('gateway_order_store_shards', 'Durable order store shards: always 1 (one single-writer store)', () => 1);
  m.gauge('gateway_kafka_enabled', 'Kafka producer: always 0 (the bus is NATS JetStream, BUS_KIND)', () => 0);
}
