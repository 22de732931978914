/**
 * One follower of the event feed (`GET /events/feed`, what the back office reads with
 * BUS_KIND=none): the events after a cursor, replayed from the journals, then live from the hub,
 * with neither a gap nor a repeat between the two.
 *
 * Cursor (`Last-Event-ID`): event ids separated by commas, at most one per stream — the last
 * event the follower has. Ids of another gateway id, of unknown streams or of another form are
 * ignored; a stream without an id is replayed from its first record.
 *
 * Hand-over: the session subscribes to the hub first (buffering), then notes, per stream, the
 * last seq the relay has put into the hub; it replays each journal from the cursor up to that
 * seq, then sends what the hub delivered meanwhile (all of it later than the replay) and
 * forwards the hub from then on. The relay publishes a record's events in the same synchronous
 * step as it advances its position, so the split is exact.
 *
 * Flow control: replay waits for the sink (`send` returning a promise); live events are handed
 * over at once, and a follower that falls more than {@link MAX_BUFFERED} events behind is cut off
 * (`onOverflow`): it reconnects with its cursor and catches up from the journal.
 *
 * Owner: the main event loop.
 */
import { rfc3339 } from '../contract/bus-event.js';
import { decodeRecord } from './codec.js';
import type { EventHub, HubEvent } from './hub.js';
import { JournalTail } from './journal-tail.js';
import type { JournalSource } from './relay.js';

/** Events held for one follower while it replays, or unsent while it is slow. */
export const MAX_BUFFERED = 100_000;
/** Records read per replay step (then the sink is awaited). */
const REPLAY_STEP = 512;

export interface FeedPosition {
  seq: number;
  /** index in a batch record; -1 for a whole record */
  index: number;
}

/** The per-stream positions of a cursor that belong to `gatewayId` (other ids are ignored). */
export function parseFeedCursor(gatewayId: string, cursor: string, streams: readonly string[]): Map<string, FeedPosition> {
  const out = new Map<string, FeedPosition>();
  const prefix = gatewayId + '.';
  for (const raw of cursor.split(',')) {
    const id = raw.trim();
    if (!id.startsWith(prefix)) continue;
    const parts = id.slice(prefix.length).split('.');
    if (parts.length < 2 || parts.length > 3 || !streams.includes(parts[0]!)) continue;
    if (!parts.slice(1).every((p) => /^\d{1,15}$/.test(p))) continue;
    out.set(parts[0]!, { seq: Number(parts[1]), index: parts.length === 3 ? Number(parts[2]) : -1 });
  }
  return out;
}

/** How far the hub has come per stream (the relay). */
export interface HubPosition {
  position(stream: string): number;
}

export interface FeedSink {
  /** sends one event; a promise when the sink wants to be waited for (replay only) */
  send(id: string, text: string): void | Promise<void>;
  /** the follower is too far behind: close it */
  onOverflow(): void;
}

export class FeedSession {
  private buffered: HubEvent[] | null = [];
  private unsubscribe: (() => void) | null = null;
  private closed = false;
  private readonly tails: JournalTail[] = [];

  constructor(
    private readonly gatewayId: string,
    private readonly sources: readonly JournalSource[],
    private readonly hub: EventHub,
    private readonly relay: HubPosition,
    private readonly sink: FeedSink,
  ) {}

  /** Replays from `cursor`, then follows the hub until {@link close}. */
  async start(cursor: string): Promise<void> {
    // subscribing and noting the hub's positions happen in one synchronous step (see the header)
    this.unsubscribe = this.hub.subscribe(this.onLive);
    const upTos = this.sources.map((s) => this.relay.position(s.name));
    const from = parseFeedCursor(this.gatewayId, cursor, this.sources.map((s) => s.name));
    for (let i = 0; i < this.sources.length; i++) {
      const src = this.sources[i]!;
      const upTo = upTos[i]!;
      const pos = from.get(src.name) ?? { seq: 0, index: -1 };
      if (this.closed) return;
      await this.replay(src, pos, upTo);
    }
    if (this.closed) return;
    const held = this.buffered!;
    this.buffered = null;
    for (const e of held) this.sink.send(e.id, e.text);
  }

  private async replay(src: JournalSource, pos: FeedPosition, upTo: number): Promise<void> {
    // a whole record the follower has: start after it; a batch record: its later events
    const first = pos.index < 0 ? pos.seq + 1 : Math.max(1, pos.seq);
    if (first > upTo) return;
    const tail = new JournalTail(src.dir, first);
    this.tails.push(tail);
    const out: Array<[string, string]> = [];
    try {
      while (!this.closed && tail.nextSeq <= upTo) {
        const n = await tail.read(
          upTo,
          (r) => {
            decodeRecord(this.gatewayId, src.name, r, (id, event) => {
              if (r.seq === pos.seq && indexOf(id) <= pos.index) return;
              out.push([id, JSON.stringify(event)]);
            });
          },
          REPLAY_STEP,
        );
        for (const [id, text] of out) {
          if (this.closed) return;
          const w = this.sink.send(id, text);
          if (w !== undefined) await w;
        }
        out.length = 0;
        if (n === 0) break; // the journal has nothing more on disk up to upTo (should not happen)
      }
    } finally {
      await tail.close().catch(() => {});
    }
  }

  private readonly onLive = (e: HubEvent): void => {
    if (this.closed) return;
    const b = this.buffered;
    if (b !== null) {
      if (b.length >= MAX_BUFFERED) return this.overflow();
      b.push(e);
      return;
    }
    this.sink.send(e.id, e.text);
  };

  private overflow(): void {
    this.close();
    this.sink.onOverflow();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.buffered = null;
  }
}

/** The batch index of an id (`...<seq>.<index>`), -1 for a whole-record id. */
function indexOf(id: string): number {
  const parts = id.split('.');
  return parts.length >= 4 && /^\d+$/.test(parts[parts.length - 2]!) ? Number(parts[parts.length - 1]) : -1;
}

/** `at` of now, for keep-alive comments that say when they were sent. */
export function keepAliveComment(nowMs: number): string {
  return `: keep-alive ${rfc3339(nowMs)}\n\n`;
}
