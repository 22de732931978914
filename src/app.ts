/**
 * Composition root: builds every part of the gateway from the configuration, through
 * constructors, in numbered stages — nothing is wired after construction. Owns start-up and
 * graceful shutdown order.
 *
 *   0. ports            the HTTP and TCP ports are probed: a busy port stops the start before
 *                          anything durable (epoch, journals) happens
 *   1. domain state        authenticator, stage timers, risk engine, kill switch, ingress rings,
 *                          the outbound queue to the venues
 *   2. durable path        journal keys, snapshot + replay, journal writer (durable/recovery.ts)
 *   3. /v3 journals        drain workers recover their shard journals; the numbering epoch
 *   4. fast path           risk + kill switch + rings, numbering past the recovered epoch
 *   5. execution           venues started, routed orders restored and reconciled (execution/)
 *   6. bus                 gateway id, the journal tail into the event hub, the NATS publisher
 *                          (BUS_KIND=nats) from its checkpoint
 *   7. transports          HTTP (fast lane + node:http, /events/feed, SSE streams fed by the
 *                          event hub) and binary TCP; the operator console (console/)
 *                          mounted on the HTTP transport at /console
 *   8. metrics             read at scrape time from the parts above
 *   9. listen
 */
import type { Logger } from 'pino';
import { Authenticator } from './auth/authenticator.js';
import type { GatewayConfig } from './config/config.js';
import { Confirmations } from './confirmation/confirmations.js';
import { EPOCH_SPAN, nextEpoch } from './confirmation/epoch.js';
import { LossPolicy } from './confirmation/loss-policy.js';
import { DrainPool } from './drain/drain-pool.js';
import { perfZeroNs, shardJournalDir, type ShardRecovery } from './drain/journal-sink.js';
import { startDurable } from './durable/recovery.js';
import { FastPath } from './fastpath/fast-path.js';
import { allocateRing } from './fastpath/ingress-ring.js';
import { KillSwitch } from './fastpath/kill-switch.js';
import { registerConfirmMetrics } from './metrics/confirm-metrics.js';
import { registerDurableMetrics } from './metrics/durable-metrics.js';
import { registerGatewayMetrics, StageTimers } from './metrics/gateway-metrics.js';
import { MetricsRegistry } from './metrics/registry.js';
import { RiskEngine } from './risk/engine.js';
import { listenError, probePort } from './lib/port-probe.js';
import type { AnswerSink } from './transport/http/answer.js';
import { DurableAnswers } from './transport/http/durable-answers.js';
import { OrdersEntry } from './transport/http/orders-entry.js';
import { OrdersRoutes } from './transport/http/orders-routes.js';
import { HttpTransport } from './transport/http/server.js';
import { TcpTransport } from './transport/tcp/server.js';
import { JournalProgress } from './durable/progress.js';
import type { DurableOrders } from './durable/service.js';
import { ExecutionService } from './execution/execution.js';
import { RoutedRestore } from './execution/restore.js';
import { registerExecutionMetrics } from './metrics/execution-metrics.js';
import { registerSseMetrics } from './metrics/sse-metrics.js';
import { SseRoutes } from './transport/sse/routes.js';
import { SseStreams } from './transport/sse/streams.js';
import { OutboundQueue } from './orders/outbound.js';
import { FixVenue } from './venue/fix/fix-venue.js';
import { VenueRouter } from './venue/router.js';
import { ConsoleAssets, defaultAssetsDir } from './console/assets.js';
import { ConsoleRoutes } from './console/routes.js';
import type { ConsoleSources } from './console/sources.js';
import { SimVenue } from './venue/sim/sim-venue.js';
import type { Venue } from './venue/venue.js';
import { checkpointPath, readCheckpoint } from './bus/checkpoint.js';
import { loadGatewayId } from './bus/gateway-id.js';
import { EventHub } from './bus/hub.js';
import type { BusStatus } from './bus/nats-publisher.js';
import { PublisherThread } from './bus/publisher-thread.js';
import { type JournalSource, OutboxRelay } from './bus/relay.js';
import { registerBusMetrics } from './metrics/bus-metrics.js';
import { EventsFeed } from './transport/http/events-feed.js';

/** Longest wait at shutdown for the drain workers to journal what is queued. */
const DRAIN_STOP_TIMEOUT_MS = 10_000;

export interface Gateway {
  readonly httpPort: number;
  readonly tcpPort: number;
  readonly fastPath: FastPath;
  /** the bus as the console shows it */
  busStatus(): BusStatus;
  stop(): Promise<void>;
}

export async function startGateway(cfg: GatewayConfig & { auth: { secret: string } }, log: Logger): Promise<Gateway> {
  const fc = cfg.fastPath;
  const cc = fc.confirm;

  // 0. Ports: fail on a busy one before the epoch or a journal is touched.
  await probePort('GATEWAY_PORT', cfg.host, cfg.port);
  await probePort('GATEWAY_TCP_PORT', cfg.host, cfg.tcpPort);

  // 1. Domain state.
  const auth = new Authenticator(cfg.auth, Date.now, (err) => log.error({ err }, 'token verification failed unexpectedly'));
  const stages = new StageTimers();
  const risk = new RiskEngine(cfg.risk);
  const kill = new KillSwitch(fc, fc.shardCount);
  const rings = Array.from({ length: fc.shardCount }, () => allocateRing(fc.ingressCapacity));
  const losses = new LossPolicy(cc, kill, log);
  const routing = cfg.venues.venues.length > 0;
  const outbound = routing ? new OutboundQueue(fc.shardCount) : undefined;
  const progress = new JournalProgress();
  const routed = new RoutedRestore();
  // The execution stage (5) is built after the durable path; until then a snapshot's venue
  // section is what recovery rebuilt (no order is routed before stage 5).
  let execution: ExecutionService | null = null;

  // 2. The durable path: its journal is replayed (orders, keys, exposure) before anything listens.
  const answers = new DurableAnswers(stages.ack, cfg.durable.fsync);
  const durable = await startDurable<AnswerSink>(cfg.durable, log, risk, kill, answers, {
    outbound,
    progress,
    venueRecords: routing ? (seq, type, payload) => routed.record(seq, type, payload) : undefined,
    venueSnapshot: routing
      ? {
          take: () => (execution !== null ? execution.snapshotState() : routed.snapshot()),
          restore: (state) => routed.restore(state),
        }
      : undefined,
  });

  // 3. Accepted /v3 orders are journaled by the drain workers, which recover their shard journals first.
  const journaled = fc.drainEnabled && cc.journalEnabled;
  const drain = fc.drainEnabled
    ? new DrainPool(
        rings,
        fc.drainWorkers,
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
              allowBrokenChain: cfg.durable.recoveryAllowBrokenChain,
              routedUpTo: routing ? Array.from({ length: fc.shardCount }, (_, shard) => routed.routedUpTo.get(shard) ?? -1) : undefined,
              routedWorking: routing ? routed.workingByShard(fc.shardCount) : undefined,
            }
          : null,
        {
          onJournalFailed: (shard, message) => losses.journalFailure(shard, message),
          onConfirmHistogram: (encoded) => stages.confirm.addEncoded(encoded),
        },
        fc.drainPollMs,
      )
    : null;
  let recovered: ShardRecovery[] = [];
  let epoch = 0;
  if (drain === null) log.warn('FASTPATH_DRAIN_ENABLE=0: ingress queues are not drained; they fill up and the kill switch engages');
  else {
    try {
      recovered = await drain.ready;
      epoch = journaled ? await nextEpoch(cc.journalDir, recovered.some((r) => r.orders > 0)) : 0;
    } catch (err) {
      await drain.terminate();
      await durable.close().catch(() => {});
      throw err;
    }
    for (const sh of recovered) {
      if (sh.tornTailSavedTo !== undefined) {
        log.warn({ shard: sh.shard, savedTo: sh.tornTailSavedTo }, `/v3 journal tail truncated: the last write never completed (it was never acknowledged); the cut bytes are kept in ${sh.tornTailSavedTo}`);
      }
      for (const b of sh.chainBreaks ?? []) {
        log.error({ shard: sh.shard, detail: b }, '/v3 journal HMAC chain broken: starting anyway (JOURNAL_RECOVERY_ALLOW_BROKEN_CHAIN=1)');
      }
    }
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
  }
  if (!journaled) log.warn('/v3 orders are not journaled (V3_JOURNAL_ENABLE=0 or drain disabled): they stay VOLATILE_ACCEPT');

  // 4. The fast path numbers sessions past everything an earlier run could have acknowledged.
  const fastPath = new FastPath(fc, { risk, stages, kill, rings, seqBase: epoch * EPOCH_SPAN, enqueueFailures: journaled ? losses : undefined, outbound });
  const confirm = new Confirmations(cc, fastPath, losses, recovered, journaled);
  confirm.start();

  // 5. Execution: orders go to their venues once journaled; reports come back into orders and risk.
  execution = outbound === undefined ? null : startExecution(cfg, log, durable, outbound, progress, fastPath, risk, routed, recovered);
  if (execution !== null) {
    try {
      await execution.start();
    } catch (err) {
      await execution.close();
      throw err;
    }
    log.info({ venues: cfg.venues.router.venues, working: execution.workingCount }, 'venues started');
  } else log.warn('SOR_VENUES=none: orders are not sent to any venue (they stay at the gateway; cancels complete there)');

  // 6. The bus: the journals are the outbox; the relay feeds the hub, the publisher JetStream.
  const gatewayId = loadGatewayId(cfg.dataDir);
  const sources: JournalSource[] = [{ name: 'orders', dir: cfg.durable.journalDir, durableSeq: () => durable.durableSeq }];
  if (journaled && drain !== null) {
    const seqs = drain.journalSeqs;
    for (let shard = 0; shard < fc.shardCount; shard++) sources.push({ name: `v3-${shard}`, dir: shardJournalDir(cc.journalDir, shard), durableSeq: () => seqs[shard]! });
  }
  const hub = new EventHub((err) => log.error({ err }, 'bus: an event subscriber failed and was removed'));
  const relay = new OutboxRelay(gatewayId, sources, hub, cfg.bus.pollMs, log);
  relay.start();
  let publisher: PublisherThread | null = null;
  if (cfg.bus.kind === 'nats') {
    // its own thread: encoding, the NATS client and its acks stay off the order path (bench:v3)
    const file = checkpointPath(cfg.dataDir);
    const checkpoint = readCheckpoint(file, gatewayId);
    for (const src of sources) {
      const at = checkpoint.get(src.name) ?? 0;
      if (at > src.durableSeq()) log.error({ stream: src.name, checkpoint: at, durableSeq: src.durableSeq(), file }, 'bus: the checkpoint is ahead of its journal (journal replaced?): its events are published once the journal passes it');
    }
    publisher = new PublisherThread(cfg.bus, gatewayId, sources, file, checkpoint, cfg.logLevel, (code) => {
      if (stopping === null) log.error({ code }, 'bus: the NATS publisher thread exited; events are no longer published (restart the gateway)');
    });
  }
  const busStatus = (): BusStatus =>
    publisher?.status() ?? { kind: 'none', connected: false, lagRecords: 0, lagMs: 0, lastError: null, published: 0, errors: 0, backoff: false };
  const feed = new EventsFeed({ log, auth, gatewayId, sources, hub, relay });
  log.info({ gatewayId, busKind: cfg.bus.kind, streams: sources.map((x) => x.name), natsUrl: cfg.bus.kind === 'nats' ? cfg.bus.natsUrl : undefined }, 'bus: events relayed from the journals');

  // 7. Transports.
  const metrics = new MetricsRegistry();
  const entry = new OrdersEntry({ log, auth, svc: durable, counters: answers.counters, ack: stages.ack });
  const routes = new OrdersRoutes({
    log,
    auth,
    svc: durable,
    entry,
    counters: answers.counters,
    executions: execution ?? undefined,
    positions: (accountId) => risk.positions(accountId, Date.now()),
    maxBodyBytes: cfg.http.maxBodyBytes,
    v3Journals:
      journaled && drain !== null
        ? { shards: fc.shardCount, dir: (shard) => shardJournalDir(cc.journalDir, shard), durableSeq: (shard) => drain.journalSeqs[shard]! }
        : undefined,
  });
  const sse = new SseStreams(cfg.sse, hub, log);
  const sseRoutes = new SseRoutes({
    log,
    auth,
    streams: sse,
    counters: answers.counters,
    owners: { ownerOf: (orderId) => durable.book.get(orderId)?.accountId ?? execution?.find(orderId)?.accountId },
  });
  let stopping: Promise<void> | null = null;
  const consoleRoutes = cfg.console.enabled
    ? new ConsoleRoutes({
        log,
        auth,
        cfg: cfg.console,
        assets: new ConsoleAssets(defaultAssetsDir()),
        sources: consoleSources(cfg, fastPath, stages, durable, execution, journaled, busStatus),
      })
    : null;
  const http = new HttpTransport({
    log,
    auth,
    fastPath,
    confirm,
    metrics,
    stages,
    cfg: cfg.http,
    fastLane: cfg.httpFastLane,
    idempotencyWindow: fc.idempotencyWindow,
    health: () => {
      const journalFailed = durable.journalFailed;
      return {
        ready: !journalFailed && stopping === null,
        reason: stopping !== null ? 'SHUTTING_DOWN' : journalFailed ? 'WAL_DURABILITY_FAILED' : null,
        fields: {
          queueLen: fastPath.totalDepth(),
          latencyP50Ns: stages.risk.percentileNs(50),
          latencyP99Ns: stages.risk.percentileNs(99),
          killSwitch: fastPath.kill.engaged,
          journal: journalFailed ? 'FAILED' : 'OK',
        },
      };
    },
    resetMetrics: () => {
      stages.reset();
      durable.durableAck.reset();
      durable.fdatasync.reset();
      durable.batchRecords.reset();
      execution?.toAck.reset();
      execution?.toFirstFill.reset();
    },
    orders: { entry, routes },
    mounted: consoleRoutes ?? undefined,
    feed,
    sse: sseRoutes,
    cors: cfg.cors,
  });
  const tcp = new TcpTransport({
    log,
    auth,
    fastPath,
    ackTimer: stages.tcpAck,
    rules: cfg.tcp,
    maxWriteBufferBytes: cfg.tcp.maxWriteBufferBytes,
    executions: execution ?? undefined,
  });

  // 8. Metrics.
  registerGatewayMetrics(metrics, cfg, fastPath, stages, http, auth, () => drain?.size ?? 0, tcp);
  registerConfirmMetrics(metrics, cfg, journaled, losses, stages.confirm, drain);
  registerDurableMetrics(metrics, durable, answers.counters);
  if (execution !== null) registerExecutionMetrics(metrics, execution);
  registerBusMetrics(metrics, { status: busStatus, hubEvents: () => relay.eventsPublished, feedConnections: () => feed.connections });
  registerSseMetrics(metrics, sse);

  // 9. Listen.
  sse.start();
  const httpPort = await http.listen(cfg.port, cfg.host).catch((err: unknown) => {
    throw listenError('GATEWAY_PORT', cfg.host, cfg.port, err);
  });
  const tcpPort = await tcp.listen(cfg.tcpPort, cfg.host).catch((err: unknown) => {
    throw listenError('GATEWAY_TCP_PORT', cfg.host, cfg.tcpPort, err);
  });
  log.info(
    {
      http: `${cfg.host}:${httpPort}`,
      tcp: `${cfg.host}:${tcpPort}`,
      shards: fc.shardCount,
      ingressCapacity: fc.ingressCapacity,
      drainWorkers: drain?.size ?? 0,
      riskProfile: cfg.risk.profile,
      marginMode: cfg.risk.marginMode,
    },
    'gateway listening',
  );

  return {
    httpPort,
    tcpPort,
    fastPath,
    busStatus,
    stop(): Promise<void> {
      stopping ??= (async () => {
        log.info('shutting down: closing listeners');
        // SSE streams end first: they would hold the listener open until the grace period.
        sse.close();
        consoleRoutes?.close();
        const closed = Promise.all([http.close(), tcp.close(cfg.http.shutdownGraceMs)]);
        // Refuse new orders from here on; queued ones are drained by the workers.
        fastPath.close();
        await closed;
        // Venues stop before the journal closes (their last reports are journaled or refused).
        await execution?.close();
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
        // The journals are closed: the relay stops; the publisher checkpoints what JetStream acknowledged.
        await relay.stop();
        await publisher?.stop();
        log.info({ accepted: fastPath.counters.accepted, drained: fastPath.processed() }, 'shutdown complete');
      })();
      return stopping;
    },
  };
}

/** What the operator console reads (console/sources.ts). Bus kind `none`: the console shows "bus off". */
function consoleSources(
  cfg: GatewayConfig,
  fastPath: FastPath,
  stages: StageTimers,
  durable: DurableOrders<AnswerSink>,
  execution: ExecutionService | null,
  journaled: boolean,
  busStatus: () => BusStatus,
): ConsoleSources {
  const c = fastPath.counters;
  const kill = fastPath.kill;
  const entries = (m: Map<string, { reason: string; sinceMs: number; manual: boolean }>) =>
    [...m].map(([id, e]) => ({ id, reason: e.reason, sinceMs: e.sinceMs, manual: e.manual }));
  return {
    accepted: () => c.accepted + durable.counters.accepted,
    rejected: () => c.softRejected + c.killed + c.riskRejected + durable.counters.rejected,
    ackHistograms: [
      { name: 'v3', h: stages.v3LiveAckAccepted },
      { name: 'http', h: stages.ack },
      { name: 'durable', h: durable.durableAck },
      { name: 'tcp', h: stages.tcpAck },
    ],
    shards: () =>
      kill.shards.map((s, shard) => ({
        shard,
        depth: fastPath.depth(shard),
        capacity: cfg.fastPath.ingressCapacity,
        utilisationPct: fastPath.utilisation(shard),
        killed: s.killed,
        reason: s.killed ? s.reason : null,
      })),
    kill: () => ({
      engaged: kill.engaged,
      global: kill.global && { reason: kill.global.reason, sinceMs: kill.global.sinceMs, manual: kill.global.manual },
      accounts: entries(kill.accounts),
      sessions: entries(kill.sessions),
    }),
    journal: () => ({ durable: durable.journalFailed ? 'FAILED' : 'OK', lastSeq: durable.durableSeq, v3Journaled: journaled }),
    bus: () => {
      const b = busStatus();
      return b.kind === 'none' ? null : b;
    },
    venues: () =>
      execution === null ? [] : [...execution.sessions].map(([venue, state]) => ({ venue, state, openOrders: execution.openAt.get(venue) ?? 0 })),
  };
}

/** The execution stage and its venues (one adapter per configured venue). */
function startExecution(
  cfg: GatewayConfig,
  log: Logger,
  durable: DurableOrders<AnswerSink>,
  outbound: OutboundQueue,
  progress: JournalProgress,
  fastPath: FastPath,
  risk: RiskEngine,
  routed: RoutedRestore,
  recovered: ShardRecovery[],
): ExecutionService {
  const router = new VenueRouter(cfg.venues.router);
  const refPrices = new Map([...cfg.risk.symbols.values()].map((s) => [s.symbol, s.refPrice] as [string, number]));
  const venues = new Map<string, Venue>();
  for (const v of cfg.venues.venues) venues.set(v.name, v.kind === 'sim' ? new SimVenue(v.name, v.sim, refPrices) : new FixVenue(v.name, v.fix));
  if (routed.anomalies > 0) log.warn({ anomalies: routed.anomalies }, 'venue records skipped during recovery');
  return new ExecutionService({
    log,
    journal: durable,
    outbound,
    progress,
    rings: { freedCount: (shard) => fastPath.producers[shard]!.freedCount() },
    risk,
    router,
    venues,
    orderId: (orderNo) => fastPath.orderId(orderNo),
    restored: {
      book: durable.book.store,
      fast: routed,
      routedWorking: recovered.flatMap((r) => (r.routedWorking ?? []).map((rec) => ({ shard: r.shard, rec }))),
      unrouted: recovered.flatMap((r) => (r.unrouted ?? []).map((rec) => ({ shard: r.shard, rec }))),
    },
  });
}
