/**
 * BUS_KIND=none: events from the gateway's event feed, an SSE stream.
 *
 *   GET <BACKOFFICE_GATEWAY_URL>/events/feed
 *   Authorization: Bearer <admin token minted by the back office with JWT_HS256_SECRET>
 *   Last-Event-ID: <last applied event id per gateway stream, comma-separated>   (omitted at first)
 *   → 200 text/event-stream: `id: <eventId>` + `data: <bus_event_v1 JSON>` per event, `:` keep-alives
 *
 * The cursor is read from the books at every (re)connect, so it is exactly what was committed; the
 * gateway resends from those positions and the redelivered events are deduplicated by the books.
 * The SSE framing is parsed by `eventsource-parser`; this file owns the connection: reconnects
 * with backoff on any error, end of stream or silence longer than BACKOFFICE_FEED_IDLE_MS, and
 * reads the next chunk only once the events of the last one are committed (backpressure through
 * the socket). The events of one chunk go to the sink in batches of up to BACKOFFICE_BATCH_MAX.
 *
 * Owner: the event loop; one batch in the sink at a time.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { Logger } from 'pino';
import { backoffMs, sleep } from '../backoff.js';
import type { InputConfig } from '../config.js';
import type { InputStatus } from '../metrics.js';
import { decodeEvent, type EventInput, MAX_EVENT_TEXT, type Sink } from './delivery.js';

export const FEED_PATH = '/events/feed';

export interface FeedDeps {
  /** the Last-Event-ID value for the next connection ('' = from the beginning) */
  cursor(): Promise<string>;
  /** a bearer token with the admin role */
  token(): Promise<string>;
}

/** Why a connection ended, as a stable code plus text. */
class FeedError extends Error {
  constructor(
    readonly code: 'HTTP_STATUS' | 'NOT_SSE' | 'IDLE' | 'ENDED' | 'BAD_STREAM',
    message: string,
  ) {
    super(message);
    this.name = 'FeedError';
  }
}

export class FeedInput implements EventInput {
  private readonly abort = new AbortController();
  private readonly st: InputStatus = { kind: 'feed', connected: false, pending: null, lastError: null };
  private running: Promise<void> | null = null;
  private readonly url: string;
  /** events committed on the current connection */
  private delivered = 0;

  constructor(
    private readonly cfg: InputConfig,
    private readonly deps: FeedDeps,
    private readonly log: Logger,
  ) {
    this.url = cfg.gatewayUrl + FEED_PATH;
  }

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
      this.delivered = 0;
      try {
        await this.connection(sink);
      } catch (err) {
        if (this.abort.signal.aborted) break;
        const msg = describe(err, this.url);
        this.st.lastError = msg;
        if (this.delivered > 0) attempt = 0;
        const wait = backoffMs(attempt, this.cfg);
        const level = attempt === 0 || attempt % 20 === 0 ? 'warn' : 'debug';
        this.log[level]({ feed: this.url, err: msg, attempt, retryInMs: wait }, 'back office: gateway event feed unavailable; reconnecting');
      }
      this.st.connected = false;
      if (this.abort.signal.aborted) break;
      await sleep(backoffMs(attempt++, this.cfg), this.abort.signal);
    }
  }

  /** One connection: resolves when the sink says stop, throws when the connection ends otherwise. */
  private async connection(sink: Sink): Promise<void> {
    const conn = new AbortController();
    const onStop = (): void => conn.abort();
    this.abort.signal.addEventListener('abort', onStop, { once: true });
    let idle: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => conn.abort(new FeedError('IDLE', `nothing received for ${this.cfg.feedIdleMs} ms`)), this.cfg.feedIdleMs);
    };
    try {
      const cursor = await this.deps.cursor();
      const headers: Record<string, string> = { authorization: `Bearer ${await this.deps.token()}`, accept: 'text/event-stream' };
      if (cursor !== '') headers['last-event-id'] = cursor;
      arm();
      const res = await fetch(this.url, { headers, signal: conn.signal });
      if (res.status !== 200) {
        await res.body?.cancel().catch(() => {});
        throw new FeedError('HTTP_STATUS', statusText(res.status, this.url));
      }
      const type = res.headers.get('content-type') ?? '';
      if (!type.toLowerCase().startsWith('text/event-stream') || res.body === null) {
        await res.body?.cancel().catch(() => {});
        throw new FeedError('NOT_SSE', `expected text/event-stream, got ${JSON.stringify(type)}`);
      }
      this.st.connected = true;
      this.st.lastError = null;
      this.log.info({ feed: this.url, cursor }, 'back office: following the gateway event feed');

      const queue: EventSourceMessage[] = [];
      let bad: string | null = null;
      const parser = createParser({
        onEvent: (e) => queue.push(e),
        onError: (e) => {
          if (e.type === 'max-buffer-size-exceeded') bad = e.message;
        },
        maxBufferSize: MAX_EVENT_TEXT + 4096,
      });
      const decoder = new TextDecoder();
      const reader = res.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) throw new FeedError('ENDED', 'the gateway closed the feed');
          arm();
          parser.feed(decoder.decode(value, { stream: true }));
          if (bad !== null) throw new FeedError('BAD_STREAM', bad);
          if (queue.length === 0) continue;
          clearTimeout(idle); // our own work is not the gateway's silence
          const events = queue.splice(0).filter((e) => e.event === undefined || e.event === 'message');
          for (let i = 0; i < events.length; i += this.cfg.batchMax) {
            const batch = events.slice(i, i + this.cfg.batchMax).map((e) => decodeEvent(e.id ?? '', e.data));
            if (!(await sink(batch))) return;
            this.delivered += batch.length;
          }
          arm();
        }
      } finally {
        reader.cancel().catch(() => {});
      }
    } catch (err) {
      const reason = conn.signal.reason;
      if (reason instanceof FeedError && !this.abort.signal.aborted) throw reason;
      throw err;
    } finally {
      clearTimeout(idle);
      this.abort.signal.removeEventListener('abort', onStop);
      conn.abort();
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running?.catch(() => {});
  }
}

function statusText(status: number, url: string): string {
  if (status === 401 || status === 403) {
    return `the gateway refused the back office's token (HTTP ${status}): JWT_HS256_SECRET, JWT_ISSUER and JWT_AUDIENCE must be the gateway's`;
  }
  if (status === 404) return `${url} not found (HTTP 404): is BACKOFFICE_GATEWAY_URL the gateway, and does it serve the event feed?`;
  return `HTTP ${status} from ${url}`;
}

/** A one-line reason: fetch's "fetch failed" hides the socket error in `cause`. */
function describe(err: unknown, url: string): string {
  type Cause = { code?: string; message?: string; errors?: Cause[] };
  const e = err as { message?: string; cause?: Cause };
  const c = e?.cause;
  const code = c?.code ?? c?.errors?.[0]?.code;
  if (code !== undefined) return `${code} connecting to ${url}`;
  if (c?.message !== undefined) return `${e.message}: ${c.message}`;
  return e?.message ?? String(err);
}
