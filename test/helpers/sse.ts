/**
 * A small SSE client over node:http for tests: opens a stream, parses events as they arrive
 * (any chunking), and waits for conditions instead of sleeping.
 */
import { type ClientRequest, type IncomingMessage, request, Agent } from 'node:http';

export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
}

/** One connection per stream, never pooled (1,000 streams need 1,000 sockets). */
const agent = new Agent({ keepAlive: false, maxSockets: Infinity });

export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  ended = false;
  private buf = '';
  private waiters: Array<() => void> = [];

  private constructor(
    readonly req: ClientRequest,
    readonly res: IncomingMessage,
  ) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => this.feed(chunk));
    const done = (): void => {
      this.ended = true;
      this.wake();
    };
    res.on('end', done);
    res.on('close', done);
    res.on('error', done);
    // a paused response (a client that stopped reading) still learns that the server closed it
    res.socket.once('close', done);
  }

  /** Opens `path` on `base`; resolves once the answer's head arrived (status may be an error). */
  static open(base: string, path: string, headers: Record<string, string> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = request(`${base}${path}`, { agent, headers: { accept: 'text/event-stream', ...headers } }, (res) => resolve(new SseClient(req, res)));
      req.on('error', reject);
      req.end();
    });
  }

  get status(): number {
    return this.res.statusCode ?? 0;
  }

  /** The whole body of a non-stream answer (errors). */
  async body(): Promise<string> {
    await this.until(() => this.ended, 5000);
    return this.buf;
  }

  private feed(chunk: string): void {
    this.buf += chunk;
    if (this.res.statusCode !== 200) return;
    let i: number;
    while ((i = this.buf.indexOf('\n\n')) >= 0) {
      const block = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      const ev: SseEvent = { id: undefined, event: 'message', data: '' };
      let isEvent = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line.slice(1));
        else if (line.startsWith('id: ')) ((ev.id = line.slice(4)), (isEvent = true));
        else if (line.startsWith('event: ')) ((ev.event = line.slice(7)), (isEvent = true));
        else if (line.startsWith('data: ')) ((ev.data += line.slice(6)), (isEvent = true));
      }
      if (isEvent) this.events.push(ev);
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves when `cond()` holds (checked on every arrival); rejects after `timeoutMs`. */
  until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`SSE condition not met in ${timeoutMs} ms; events: ${this.events.length}, ended: ${this.ended}`)), timeoutMs);
      const check = (): void => {
        if (cond()) {
          clearTimeout(timer);
          resolve();
        } else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  /** Waits until `n` events have arrived; returns them. */
  async waitEvents(n: number, timeoutMs?: number): Promise<SseEvent[]> {
    await this.until(() => this.events.length >= n, timeoutMs);
    return this.events;
  }

  close(): void {
    this.req.destroy();
  }
}
