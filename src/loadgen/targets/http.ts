/**
 * HTTP target: `POST <url>` with a JSON order body and `Authorization: Bearer <token>`, over a
 * keep-alive agent limited to N connections. Requests beyond N in flight queue inside the agent;
 * that queueing is part of the measured latency, as it would be for a real client.
 */
import * as http from 'node:http';
import type { Outcome } from '../recorder.js';
import type { Target } from './target.js';

export interface HttpTargetOptions {
  url: string;
  connections: number;
  /** one token per account; request i uses tokens[i % tokens.length] */
  tokens: string[];
  body: (i: number) => string;
  /** per-request socket timeout (ms) */
  timeoutMs?: number;
}

/** Status word and reason from a gateway JSON answer ({status, reason} or {error}). */
export function outcomeFromHttp(statusCode: number, text: string): Outcome {
  let reason: string | null = null;
  try {
    const b = JSON.parse(text) as { reason?: unknown; status?: unknown; error?: unknown };
    const r = b.reason ?? b.error ?? b.status;
    if (typeof r === 'string') reason = r;
  } catch {
    reason = text.length > 0 ? 'NON_JSON_BODY' : null;
  }
  return { accepted: statusCode >= 200 && statusCode < 300, status: String(statusCode), reason };
}

export function httpTarget(o: HttpTargetOptions): Target {
  const url = new URL(o.url);
  if (url.protocol !== 'http:') throw new RangeError(`--url must be http://, got ${url.protocol}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.connections, scheduling: 'fifo' });
  const auth = o.tokens.map((t) => `Bearer ${t}`);
  const base: http.RequestOptions = {
    agent,
    method: 'POST',
    hostname: url.hostname,
    port: url.port === '' ? 80 : Number(url.port),
    path: `${url.pathname}${url.search}`,
    timeout: o.timeoutMs ?? 30_000,
  };

  const send = (i: number, done: (out: Outcome) => void): void => {
    const body = o.body(i);
    let finished = false;
    const once = (out: Outcome): void => {
      if (!finished) {
        finished = true;
        done(out);
      }
    };
    const req = http.request(
      {
        ...base,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: auth[i % auth.length],
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => once(outcomeFromHttp(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
        res.on('error', (e: NodeJS.ErrnoException) => once({ accepted: false, status: 'ERROR', reason: e.code ?? e.message }));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('request timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => once({ accepted: false, status: 'ERROR', reason: e.code ?? e.message }));
    req.end(body);
  };

  return {
    description: `http POST ${o.url} (${o.connections} connections)`,
    send,
    close: async () => agent.destroy(),
  };
}
