/**
 * BUS_KIND=nats: events from JetStream through a durable pull consumer with explicit acks.
 *
 *  - stream: created or checked with bus/stream.ts `ensureStream`;
 *  - consumer BACKOFFICE_CONSUMER: deliver all, ack explicit, filter `<prefix>.>`, ack wait
 *    BACKOFFICE_ACK_WAIT_MS;
 *  - each message: id = `Nats-Msg-Id` header (else `jetstream.<stream>.<stream seq>`, stable across
 *    redeliveries), handed to the sink, acked only after the sink says it committed;
 *  - batches: the sink gets the next message together with those the client has already received
 *    (up to BACKOFFICE_BATCH_MAX; whatever the iterator yields before a setImmediate), never
 *    waiting for more;
 *  - rewind at start: events delivered to the last incarnation but never acked would come back
 *    only after their ack wait, behind newer ones. When the durable consumer has such events (or
 *    a configuration that does not fit), it is re-created from its ack floor (+1), so they come
 *    back now and in stream order. Redelivered events are then deduplicated by the books.
 *  - NATS unreachable (at start or later): a clear log line and reconnects with backoff; the
 *    client itself reconnects a dropped connection and the consumer resumes.
 *
 * Owner: the event loop; one batch in the sink at a time.
 */
import { AckPolicy, type ConsumerConfig, type ConsumerMessages, DeliverPolicy, jetstream, type JetStreamManager, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { allAccountsFilter, ensureStream, MSG_ID_HEADER } from '../../bus/stream.js';
import { backoffMs, sleep } from '../backoff.js';
import type { InputConfig } from '../config.js';
import type { InputStatus } from '../metrics.js';
import { decodeEvent, type EventInput, type Sink } from './delivery.js';

const NS_PER_MS = 1_000_000;
const STOP_GRACE_MS = 2_000;

const IDLE = Symbol('idle');
/** Resolves after the pending microtasks and I/O callbacks of this turn of the event loop. */
const turn = (): Promise<typeof IDLE> => new Promise((resolve) => setImmediate(resolve, IDLE));

function isConsumerNotFound(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return e?.code === 10014 || (typeof e?.message === 'string' && /consumer not found/i.test(e.message));
}

export class NatsInput implements EventInput {
  private readonly abort = new AbortController();
  private nc: NatsConnection | null = null;
  private messages: ConsumerMessages | null = null;
  private readonly st: InputStatus = { kind: 'nats', connected: false, pending: null, lastError: null };
  private running: Promise<void> | null = null;

  constructor(
    private readonly cfg: InputConfig,
    private readonly log: Logger,
  ) {}

  status(): InputStatus {
    return { ...this.st };
  }

  run(sink: Sink): Promise<void> {
    this.running ??= this.loop(sink);
    return this.running;
  }

  private async loop(sink: Sink): Promise<void> {
    let attempt = 0;
    while (!this.abort.signal.aborted) {
      try {
        await this.session(sink, () => {
          attempt = 0;
        });
      } catch (err) {
        const msg = (err as Error)?.message ?? String(err);
        this.st.lastError = msg;
        if (!this.abort.signal.aborted) {
          const wait = backoffMs(attempt, this.cfg);
          const level = attempt === 0 || attempt % 20 === 0 ? 'warn' : 'debug';
          this.log[level]({ natsUrl: this.cfg.natsUrl, err: msg, attempt, retryInMs: wait }, `back office: NATS JetStream at ${this.cfg.natsUrl} not usable; retrying`);
        }
      }
      this.st.connected = false;
      if (this.abort.signal.aborted) break;
      await sleep(backoffMs(attempt++, this.cfg), this.abort.signal);
    }
  }

  private async session(sink: Sink, onReady: () => void): Promise<void> {
    const nc = await connect({ servers: this.cfg.natsUrl, name: 'switchyard-backoffice', maxReconnectAttempts: -1, reconnectTimeWait: this.cfg.retryMaxMs });
    this.nc = nc;
    if (this.abort.signal.aborted) {
      await nc.close();
      return;
    }
    void this.watch(nc);
    try {
      const jsm = await jetstreamManager(nc);
      const made = await ensureStream(jsm, this.cfg.stream);
      const consumer = await this.ensureConsumer(jsm);
      this.log.info({ stream: this.cfg.stream.stream, streamAction: made, consumer: this.cfg.consumer, consumerAction: consumer }, 'back office: consuming JetStream');
      const js = jetstream(nc);
      const c = await js.consumers.get(this.cfg.stream.stream, this.cfg.consumer);
      const messages = await c.consume({ max_messages: this.cfg.pullBatch });
      this.messages = messages;
      if (this.abort.signal.aborted) messages.stop();
      void this.watchConsumer(messages);
      this.st.connected = true;
      this.st.lastError = null;
      onReady();
      const fallback = `jetstream.${this.cfg.stream.stream}.`;
      const it = messages[Symbol.asyncIterator]();
      // A next() that was still waiting when its batch was closed: the first of the next batch.
      let waiting: Promise<IteratorResult<JsMsg>> | null = null;
      let ended = false;
      try {
        while (!ended) {
          const first = await (waiting ?? it.next());
          waiting = null;
          if (first.done === true) break;
          const batch: JsMsg[] = [first.value];
          // Only what the client holds already: a buffered message resolves next() within
          // microtasks, before a setImmediate. (The iterator's getPending() counts the consumer's
          // own pull requests too, so waiting on it could stall a batch until a pull expired.)
          while (batch.length < this.cfg.batchMax) {
            const p = it.next();
            const r = await Promise.race([p, turn()]);
            if (r === IDLE) {
              waiting = p;
              break;
            }
            if (r.done === true) {
              ended = true;
              break;
            }
            batch.push(r.value);
          }
          const deliveries = batch.map((m) => {
            const header = m.headers?.get(MSG_ID_HEADER);
            return decodeEvent(header !== undefined && header !== '' ? header : fallback + m.seq, m.string());
          });
          this.st.pending = batch[batch.length - 1]!.info.pending;
          if (!(await sink(deliveries))) break;
          for (const m of batch) {
            try {
              m.ack();
            } catch {
              // connection closing: the event is redelivered and deduplicated
            }
          }
        }
      } finally {
        // a next() may still wait: stopping the messages ends it, then the iterator can return
        messages.stop();
        await it.return?.(undefined);
      }
    } finally {
      this.messages = null;
      this.st.connected = false;
      if (!nc.isClosed()) await nc.close().catch(() => {});
      this.nc = null;
    }
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        this.st.connected = false;
        this.log.warn({ natsUrl: this.cfg.natsUrl }, 'back office: NATS connection lost; reconnecting');
      } else if (s.type === 'reconnect') {
        this.st.connected = true;
        this.log.info({ natsUrl: this.cfg.natsUrl }, 'back office: NATS reconnected');
      }
    }
  }

  /**
   * The consume loop keeps pulling from a consumer or stream that was deleted; end the session
   * instead, so the next one re-creates them (a deleted consumer then replays the stream, and the
   * books deduplicate).
   */
  private async watchConsumer(messages: ConsumerMessages): Promise<void> {
    for await (const s of messages.status()) {
      if (s.type === 'consumer_deleted' || s.type === 'consumer_not_found' || s.type === 'stream_not_found') {
        this.log.warn({ consumer: this.cfg.consumer, notification: s.type }, 'back office: JetStream consumer gone; re-creating it');
        messages.stop();
        return;
      }
    }
  }

  /** Creates the durable consumer, or re-creates it from its ack floor (see the header). */
  private async ensureConsumer(jsm: JetStreamManager): Promise<'created' | 'present' | 'rewound'> {
    const { stream } = this.cfg.stream;
    const want: Partial<ConsumerConfig> = {
      durable_name: this.cfg.consumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: allAccountsFilter(this.cfg.stream),
      ack_wait: this.cfg.ackWaitMs * NS_PER_MS,
    };
    let info;
    try {
      info = await jsm.consumers.info(stream, this.cfg.consumer);
    } catch (err) {
      if (!isConsumerNotFound(err)) throw err;
      await jsm.consumers.add(stream, want);
      return 'created';
    }
    const c = info.config;
    const fits = c.ack_policy === AckPolicy.Explicit && c.filter_subject === want.filter_subject && c.ack_wait === want.ack_wait;
    if (fits && info.num_ack_pending === 0) return 'present';
    const floor = info.ack_floor.stream_seq;
    this.log.info({ consumer: this.cfg.consumer, ackFloor: floor, unacked: info.num_ack_pending, fits }, 'back office: re-creating the consumer from its ack floor');
    await jsm.consumers.delete(stream, this.cfg.consumer);
    await jsm.consumers.add(stream, floor > 0 ? { ...want, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: floor + 1 } : want);
    return 'rewound';
  }

  /**
   * Stops consuming: the event in the sink finishes and is acked while the connection is still
   * open; a session stuck in a JetStream request is cut after {@link STOP_GRACE_MS}.
   */
  async stop(): Promise<void> {
    this.abort.abort();
    this.messages?.stop();
    const running = this.running?.catch(() => {});
    const timer = new Promise<void>((r) => setTimeout(r, STOP_GRACE_MS).unref());
    await Promise.race([running, timer]);
    const nc = this.nc;
    if (nc !== null && !nc.isClosed()) await nc.close().catch(() => {});
    await running;
  }
}
