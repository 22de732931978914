/**
 * Composition root: builds every part of the gateway from the configuration and wires them
 * together. Owns start-up and graceful shutdown order.
 */
import type { Logger } from 'pino';
import { Authenticator } from './auth/authenticator.js';
import type { GatewayConfig } from './config/config.js';
import { startDurable } from './durable/recovery.js';
import { Confirmations } from './confirmation/confirmations.js';
import { nextEpoch } from './confirmation/epoch.js';
import { perfZeroNs, shardJournalDir } from './drain/journal-sink.js';
import { DrainPool } from './drain/drain-pool.js';
import { FastPath } from './fastpath/fast-path.js';
import { registerConfirmMetrics } from './metrics/confirm-metrics.js';
import { registerDurableMetrics } from './metrics/durable-metrics.js';
import { registerGatewayMetrics, StageTimers } from './metrics/gateway-metrics.js';
import { MetricsRegistry } from './metrics/registry.js';
import { RiskEngine } from './risk/engine.js';
import { OrdersRoutes } from './transport/http/orders-routes.js';
import { HttpTransport } from './transport/http/server.js';
import { TcpTransport } from './transport/tcp/server.js';

/** Longest wait at shutdown for the drain workers to journal what is queued. */
const DRAIN_STOP_TIMEOUT_MS = 10_000;

export interface Gateway {
  readonly httpPort: number;
  readonly tcpPort: number;
  readonly fastPath: FastPath;
  stop(): Promise<void>;
}

export async function startGateway(cfg: GatewayConfig & { auth: { secret: string } }, log: Logger): Promise<Gateway> {
  const auth = new Authenticator(cfg.auth);
  const stages = new StageTimers();
  const risk = new RiskEngine(cfg.risk);
  const fastPath = new FastPath(cfg.fastPath, risk, stages);
  // The durable path's journal is replayed (orders, keys, exposure) before anything listens.
  const durable = await startDurable(cfg.durable, log, risk, fastPath.kill);
  // Accepted /v3 orders are journaled by the drain workers, which recover their shard journals first.
  const cc = cfg.fastPath.confirm;
  const journaled = cfg.fastPath.drainEnabled && cc.journalEnabled;
  const confirm = new Confirmations(cc, fastPath, log, journaled);
  const drain = cfg.fastPath.drainEnabled
    ? new DrainPool(
        fastPath.rings,
        cfg.fastPath.drainWorkers,
        journaled
          ? {
              dir: cc.journalDir,
              keys: [...durable.keys],
              activeKeyId: durable.journal.activeKeyId,
              fsync: cfg.durable.fsync,
              syncMethod: cfg.durable.syncMethod,
              maxBatchBytes: cfg.durable.maxBatchBytes,
              maxBatchDelayUs: cc.journalMaxWaitUs,
              segmentBytes: cfg.durable.segmentBytes,
              perfZeroNs: perfZeroNs(),
              failpoint: cc.failpoint,
            }
          : null,
        {
          onJournalFailed: (shard, message) => confirm.journalFailure(shard, message),
          onConfirmHistogram: (encoded) => confirm.addConfirmLatencies(encoded),
        },
        cfg.fastPath.drainPollMs,
      )
    : null;
  if (drain === null) log.warn('FASTPATH_DRAIN_ENABLE=0: ingress queues are not drained; they fill up and the kill switch engages');
  else {
    try {
      const recovered = await drain.ready;
      const epoch = journaled ? await nextEpoch(cc.journalDir, recovered.some((r) => r.orders > 0)) : 0;
      confirm.applyRecovery(recovered, epoch);
      if (journaled) {
        log.info(
          {
            shards: recovered.length,
            records: recovered.reduce((n, r) => n + r.records, 0),
            orders: recovered.reduce((n, r) => n + r.orders, 0),
            sessions: recovered.reduce((n, r) => n + r.sessions.length, 0),
            tornTail: recovered.some((r) => r.tornTail),
            epoch,
          },
          '/v3 journals recovered',
        );
      }
    } catch (err) {
      fastPath.close();
      await drain.terminate();
      await durable.close().catch(() => {});
      throw err;
    }
  }
  if (!journaled) log.warn('/v3 orders are not journaled (V3_JOURNAL_ENABLE=0 or drain disabled): they stay VOLATILE_ACCEPT');
  confirm.start();

  const metrics = new MetricsRegistry();
  const orders = new OrdersRoutes({
    log,
    auth,
    svc: durable,
    maxBodyBytes: cfg.maxBodyBytes,
    ack: stages.ack,
    v3Journals:
      journaled && drain !== null
        ? { shards: cfg.fastPath.shardCount, dir: (shard) => shardJournalDir(cc.journalDir, shard), durableSeq: (shard) => drain.journalSeqs[shard]! }
        : undefined,
  });
  const http = new HttpTransport({
    log,
    auth,
    fastPath,
    confirm,
    metrics,
    stages,
    maxBodyBytes: cfg.maxBodyBytes,
    fastLane: cfg.httpFastLane,
    idempotencyWindow: cfg.fastPath.idempotencyWindow,
    health: () => ({
      queueLen: fastPath.totalDepth(),
      latencyP50Ns: stages.risk.percentileNs(50),
      latencyP99Ns: stages.risk.percentileNs(99),
      killSwitch: fastPath.kill.engaged,
      journal: durable.journalFailed ? 'FAILED' : 'OK',
    }),
    resetMetrics: () => {
      stages.reset();
      durable.durableAck.reset();
      durable.fdatasync.reset();
      durable.batchRecords.reset();
      confirm.confirmLatency.reset();
    },
    orders,
  });
  const tcp = new TcpTransport({ log, auth, fastPath, ackTimer: stages.tcpAck });
  registerGatewayMetrics(metrics, cfg, fastPath, stages, http, auth, () => drain?.size ?? 0, tcp);
  registerConfirmMetrics(metrics, cfg, confirm, drain);
  registerDurableMetrics(metrics, durable, orders.counters);

  const httpPort = await http.listen(cfg.port, cfg.host);
  const tcpPort = await tcp.listen(cfg.tcpPort, cfg.host);
  log.info(
    {
      http: `${cfg.host}:${httpPort}`,
      tcp: `${cfg.host}:${tcpPort}`,
      shards: cfg.fastPath.shardCount,
      ingressCapacity: cfg.fastPath.ingressCapacity,
      drainWorkers: drain?.size ?? 0,
      riskProfile: cfg.risk.profile,
      marginMode: cfg.risk.marginMode,
    },
    'gateway listening',
  );

  let stopping: Promise<void> | null = null;
  return {
    httpPort,
    tcpPort,
    fastPath,
    stop(): Promise<void> {
      stopping ??= (async () => {
        log.info('shutting down: closing listeners');
        const closed = Promise.all([http.close(5000), tcp.close(5000)]);
        // Refuse new orders from here on; queued ones are drained by the workers.
        fastPath.close();
        await closed;
        // Pending durable answers were given while the connections closed; sync and close the journal.
        await durable.close();
        if (drain !== null) {
          // Workers exit once their rings are drained and journaled; a journal stuck in a sync
          // would hold them forever, so the wait is bounded.
          const timeout = new Promise<'timeout'>((r) => setTimeout(r, DRAIN_STOP_TIMEOUT_MS, 'timeout').unref());
          if ((await Promise.race([drain.stopped(), timeout])) === 'timeout') {
            log.error({ timeoutMs: DRAIN_STOP_TIMEOUT_MS }, 'drain workers did not finish journaling in time; stopping them (orders not confirmed durable are lost)');
            await drain.terminate();
          }
        }
        confirm.stop();
        log.info({ accepted: fastPath.counters.accepted, drained: fastPath.processed() }, 'shutdown complete');
      })();
      return stopping;
    },
  };
}
