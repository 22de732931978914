/**
 * The console stream (Server-Sent Events at /console/stream): one sample per CONSOLE_INTERVAL_MS
 * to every open console. The timer runs only while at least one console is connected; with none,
 * the console costs the gateway nothing. At most CONSOLE_MAX_CLIENTS streams at once (503
 * CONSOLE_FULL beyond). A stream ends when its token expires, when the client goes away, or at
 * shutdown. Main thread.
 */
import type { ServerResponse } from 'node:http';
import { forTrader, type Sample, Sampler } from './sampler.js';
import type { ConsoleSources } from './sources.js';
import type { TicketHolder } from './tickets.js';

interface Client {
  res: ServerResponse;
  holder: TicketHolder;
}

export class ConsoleStream {
  private readonly clients = new Set<Client>();
  private timer: NodeJS.Timeout | null = null;
  private sampler: Sampler | null = null;
  /** samples sent since start (all clients) */
  sent = 0;

  constructor(
    private readonly src: ConsoleSources,
    private readonly intervalMs: number,
    private readonly maxClients: number,
    private readonly nowMs: () => number,
  ) {}

  get size(): number {
    return this.clients.size;
  }

  get full(): boolean {
    return this.clients.size >= this.maxClients;
  }

  /** Takes over `res` as an event stream for `holder`. */
  open(res: ServerResponse, holder: TicketHolder): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    const c: Client = { res, holder };
    this.clients.add(c);
    res.once('close', () => this.drop(c));
    res.write(`retry: 3000\nevent: hello\ndata: ${JSON.stringify({ accountId: holder.accountId, isAdmin: holder.isAdmin, intervalMs: this.intervalMs })}\n\n`);
    if (this.timer === null) {
      this.sampler = new Sampler(this.src, this.nowMs);
      this.timer = setInterval(() => this.tick(), this.intervalMs);
      this.timer.unref();
    }
    // The first sample at once, so a new console shows state without waiting an interval.
    this.send(c, this.sampler!.sample());
  }

  close(): void {
    for (const c of [...this.clients]) c.res.end();
    this.clients.clear();
    this.stopTimer();
  }

  private tick(): void {
    const s = this.sampler!.sample();
    const now = this.nowMs();
    for (const c of [...this.clients]) {
      if (c.holder.expMs <= now) {
        c.res.end('event: expired\ndata: {}\n\n');
        this.drop(c);
      } else this.send(c, s);
    }
  }

  private send(c: Client, s: Sample): void {
    const view = c.holder.isAdmin ? s : forTrader(s, c.holder.accountId);
    // A console that cannot keep up (socket buffer full) skips samples rather than queueing them.
    if (c.res.writableLength > 1 << 20) return;
    c.res.write(`event: sample\ndata: ${JSON.stringify(view)}\n\n`);
    this.sent++;
  }

  private drop(c: Client): void {
    this.clients.delete(c);
    if (this.clients.size === 0) this.stopTimer();
  }

  private stopTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.sampler = null;
  }
}
