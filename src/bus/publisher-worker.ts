/**
 * The NATS publisher's thread (worker entry): runs a {@link NatsPublisher} off the event loop
 * that accepts orders, so that encoding events, the NATS client and its acks never take time
 * from order acceptance (bench:v3 measured the event loop's CPU per /v3 order doubling with the
 * publisher on the main thread).
 *
 * Shared memory (Float64Array over SharedArrayBuffers, see publisher-thread.ts for the layout):
 * `durable[i]` — written by the main thread: each journal's durable seq; `stats` — written here
 * every {@link STATS_EVERY_MS}: published, errors, connected, backoff, oldest unacked journal
 * time, then the acked seq per journal. The last error text travels by message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { BusConfig } from '../config/bus.js';
import { createLogger } from '../lib/logger.js';
import { NatsPublisher } from './nats-publisher.js';

export interface PublisherWorkerData {
  kind: 'bus-publisher';
  cfg: BusConfig;
  gatewayId: string;
  logLevel: string;
  sources: Array<{ name: string; dir: string }>;
  checkpointFile: string;
  checkpoint: Array<[string, number]>;
  durable: SharedArrayBuffer;
  stats: SharedArrayBuffer;
}

export const STAT_PUBLISHED = 0;
export const STAT_ERRORS = 1;
export const STAT_CONNECTED = 2;
export const STAT_BACKOFF = 3;
export const STAT_OLDEST_AT = 4;
export const STAT_ACKED = 5;
const STATS_EVERY_MS = 50;

function main(d: PublisherWorkerData): void {
  const durable = new Float64Array(d.durable);
  const stats = new Float64Array(d.stats);
  const log = createLogger(d.logLevel);
  const pub = new NatsPublisher(
    d.cfg,
    d.gatewayId,
    d.sources.map((s, i) => ({ name: s.name, dir: s.dir, durableSeq: () => durable[i]! })),
    d.checkpointFile,
    new Map(d.checkpoint),
    log,
  );
  let lastError: string | null = null;
  const publish = (): void => {
    stats[STAT_PUBLISHED] = pub.published;
    stats[STAT_ERRORS] = pub.errors;
    stats[STAT_CONNECTED] = pub.isConnected ? 1 : 0;
    stats[STAT_BACKOFF] = pub.isBackingOff ? 1 : 0;
    stats[STAT_OLDEST_AT] = pub.oldestUnackedAt();
    const acked = pub.ackedSeqs;
    for (let i = 0; i < acked.length; i++) stats[STAT_ACKED + i] = acked[i]!;
    if (pub.lastErrorText !== lastError) {
      lastError = pub.lastErrorText;
      parentPort!.postMessage({ type: 'lastError', text: lastError });
    }
  };
  publish();
  const timer = setInterval(publish, STATS_EVERY_MS);
  pub.start();
  parentPort!.on('message', (m: { type: string }) => {
    if (m.type !== 'stop') return;
    void pub.stop().then(() => {
      clearInterval(timer);
      publish();
      parentPort!.postMessage({ type: 'stopped' });
    });
  });
}

if (parentPort !== null && workerData !== null && (workerData as { kind?: string }).kind === 'bus-publisher') main(workerData as PublisherWorkerData);
