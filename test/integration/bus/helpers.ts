/**
 * Test set-up for the bus: an SSE reader of GET /events/feed, NATS JetStream (127.0.0.1:4222 when
 * it answers, else a private nats-server), a JetStream reader of the whole bus stream, and
 * waiting on conditions.
 */
import { createParser } from 'eventsource-parser';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { connect as netConnect } from 'node:net';
import { type BusEvent, validateBusEvent } from '../../../src/contract/bus-event.js';
import { type NatsServer, startNats, waitFor } from '../backoffice/helpers.js';

export { startNats, waitFor, type NatsServer };

export interface FeedEvent {
  id: string;
  event: BusEvent;
}

/** Follows GET /events/feed until `stop()`; events in `events` as they arrive. */
export function followFeed(base: string, tok: string, lastEventId?: string): { events: FeedEvent[]; comments: number; status: Promise<number>; stop(): void } {
  const ac = new AbortController();
  const events: FeedEvent[] = [];
  const out = { events, comments: 0, status: null as unknown as Promise<number>, stop: () => ac.abort() };
  out.status = (async () => {
    const headers: Record<string, string> = { authorization: `Bearer ${tok}` };
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    const res = await fetch(`${base}/events/feed`, { headers, signal: ac.signal });
    if (res.status !== 200 || res.body === null) {
      await res.body?.cancel();
      return res.status;
    }
    const parser = createParser({
      onEvent: (e) => events.push({ id: e.id ?? '', event: JSON.parse(e.data) as BusEvent }),
      onComment: () => out.comments++,
    });
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    void (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          parser.feed(dec.decode(value, { stream: true }));
        }
      } catch {
        // aborted
      }
    })();
    return 200;
  })();
  return out;
}

/** Checks the contract of every event and that no id repeats; returns the ids. */
export function checkEvents(events: FeedEvent[]): Set<string> {
  const ids = new Set<string>();
  for (const e of events) {
    if (!validateBusEvent(e.event)) throw new Error(`event ${e.id} does not validate: ${JSON.stringify(validateBusEvent.errors)}`);
    const keys = Object.keys(e.event).join(',');
    if (keys !== 'type,at,accountId,orderId,data') throw new Error(`event ${e.id} keys ${keys}`);
    if (ids.has(e.id)) throw new Error(`event ${e.id} delivered twice`);
    ids.add(e.id);
  }
  return ids;
}

/** Position of an id in its stream, for order checks: [stream, seq, index]. */
export function position(id: string): [string, number, number] {
  const p = id.split('.');
  return p.length === 4 ? [p[1]!, Number(p[2]), Number(p[3])] : [p[1]!, Number(p[2]), -1];
}

/** True when, per stream and per account, the events come in journal order. */
export function inJournalOrder(events: FeedEvent[]): boolean {
  const last = new Map<string, [number, number]>();
  for (const e of events) {
    const [stream, seq, index] = position(e.id);
    const k = `${stream}|${e.event.accountId}`;
    const prev = last.get(k);
    if (prev !== undefined && (seq < prev[0] || (seq === prev[0] && index <= prev[1]))) return false;
    last.set(k, [seq, index]);
  }
  return true;
}

function portAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = netConnect(port, host);
    c.setTimeout(1000, () => {
      c.destroy();
      resolve(false);
    });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/** NATS for tests that do not stop it: 127.0.0.1:4222 when it answers, else a private server. */
export async function sharedNats(): Promise<{ url: string; stop(): Promise<void> }> {
  if (await portAnswers('127.0.0.1', 4222)) return { url: 'nats://127.0.0.1:4222', stop: async () => {} };
  const s = await startNats();
  return { url: s.url, stop: () => s.stop() };
}

/** Every message of `stream` from the start: id (Nats-Msg-Id), subject, event. */
export async function readStream(url: string, stream: string): Promise<Array<FeedEvent & { subject: string }>> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    const n = info.state.messages;
    const out: Array<FeedEvent & { subject: string }> = [];
    if (n === 0) return out;
    const js = jetstream(nc);
    const name = `t${Date.now()}${Math.floor(Math.random() * 1e6)}`;
    await jsm.consumers.add(stream, { name, ack_policy: 'none' as never, deliver_policy: 'all' as never, inactive_threshold: 60_000_000_000 });
    const c = await js.consumers.get(stream, name);
    while (out.length < n) {
      const it = await c.fetch({ max_messages: Math.min(1000, n - out.length), expires: 5000 });
      let got = 0;
      for await (const m of it) {
        got++;
        out.push({ id: m.headers?.get('Nats-Msg-Id') ?? '', subject: m.subject, event: JSON.parse(m.string()) as BusEvent });
      }
      if (got === 0) break;
    }
    await jsm.consumers.delete(stream, name).catch(() => {});
    return out;
  } finally {
    await nc.close();
  }
}

export { waitFor as until };

/** A private nats-server (-js, own store, free or given port) that can be stopped and started again. */
export interface PrivateNats {
  url: string;
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** stop and remove the store */
  remove(): Promise<void>;
}

export async function privateNats(port?: number): Promise<PrivateNats> {
  const { spawn, execFileSync } = await import('node:child_process');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { freePort } = await import('../backoffice/helpers.js');
  const bin = (() => {
    try {
      return execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim() || '/usr/sbin/nats-server';
    } catch {
      return '/usr/sbin/nats-server';
    }
  })();
  const p = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'sy-bus-nats-'));
  let proc: import('node:child_process').ChildProcess | null = null;
  const self: PrivateNats = {
    url: `nats://127.0.0.1:${p}`,
    port: p,
    async start() {
      proc = spawn(bin, ['-js', '-a', '127.0.0.1', '-p', String(p), '-sd', dir], { stdio: 'ignore' });
      await waitFor('nats-server', () => portAnswers('127.0.0.1', p), 30_000);
    },
    async stop() {
      const pr = proc;
      proc = null;
      if (pr === null || pr.exitCode !== null) return;
      const exited = new Promise((r) => pr.once('exit', r));
      pr.kill('SIGTERM');
      await exited;
    },
    async remove() {
      await self.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return self;
}

/** A stream name and subject prefix of its own, so tests never share a JetStream stream. */
export function ownStream(tag: string): { BUS_STREAM: string; BUS_SUBJECT_PREFIX: string } {
  const r = `${tag}_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  return { BUS_STREAM: `SYT_${r}`, BUS_SUBJECT_PREFIX: `sytest.${r}` };
}
