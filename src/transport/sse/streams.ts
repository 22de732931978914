/**
 * The open SSE streams: every event the hub delivers is framed once, kept in the replay buffers
 * (replay-buffer.ts) and written to the streams that follow its account, its order, or every
 * account. Keep-alive comments, caps on open streams, slow clients and shutdown are handled here;
 * routes and authentication are routes.ts's.
 *
 * Owner: the main event loop. The hub calls {@link SseStreams.deliver} synchronously for each
 * journaled event, in journal order per stream; nothing here blocks or awaits.
 *
 * Invariants:
 *   - a stream is in `streams` and in exactly one of `byAccount`/`byOrder`/`everyone` from the
 *     moment its headers are written until it closes; counts per account follow the same life
 *   - per stream, events are written in delivery order: replayed ones (all written before the
 *     stream is registered, in the same tick), then live ones
 *   - memory: a stream's unsent bytes never exceed SSE_MAX_WRITE_BUFFER_BYTES plus one frame;
 *     beyond it the stream is destroyed (slow client; it reconnects with Last-Event-ID)
 *
 * Per-connection state: one {@link SseStream} under a symbol on the response; the close listener
 * is a module function.
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { HubEvent } from '../../bus/hub.js';
import type { SseConfig } from '../../config/sse.js';
import { eventFrame, KEEPALIVE, resyncFrame, SHUTDOWN, sseEventName, type StreamScope } from './frames.js';
import { ReplayBuffers } from './replay-buffer.js';

/** What the streams need of the event hub (bus/hub.ts EventHub). */
export interface StreamEvents {
  subscribe(listener: (e: HubEvent) => void): () => void;
}

/** Why a stream was refused: stable reason codes, with their HTTP status. */
export type StreamRefusal = 'SSE_TOO_MANY_STREAMS' | 'SSE_CAPACITY_EXHAUSTED' | 'SHUTTING_DOWN';
export const REFUSAL_STATUS: Readonly<Record<StreamRefusal, number>> = {
  SSE_TOO_MANY_STREAMS: 429,
  SSE_CAPACITY_EXHAUSTED: 503,
  SHUTTING_DOWN: 503,
};

export class SseCounters {
  opened = 0;
  refusedAccount = 0;
  refusedCapacity = 0;
  refusedShutdown = 0;
  /** streams closed because their client did not read fast enough */
  slowClientDrops = 0;
  eventsDelivered = 0;
  eventsWritten = 0;
  replayedEvents = 0;
  resyncs = 0;
  keepalives = 0;
}

const kStream = Symbol('switchyard.sse');

class SseStream {
  /** something was written since the last keep-alive tick */
  wrote = true;
  closed = false;
  constructor(
    readonly owner: SseStreams,
    readonly res: ServerResponse,
    readonly scope: StreamScope,
    /** the account the stream counts against (the caller's) */
    readonly capAccount: string,
  ) {}
}

type StreamResponse = ServerResponse & { [kStream]?: SseStream };

function onStreamClose(this: StreamResponse): void {
  const s = this[kStream];
  if (s !== undefined) s.owner.forget(s);
}

/** Headers of every stream. `connection: close`: the connection ends with its stream. */
const STREAM_HEADERS = ['content-type', 'text/event-stream', 'cache-control', 'no-cache', 'x-accel-buffering', 'no', 'connection', 'close'];

function addTo<K>(m: Map<K, Set<SseStream>>, k: K, s: SseStream): void {
  let set = m.get(k);
  if (set === undefined) m.set(k, (set = new Set()));
  set.add(s);
}

function removeFrom<K>(m: Map<K, Set<SseStream>>, k: K, s: SseStream): void {
  const set = m.get(k);
  if (set === undefined) return;
  set.delete(s);
  if (set.size === 0) m.delete(k);
}

export class SseStreams {
  readonly counters = new SseCounters();
  readonly buffers: ReplayBuffers;
  private readonly streams = new Set<SseStream>();
  private readonly byAccount = new Map<string, Set<SseStream>>();
  private readonly byOrder = new Map<string, Set<SseStream>>();
  private readonly everyone = new Set<SseStream>();
  private readonly perAccount = new Map<string, number>();
  private unsubscribe: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closing = false;
  private readonly onEvent = (e: HubEvent): void => this.deliver(e);

  constructor(
    private readonly cfg: SseConfig,
    private readonly hub: StreamEvents,
    private readonly log: Logger,
  ) {
    this.buffers = new ReplayBuffers(cfg.bufferSize, cfg.bufferAccounts);
  }

  /** Subscribes to the hub and starts the keep-alive timer. */
  start(): void {
    if (this.unsubscribe !== null) return;
    this.unsubscribe = this.hub.subscribe(this.onEvent);
    this.timer = setInterval(() => this.keepAlive(), this.cfg.keepAliveMs);
    this.timer.unref();
  }

  get open(): number {
    return this.streams.size;
  }

  /** Null when a stream counted against `capAccount` may open now, else why not. */
  admit(capAccount: string): StreamRefusal | null {
    if (this.closing) {
      this.counters.refusedShutdown++;
      return 'SHUTTING_DOWN';
    }
    if (this.streams.size >= this.cfg.maxStreams) {
      this.counters.refusedCapacity++;
      return 'SSE_CAPACITY_EXHAUSTED';
    }
    if ((this.perAccount.get(capAccount) ?? 0) >= this.cfg.maxStreamsPerAccount) {
      this.counters.refusedAccount++;
      return 'SSE_TOO_MANY_STREAMS';
    }
    return null;
  }

  /**
   * Opens a stream on `res` (the caller checked {@link admit} in this tick): headers, then
   * `resync_required` or the replayed events after `lastEventId`, then live events.
   */
  openStream(res: ServerResponse, scope: StreamScope, capAccount: string, lastEventId: string | undefined): void {
    const s = new SseStream(this, res, scope, capAccount);
    res.writeHead(200, STREAM_HEADERS);
    const plan = this.buffers.plan(scope, lastEventId);
    if (plan.kind === 'resync') {
      this.counters.resyncs++;
      res.write(resyncFrame(scope, lastEventId!, plan.oldestAvailableId));
    } else if (plan.kind === 'replay') {
      this.counters.replayedEvents += plan.events.length;
      for (const e of plan.events) res.write(e.frame);
    } else res.flushHeaders();
    (res as StreamResponse)[kStream] = s;
    res.once('close', onStreamClose);
    this.streams.add(s);
    this.perAccount.set(capAccount, (this.perAccount.get(capAccount) ?? 0) + 1);
    if (scope.kind === 'account') addTo(this.byAccount, scope.accountId, s);
    else if (scope.kind === 'order') addTo(this.byOrder, scope.orderId, s);
    else this.everyone.add(s);
    this.counters.opened++;
    this.checkBacklog(s);
  }

  /** One journaled event: buffered for replay, written to the streams that follow it. */
  deliver(e: HubEvent): void {
    this.counters.eventsDelivered++;
    const ev = e.event;
    const accountId = ev.accountId;
    const orderId = ev.orderId;
    const frame = eventFrame(e.id, sseEventName(ev.type), e.text);
    this.buffers.push(accountId, { id: e.id, orderId, frame });
    if (this.streams.size === 0) return;
    const acc = this.byAccount.get(accountId);
    if (acc !== undefined) for (const s of acc) this.write(s, frame);
    if (orderId !== null) {
      const ord = this.byOrder.get(orderId);
      if (ord !== undefined) for (const s of ord) if (s.scope.kind === 'order' && s.scope.accountId === accountId) this.write(s, frame);
    }
    for (const s of this.everyone) this.write(s, frame);
  }

  private write(s: SseStream, frame: string): void {
    if (s.closed) return;
    s.res.write(frame);
    s.wrote = true;
    this.counters.eventsWritten++;
    this.checkBacklog(s);
  }

  /** A client that does not read: its stream is closed before its backlog outgrows the bound. */
  private checkBacklog(s: SseStream): void {
    if (s.res.writableLength <= this.cfg.maxWriteBufferBytes) return;
    this.counters.slowClientDrops++;
    this.log.warn({ scope: s.scope.kind, account: s.capAccount, unsentBytes: s.res.writableLength, limit: this.cfg.maxWriteBufferBytes }, 'SSE client too slow: stream closed (it may reconnect with Last-Event-ID)');
    this.forget(s);
    s.res.destroy();
  }

  /** Removes a stream from every index (its connection closed, or it is being dropped). */
  forget(s: SseStream): void {
    if (s.closed) return;
    s.closed = true;
    this.streams.delete(s);
    const n = (this.perAccount.get(s.capAccount) ?? 1) - 1;
    if (n <= 0) this.perAccount.delete(s.capAccount);
    else this.perAccount.set(s.capAccount, n);
    const scope = s.scope;
    if (scope.kind === 'account') removeFrom(this.byAccount, scope.accountId, s);
    else if (scope.kind === 'order') removeFrom(this.byOrder, scope.orderId, s);
    else this.everyone.delete(s);
  }

  private keepAlive(): void {
    for (const s of this.streams) {
      if (s.wrote) {
        s.wrote = false;
        continue;
      }
      this.counters.keepalives++;
      s.res.write(KEEPALIVE);
      this.checkBacklog(s);
    }
  }

  /**
   * Shutdown: no new streams (503 SHUTTING_DOWN), no more events; every open stream gets a
   * `:shutdown` comment and ends cleanly (its connection closes after it). Idempotent.
   */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer !== null) clearInterval(this.timer);
    const n = this.streams.size;
    for (const s of [...this.streams]) {
      this.forget(s);
      s.res.end(SHUTDOWN);
    }
    if (n > 0) this.log.info({ streams: n }, 'SSE streams closed for shutdown');
  }
}
