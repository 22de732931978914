// The console's calls to the gateway. The token lives in sessionStorage (this tab only) and goes
// in the Authorization header of every REST call; the live stream is opened with a one-time
// ticket from POST /console/api/session, since EventSource cannot send headers.
import { createParser } from 'eventsource-parser';
import type { Sample, Session } from './types';

const KEY = 'switchyard.console.token';

export const tokenStore = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (t: string): void => sessionStorage.setItem(KEY, t),
  clear: (): void => sessionStorage.removeItem(KEY),
};

export interface ApiResult<T = any> {
  status: number;
  json: T | null;
  /** network failure (no answer at all) */
  offline: boolean;
}

export async function api<T = any>(path: string, init: { method?: string; body?: unknown } = {}): Promise<ApiResult<T>> {
  const headers: Record<string, string> = {};
  const t = tokenStore.get();
  if (t !== null) headers.authorization = `Bearer ${t}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  try {
    const r = await fetch(path, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
    const text = await r.text();
    let json: T | null = null;
    try {
      json = JSON.parse(text) as T;
    } catch {
      json = null;
    }
    return { status: r.status, json, offline: false };
  } catch {
    return { status: 0, json: null, offline: true };
  }
}

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'full' | 'expired';

/**
 * Opens the live stream and keeps it open: on any error it asks for a fresh ticket and opens
 * again, backing off up to 10 s. Returns a function that closes it for good.
 */
export function openStream(onSample: (s: Sample) => void, onState: (s: StreamState) => void, onAuthLost: () => void): () => void {
  let es: EventSource | null = null;
  let closed = false;
  let delay = 500;
  let timer: number | undefined;
  const retry = (): void => {
    if (closed) return;
    onState('reconnecting');
    timer = window.setTimeout(connect, delay);
    delay = Math.min(delay * 2, 10_000);
  };
  const connect = async (): Promise<void> => {
    if (closed) return;
    const r = await api<Session>('/console/api/session', { method: 'POST' });
    if (closed) return;
    if (r.status === 401) return onAuthLost();
    if (r.status !== 200 || r.json === null) return retry();
    es = new EventSource(`/console/stream?ticket=${encodeURIComponent(r.json.ticket)}`);
    es.addEventListener('hello', () => {
      delay = 500;
      onState('live');
    });
    es.addEventListener('sample', (ev) => onSample(JSON.parse((ev as MessageEvent<string>).data) as Sample));
    es.addEventListener('expired', () => {
      es?.close();
      onState('expired');
      onAuthLost();
    });
    es.onerror = () => {
      // A ticket opens one stream only: never let EventSource retry with the spent one.
      es?.close();
      es = null;
      retry();
    };
  };
  onState('connecting');
  void connect();
  return () => {
    closed = true;
    window.clearTimeout(timer);
    es?.close();
  };
}

/**
 * Follows an SSE route that needs the Authorization header (GET /stream): fetch with a streamed
 * body instead of EventSource, so the token never goes into a URL. Reconnects (1..10 s backoff)
 * and calls onReset each time it (re)connects, so the caller reloads what it may have missed.
 * Resolves 'absent' when the gateway has no such route (404). Returns a closer.
 */
export function followSse(
  path: string,
  onEvent: (name: string, data: string) => void,
  onReset: () => void,
  onState: (s: 'live' | 'reconnecting' | 'absent') => void,
): () => void {
  let closed = false;
  let ctl: AbortController | null = null;
  let delay = 1000;
  const run = async (): Promise<void> => {
    while (!closed) {
      ctl = new AbortController();
      try {
        const t = tokenStore.get();
        const r = await fetch(path, { headers: { accept: 'text/event-stream', ...(t ? { authorization: `Bearer ${t}` } : {}) }, signal: ctl.signal });
        if (r.status === 404) return onState('absent');
        if (r.status === 200 && r.body !== null) {
          delay = 1000;
          onState('live');
          onReset();
          const parser = createParser({ onEvent: (e) => onEvent(e.event ?? 'message', e.data) });
          const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            parser.feed(value);
          }
        } else await r.body?.cancel();
      } catch {
        // aborted or the connection dropped: reconnect below
      }
      if (closed) return;
      onState('reconnecting');
      await new Promise((res) => setTimeout(res, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  };
  void run();
  return () => {
    closed = true;
    ctl?.abort();
  };
}
