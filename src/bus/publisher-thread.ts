/**
 * The main thread's handle on the NATS publisher's thread (publisher-worker.ts): starts it, tells
 * it how far each journal is durable (copied into shared memory every BUS_POLL_MS — a few
 * stores, nothing else on this thread), reads its progress for /metrics and the console, and
 * stops it at shutdown (it checkpoints what JetStream acknowledged).
 *
 * Shared memory: `durable` = Float64Array(sources); `stats` = Float64Array(STAT_ACKED + sources):
 * published, errors, connected, backoff, oldest unacked journal time (ms), acked seq per source.
 *
 * Owner: the main event loop.
 */
import { Worker } from 'node:worker_threads';
import type { BusConfig } from '../config/bus.js';
import type { BusStatus } from './nats-publisher.js';
import { type PublisherWorkerData, STAT_ACKED, STAT_BACKOFF, STAT_CONNECTED, STAT_ERRORS, STAT_OLDEST_AT, STAT_PUBLISHED } from './publisher-worker.js';
import type { JournalSource } from './relay.js';

/** Longest wait at shutdown for the thread to checkpoint and close its connection. */
const STOP_TIMEOUT_MS = 5_000;

export class PublisherThread {
  private readonly worker: Worker;
  private readonly durable: Float64Array;
  private readonly stats: Float64Array;
  private readonly timer: NodeJS.Timeout;
  private lastError: string | null = null;
  private exited = false;

  constructor(
    cfg: BusConfig,
    gatewayId: string,
    private readonly sources: readonly JournalSource[],
    checkpointFile: string,
    checkpoint: ReadonlyMap<string, number>,
    logLevel: string,
    onExit: (code: number) => void,
  ) {
    const durableSab = new SharedArrayBuffer(sources.length * 8);
    const statsSab = new SharedArrayBuffer((STAT_ACKED + sources.length) * 8);
    this.durable = new Float64Array(durableSab);
    this.stats = new Float64Array(statsSab);
    sources.forEach((s, i) => {
      this.stats[STAT_ACKED + i] = checkpoint.get(s.name) ?? 0;
      this.durable[i] = s.durableSeq();
    });
    const data: PublisherWorkerData = {
      kind: 'bus-publisher',
      cfg,
      gatewayId,
      logLevel,
      sources: sources.map((s) => ({ name: s.name, dir: s.dir })),
      checkpointFile,
      checkpoint: [...checkpoint],
      durable: durableSab,
      stats: statsSab,
    };
    const url = new URL(import.meta.url.endsWith('.ts') ? './publisher-worker.ts' : './publisher-worker.js', import.meta.url);
    this.worker = new Worker(url, { workerData: data, name: 'bus-publisher' });
    this.worker.on('message', (m: { type: string; text?: string | null }) => {
      if (m.type === 'lastError') this.lastError = m.text ?? null;
    });
    this.worker.once('exit', (code) => {
      this.exited = true;
      clearInterval(this.timer);
      onExit(code);
    });
    this.timer = setInterval(() => {
      for (let i = 0; i < sources.length; i++) this.durable[i] = sources[i]!.durableSeq();
    }, cfg.pollMs);
  }

  status(): BusStatus {
    const st = this.stats;
    let lagRecords = 0;
    for (let i = 0; i < this.sources.length; i++) lagRecords += Math.max(0, this.sources[i]!.durableSeq() - st[STAT_ACKED + i]!);
    const oldest = st[STAT_OLDEST_AT]!;
    return {
      kind: 'nats',
      connected: st[STAT_CONNECTED] === 1,
      lagRecords,
      lagMs: lagRecords === 0 || oldest === 0 ? 0 : Math.max(0, Date.now() - oldest),
      lastError: this.lastError,
      published: st[STAT_PUBLISHED]!,
      errors: st[STAT_ERRORS]!,
      backoff: st[STAT_BACKOFF] === 1,
    };
  }

  /** Stops the thread once it has checkpointed (bounded wait). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    if (this.exited) return;
    for (let i = 0; i < this.sources.length; i++) this.durable[i] = this.sources[i]!.durableSeq();
    const stopped = new Promise<void>((resolve) => {
      this.worker.on('message', (m: { type: string }) => {
        if (m.type === 'stopped') resolve();
      });
      this.worker.once('exit', () => resolve());
    });
    this.worker.postMessage({ type: 'stop' });
    const timeout = new Promise<void>((r) => setTimeout(r, STOP_TIMEOUT_MS).unref());
    await Promise.race([stopped, timeout]);
    await this.worker.terminate();
  }
}
