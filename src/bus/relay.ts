/**
 * The outbox relay into the in-process hub: follows every journal of the gateway (the durable
 * path's `orders` journal and the /v3 shard journals `v3-<n>`) and publishes each event into the
 * {@link EventHub} once its record is durable, in journal order per stream.
 *
 * It never touches order acceptance: it reads the journal files (async reads, libuv's pool) up to
 * each journal's durable seq, which it only reads (a field of the durable service, a shared
 * Float64Array of the drain workers). It polls every BUS_POLL_MS; a pass reads at most
 * {@link MAX_RECORDS_PER_PASS} records per stream, so the event loop is never held for long.
 * With nobody subscribed, records are read and counted but not decoded.
 *
 * It starts at the durable end of each journal: events written before the start are served from
 * the journals themselves (feed.ts), not through the hub.
 *
 * Owner: the main event loop (the hub's single publisher).
 */
import type { Logger } from 'pino';
import type { BusEvent } from '../contract/bus-event.js';
import { carriesEvents, decodeRecord } from './codec.js';
import { type EventHub, hubEvent } from './hub.js';
import { JournalTail } from './journal-tail.js';

/** One journal the bus carries. */
export interface JournalSource {
  /** stream name in event ids: `orders`, `v3-<n>` */
  readonly name: string;
  readonly dir: string;
  /** its last durable seq now */
  durableSeq(): number;
}

export const MAX_RECORDS_PER_PASS = 4096;

interface Followed {
  src: JournalSource;
  tail: JournalTail;
  /** last seq handed to the hub */
  published: number;
}

export class OutboxRelay {
  private readonly followed: Followed[];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private errorLogged = false;
  eventsPublished = 0;

  constructor(
    private readonly gatewayId: string,
    sources: readonly JournalSource[],
    private readonly hub: EventHub,
    private readonly pollMs: number,
    private readonly log: Logger,
  ) {
    this.followed = sources.map((src) => {
      const d = src.durableSeq();
      return { src, tail: new JournalTail(src.dir, d + 1), published: d };
    });
  }

  get sources(): readonly JournalSource[] {
    return this.followed.map((f) => f.src);
  }

  /** Last seq of `stream` whose events are in the hub (everything after comes through it). */
  position(stream: string): number {
    const f = this.followed.find((x) => x.src.name === stream);
    return f === undefined ? 0 : f.published;
  }

  start(): void {
    if (this.timer !== null || this.stopped) return;
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.pass().finally(() => {
        this.running = null;
        this.schedule();
      });
    }, this.pollMs);
  }

  /** One pass over every journal. */
  private async pass(): Promise<void> {
    for (const f of this.followed) {
      const d = f.src.durableSeq();
      if (d <= f.published) continue;
      try {
        await f.tail.read(
          d,
          (r) => {
            f.published = r.seq;
            if (this.hub.subscribers === 0 || !carriesEvents(r.type)) return;
            decodeRecord(this.gatewayId, f.src.name, r, this.emit);
          },
          MAX_RECORDS_PER_PASS,
        );
        this.errorLogged = false;
      } catch (err) {
        // An undecodable record is skipped (logged); a journal that cannot be read is retried.
        if ((err as { code?: string }).code === 'BUS_RECORD_UNDECODABLE') {
          this.log.error({ err, stream: f.src.name }, 'bus: journal record skipped: not a readable event');
          continue;
        }
        if (!this.errorLogged) this.log.error({ err, stream: f.src.name }, 'bus: cannot read the journal; retrying');
        this.errorLogged = true;
        await f.tail.close().catch(() => {});
        f.tail = new JournalTail(f.src.dir, f.published + 1);
      }
    }
  }

  private readonly emit = (id: string, event: BusEvent): void => {
    this.eventsPublished++;
    this.hub.publish(hubEvent(id, event));
  };

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    for (const f of this.followed) await f.tail.close().catch(() => {});
  }
}
