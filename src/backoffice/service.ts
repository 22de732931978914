/**
 * The back office's composition root: {@link startBackoffice} wires storage, booking, input,
 * reconciliation and the HTTP API in numbered stages, and `stop()` undoes them in reverse.
 *
 *   1. metrics and runtime counters
 *   2. books: PostgreSQL or PGlite, migrations (retried with backoff until the database answers)
 *   3. booking loop (Booker) over the input: JetStream (BUS_KIND=nats) or the gateway's event
 *      feed (BUS_KIND=none); it starts in the background and never stops the service on errors
 *   4. periodic whole-book reconciliation (BACKOFFICE_RECONCILE_INTERVAL_SEC)
 *   5. HTTP API on BACKOFFICE_HOST:BACKOFFICE_PORT (0 = a free port, returned as `port`)
 *
 * `stop()`: stop retrying, stop the input (an event being committed finishes; it is acked or
 * redelivered), close the HTTP server, close the books. Idempotent.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Authenticator } from '../auth/authenticator.js';
import { mintToken } from '../auth/token.js';
import { createApiServer } from './api/server.js';
import { backoffMs, sleep } from './backoff.js';
import { Booker, type Clock, systemClock } from './booker.js';
import type { BackofficeConfig } from './config.js';
import { feedCursor } from './domain/event-id.js';
import type { ReconcileReport } from './domain/reconcile.js';
import { FeedInput } from './input/feed.js';
import type { EventInput } from './input/delivery.js';
import { NatsInput } from './input/nats.js';
import { BackofficeStats, backofficeRegistry } from './metrics.js';
import { reconcile } from './reconciler.js';
import { openBooks, type OpenBooks } from './storage/open.js';

export interface RunningBackoffice {
  port: number;
  stats: BackofficeStats;
  stop(): Promise<void>;
}

/** Lifetime of the token the back office presents to the gateway's feed; a new one per connection. */
const FEED_TOKEN_TTL_SEC = 3600;
const RATE_SAMPLE_MS = 1000;

export async function startBackoffice(cfg: BackofficeConfig, log: Logger, opts: { clock?: Clock } = {}): Promise<RunningBackoffice> {
  const secret = cfg.auth.secret;
  if (secret === undefined) throw new Error('startBackoffice needs cfg.auth.secret (main.ts generates one when JWT_HS256_SECRET is unset)');
  const clock = opts.clock ?? systemClock;
  const startedAt = new Date(clock.nowMs()).toISOString();
  const stopping = new AbortController();

  // 1. metrics
  const stats = new BackofficeStats();
  let input: EventInput | null = null;
  const metrics = backofficeRegistry(stats, () => input?.status() ?? null);
  const rateTimer = setInterval(() => stats.rate.sample(clock.nowMs(), stats.appliedTotal), RATE_SAMPLE_MS);
  rateTimer.unref();

  // 2. books
  let opened: OpenBooks | undefined;
  for (let attempt = 0; opened === undefined; attempt++) {
    try {
      opened = await openBooks(cfg.storage, log);
    } catch (err) {
      const wait = backoffMs(attempt, cfg.input);
      log.warn({ storage: cfg.storage.kind, err: (err as Error).message, retryInMs: wait }, 'back office: cannot open the books; retrying');
      if (!(await sleep(wait, stopping.signal))) throw err;
    }
  }
  const { books } = opened;
  log.info({ storage: books.kind, migrated: opened.migrated }, 'back office: books open');

  // 3. booking loop
  const booker = new Booker(books, cfg.booking, stats, cfg.input, log, clock);
  if (cfg.input.kind === 'nats') {
    input = new NatsInput(cfg.input, log);
  } else {
    const { issuer, audience } = cfg.auth;
    input = new FeedInput(
      cfg.input,
      {
        cursor: async () => feedCursor(await books.lastAppliedPerStream()),
        token: () => mintToken({ secret, accountId: 'backoffice', roles: ['admin'], ttlSec: FEED_TOKEN_TTL_SEC, issuer, audience }),
      },
      log,
    );
  }
  const consuming = input.run(async (batch) => {
    const ok = await booker.handleBatch(batch);
    // PGlite answers without ever leaving the microtask queue: give timers and sockets a turn.
    await yieldToLoop();
    return ok;
  });

  // 4. reconciliation
  let reconciling: Promise<ReconcileReport> | null = null;
  const runReconcile = async (accountId: string | null): Promise<ReconcileReport> => {
    if (accountId !== null) return reconcile(books, accountId);
    reconciling ??= reconcile(books, null).finally(() => {
      reconciling = null;
    });
    const report = await reconciling;
    stats.reconcileResult = report.result === 'PASS' ? 1 : 0;
    stats.reconcileDifferences = report.differenceCount;
    stats.reconcileLastRunMs = clock.nowMs();
    if (report.result === 'FAIL') log.error({ differences: report.differenceCount, first: report.differences.slice(0, 5) }, 'back office: reconcile FAIL');
    return report;
  };
  const reconcileTimer =
    cfg.reconcileIntervalSec > 0
      ? setInterval(() => {
          runReconcile(null).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'back office: periodic reconcile failed'));
        }, cfg.reconcileIntervalSec * 1000)
      : null;
  reconcileTimer?.unref();

  // 5. HTTP
  const auth = new Authenticator({ ...cfg.auth, secret });
  const server = createApiServer({
    books,
    auth,
    metrics,
    corsOrigins: cfg.corsOrigins,
    log,
    reconcile: runReconcile,
    runtime: () => ({
      startedAt,
      input: input?.status() ?? null,
      events: {
        applied: Object.fromEntries(stats.applied),
        duplicates: stats.duplicates,
        fills: stats.fills,
        batches: stats.batches,
        perSecond: Math.round(stats.rate.perSecond * 10) / 10,
        lastId: stats.lastEventId,
        lastAt: stats.lastEventAt,
        lastLagMs: stats.lastLagMs,
      },
      applyUs: { p50: stats.apply.percentileUs(50), p99: stats.apply.percentileUs(99), max: Math.ceil(stats.apply.maxNs / 1000) },
      lagUs: { p50: stats.lag.percentileUs(50), p99: stats.lag.percentileUs(99) },
      reconcile: { result: stats.reconcileResult === 1 ? 'PASS' : stats.reconcileResult === 0 ? 'FAIL' : null, differences: stats.reconcileDifferences },
    }),
  });
  server.keepAliveTimeout = 5_000;
  server.listen(cfg.port, cfg.host);
  try {
    await once(server, 'listening');
  } catch (err) {
    booker.stop();
    await input.stop();
    await consuming;
    await opened.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  log.info({ port, host: cfg.host, input: cfg.input.kind, storage: books.kind }, 'back office: listening');

  let stopped: Promise<void> | null = null;
  return {
    port,
    stats,
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        clearInterval(rateTimer);
        if (reconcileTimer !== null) clearInterval(reconcileTimer);
        booker.stop();
        await input!.stop();
        await consuming;
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await reconciling?.catch(() => {});
        await opened!.close();
        log.info('back office: stopped');
      })();
      return stopped;
    },
  };
}
