/**
 * BUS_KIND=nats: the outbox relay to NATS JetStream. Follows every journal of the gateway from
 * its checkpoint (checkpoint.ts) — not the hub: it resumes where JetStream last acknowledged, not
 * where the process happens to start — and publishes each event of each durable record:
 *
 *   subject     <BUS_SUBJECT_PREFIX>.<account token>      (stream.ts `subjectFor`)
 *   header      Nats-Msg-Id: <event id>                   (JetStream drops a repeat within the window)
 *   payload     the bus_event_v1 JSON
 *
 * Publishes are pipelined (at most BUS_MAX_IN_FLIGHT awaiting their ack); acks are taken in
 * publish order and a journal record counts as published once all its events are acknowledged:
 * the checkpoint moves over it then (written every {@link CHECKPOINT_EVERY_MS}). Any failure —
 * NATS unreachable at start-up, a lost connection, a publish timeout, a stream that does not fit —
 * drops the connection and the in-flight window, logs one clear line (then every 20th attempt),
 * and retries with exponential backoff (BUS_RETRY_MIN_MS..BUS_RETRY_MAX_MS) from the checkpoint;
 * events published twice that way carry the same id, so JetStream stores them once.
 *
 * It never touches order acceptance: the journal is the outbox. While NATS is away nothing
 * accumulates in memory — the events wait in the journal files — and the lag is visible
 * (gateway_bus_lag_records, gateway_bus_lag_ms, gateway_bus_backoff).
 *
 * Owner: the main event loop (async; its reads go to libuv's pool, its sends to the socket).
 */
import { jetstream, jetstreamManager, type JetStreamClient, type PubAck } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { BusConfig } from '../config/bus.js';
import { writeCheckpoint } from './checkpoint.js';
import { carriesEvents, decodeRecord } from './codec.js';
import { JournalTail } from './journal-tail.js';
import type { JournalSource } from './relay.js';
import { ensureStream, subjectFor } from './stream.js';

/** What the console and /metrics show of the bus. */
export interface BusStatus {
  kind: 'none' | 'nats';
  connected: boolean;
  /** durable journal records not yet acknowledged by JetStream (all streams) */
  lagRecords: number;
  /** age of the oldest such record, ms (0 when none) */
  lagMs: number;
  lastError: string | null;
  published: number;
  errors: number;
  /** waiting before the next attempt */
  backoff: boolean;
}

const CHECKPOINT_EVERY_MS = 100;
/** Attempts logged at warn: the first of a run of failures, then every 20th. */
const LOG_EVERY = 20;
const PUBLISH_TIMEOUT_MS = 5_000;

interface InFlight {
  stream: number;
  seq: number;
  atMs: number;
  /** the record's last event (or a record without events): the checkpoint may move over `seq` */
  last: boolean;
  ack: Promise<PubAck> | null;
}

export function backoffMs(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.max(1, Math.round(base * (0.8 + 0.4 * random())));
}

const ignore = (): void => {};

export class NatsPublisher {
  published = 0;
  duplicates = 0;
  errors = 0;
  private connected = false;
  private backoff = false;
  private lastError: string | null = null;
  /** per source: last seq all of whose events JetStream acknowledged */
  private readonly acked: number[];
  private stalledAt = 0;
  private inflight: InFlight[] = [];
  private head = 0;
  private stopped = false;
  private wake: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private nc: NatsConnection | null = null;
  private saved: string;
  private saving: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly cfg: BusConfig,
    private readonly gatewayId: string,
    private readonly sources: readonly JournalSource[],
    private readonly checkpointFile: string,
    checkpoint: ReadonlyMap<string, number>,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.acked = sources.map((s) => checkpoint.get(s.name) ?? 0);
    this.saved = this.checkpointText();
  }

  start(): void {
    if (this.running !== null) return;
    this.timer = setInterval(() => this.saveCheckpoint(), CHECKPOINT_EVERY_MS);
    this.timer.unref();
    this.running = this.loop();
  }

  status(): BusStatus {
    const lagRecords = this.lagRecords();
    return { kind: 'nats', connected: this.connected, lagRecords, lagMs: this.lagMs(lagRecords), lastError: this.lastError, published: this.published, errors: this.errors, backoff: this.backoff };
  }

  lagRecords(): number {
    let n = 0;
    for (let i = 0; i < this.sources.length; i++) n += Math.max(0, this.sources[i]!.durableSeq() - this.acked[i]!);
    return n;
  }

  private lagMs(lagRecords: number): number {
    if (lagRecords === 0) return 0;
    const h = this.inflight[this.head];
    const since = h !== undefined ? h.atMs : this.stalledAt;
    return since === 0 ? 0 : Math.max(0, this.now() - since);
  }

  /** Checkpointed seq of a stream (tests, status). */
  checkpointOf(stream: string): number {
    const i = this.sources.findIndex((s) => s.name === stream);
    return i < 0 ? 0 : this.acked[i]!;
  }

  private async loop(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      try {
        await this.session(() => {
          attempt = 0;
        });
      } catch (err) {
        if (this.stopped) break;
        this.errors++;
        const msg = describe(err);
        this.lastError = msg;
        const wait = backoffMs(attempt, this.cfg.retryMinMs, this.cfg.retryMaxMs);
        const level = attempt % LOG_EVERY === 0 ? 'warn' : 'debug';
        this.log[level](
          { natsUrl: this.cfg.natsUrl, err: msg, attempt, retryInMs: wait, lagRecords: this.lagRecords() },
          `bus: NATS JetStream at ${this.cfg.natsUrl} not usable; retrying (orders are accepted as usual; their events wait in the journal)`,
        );
        this.backoff = true;
        await this.sleep(wait);
        this.backoff = false;
        attempt++;
      }
    }
  }

  /** One connection: publishes until it fails (throws) or the publisher stops. */
  private async session(onReady: () => void): Promise<void> {
    const nc = await connect({ servers: this.cfg.natsUrl.split(','), name: `switchyard-gateway-${this.gatewayId}`, maxReconnectAttempts: 0, timeout: 2_000 });
    this.nc = nc;
    const alive = { ok: true };
    let pumping: Promise<void> | null = null;
    try {
      if (this.stopped) return;
      const made = await ensureStream(await jetstreamManager(nc), this.cfg.stream);
      const js = jetstream(nc, { timeout: PUBLISH_TIMEOUT_MS });
      this.connected = true;
      this.lastError = null;
      onReady();
      this.log.info({ natsUrl: this.cfg.natsUrl, stream: this.cfg.stream.stream, streamAction: made, from: Object.fromEntries(this.sources.map((s, i) => [s.name, this.acked[i]])) }, 'bus: publishing to NATS JetStream');
      const closed = nc.closed().then((err) => {
        throw err ?? new Error('NATS connection closed');
      });
      closed.catch(ignore);
      pumping = this.pump(js, alive);
      pumping.catch(ignore);
      await Promise.race([pumping, closed]);
    } catch (err) {
      const h = this.inflight[this.head];
      if (h !== undefined) this.stalledAt = h.atMs;
      else if (this.stalledAt === 0) this.stalledAt = this.now();
      throw err;
    } finally {
      alive.ok = false;
      this.connected = false;
      if (!nc.isClosed()) await nc.close().catch(ignore);
      // the acks in flight fail with the connection: the pump ends
      await pumping?.catch(ignore);
      this.inflight = [];
      this.head = 0;
      this.nc = null;
    }
  }

  /** Reads durable records, publishes their events, takes the acks in order. */
  private async pump(js: JetStreamClient, alive: { ok: boolean }): Promise<void> {
    const tails = this.sources.map((s, i) => new JournalTail(s.dir, this.acked[i]! + 1));
    const max = this.cfg.maxInFlight;
    const prefix = this.cfg.stream;
    try {
      while (!this.stopped && alive.ok) {
        // fill the window
        for (let i = 0; i < tails.length; i++) {
          const room = max - (this.inflight.length - this.head);
          if (room <= 0) break;
          const d = this.sources[i]!.durableSeq();
          const t = tails[i]!;
          if (t.nextSeq > d) continue;
          await t.read(
            d,
            (r) => {
              const at = r.atMs;
              if (!carriesEvents(r.type)) {
                this.inflight.push({ stream: i, seq: r.seq, atMs: at, last: true, ack: null });
                return;
              }
              const start = this.inflight.length;
              decodeRecord(this.gatewayId, this.sources[i]!.name, r, (id, ev) => {
                const ack = js.publish(subjectFor(prefix, ev.accountId), JSON.stringify(ev), { msgID: id });
                ack.catch(ignore);
                this.inflight.push({ stream: i, seq: r.seq, atMs: at, last: false, ack });
              });
              if (this.inflight.length === start) this.inflight.push({ stream: i, seq: r.seq, atMs: at, last: true, ack: null });
              else this.inflight[this.inflight.length - 1]!.last = true;
            },
            Math.max(1, Math.floor(room / 8)),
          );
        }
        if (this.head === this.inflight.length) {
          this.inflight = [];
          this.head = 0;
          this.stalledAt = 0;
          await this.sleep(this.cfg.pollMs);
          continue;
        }
        // take the acks that are due (at least the oldest)
        const f = this.inflight[this.head]!;
        if (f.ack !== null) {
          const a = await f.ack;
          this.published++;
          if (a.duplicate) this.duplicates++;
        }
        this.inflight[this.head++] = undefined as unknown as InFlight;
        if (f.last) this.acked[f.stream] = f.seq;
        if (this.head > 4096 && this.head * 2 > this.inflight.length) {
          this.inflight = this.inflight.slice(this.head);
          this.head = 0;
        }
      }
    } finally {
      for (const t of tails) await t.close().catch(ignore);
    }
  }

  private checkpointText(): string {
    return this.acked.join(',');
  }

  private saveCheckpoint(): Promise<void> {
    if (this.saving !== null) return this.saving;
    const text = this.checkpointText();
    if (text === this.saved) return Promise.resolve();
    const streams = new Map(this.sources.map((s, i) => [s.name, this.acked[i]!]));
    this.saving = writeCheckpoint(this.checkpointFile, this.gatewayId, streams).then(
      () => {
        this.saved = text;
        this.saving = null;
      },
      (err: unknown) => {
        this.saving = null;
        this.log.error({ err }, 'bus: cannot write the checkpoint; a restart would publish more again (deduplicated within the window)');
      },
    );
    return this.saving;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
  }

  /** Stops publishing (what JetStream acknowledged is checkpointed; the rest goes out after the restart). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    if (this.timer !== null) clearInterval(this.timer);
    const nc = this.nc;
    // let the acks in flight arrive (bounded), then close
    const grace = new Promise<void>((r) => setTimeout(r, 2_000).unref());
    await Promise.race([this.running?.catch(ignore), grace]);
    if (nc !== null && !nc.isClosed()) await nc.close().catch(ignore);
    await this.running?.catch(ignore);
    await this.saving;
    await this.saveCheckpoint();
  }
}

/** A one-line reason (connection errors hide the socket error in `cause`). */
function describe(err: unknown): string {
  const e = err as { message?: string; code?: string; cause?: { code?: string; message?: string } };
  const c = e?.cause;
  if (c?.code !== undefined) return `${e.message ?? 'error'} (${c.code})`;
  return e?.message ?? String(err);
}
