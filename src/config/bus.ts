/**
 * Bus settings: the JetStream stream shared by the gateway's relay (publisher) and the back
 * office (consumer), and the gateway's relay settings. Parsed once, validated; docs/bus.md has
 * the table.
 *
 *   BUS_KIND             none | nats (default none: events stay in-process, the feed serves them)
 *   NATS_URL             default nats://127.0.0.1:4222
 *   BUS_STREAM           default SWITCHYARD_EVENTS
 *   BUS_SUBJECT_PREFIX   default switchyard.events (subject = <prefix>.<account token>)
 *   BUS_DEDUP_WINDOW_MS  default 120000 (JetStream duplicate window of the stream it creates)
 *   BUS_MAX_IN_FLIGHT    default 4096: publishes awaiting JetStream's ack (bounds the relay's memory)
 *   BUS_RETRY_MIN_MS     default 100, BUS_RETRY_MAX_MS default 5000: backoff between attempts
 *   BUS_POLL_MS          default 2: how often the journal tail looks for newly durable records
 */
import { ConfigError, type Env, int, oneOf, str } from './env.js';

export interface BusStreamConfig {
  /** BUS_STREAM */
  stream: string;
  /** BUS_SUBJECT_PREFIX, without a trailing dot */
  subjectPrefix: string;
  /** BUS_DEDUP_WINDOW_MS */
  dedupWindowMs: number;
}

export interface BusConfig {
  kind: 'none' | 'nats';
  natsUrl: string;
  stream: BusStreamConfig;
  maxInFlight: number;
  retryMinMs: number;
  retryMaxMs: number;
  pollMs: number;
}

/** Stream names: no whitespace, `.`, `*`, `>`, path separators (NATS rejects them). */
const STREAM_NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;
/** A subject token of printable ASCII without wildcards. */
const PREFIX_TOKEN_RE = /^[!-)+-=?-~]+$/;

function validPrefix(prefix: string): boolean {
  return prefix.length <= 200 && prefix.split('.').every((t) => PREFIX_TOKEN_RE.test(t));
}

export function loadBusStreamConfig(env: Env): BusStreamConfig {
  const stream = str(env, 'BUS_STREAM', 'SWITCHYARD_EVENTS');
  if (!STREAM_NAME_RE.test(stream)) throw new ConfigError('BUS_STREAM', `expected 1-64 of A-Z a-z 0-9 _ -, got ${JSON.stringify(stream)}`);
  const subjectPrefix = str(env, 'BUS_SUBJECT_PREFIX', 'switchyard.events');
  if (!validPrefix(subjectPrefix)) {
    throw new ConfigError('BUS_SUBJECT_PREFIX', `expected dot-separated subject tokens without wildcards, got ${JSON.stringify(subjectPrefix)}`);
  }
  return { stream, subjectPrefix, dedupWindowMs: int(env, 'BUS_DEDUP_WINDOW_MS', 120_000, { min: 1, max: 7 * 86_400_000 }) };
}

export function loadBusConfig(env: Env): BusConfig {
  const natsUrl = str(env, 'NATS_URL', 'nats://127.0.0.1:4222');
  if (!/^(nats|tls|ws|wss):\/\/[^\s,]+(,(nats|tls|ws|wss):\/\/[^\s,]+)*$/.test(natsUrl)) {
    throw new ConfigError('NATS_URL', `expected nats://host:port (comma-separated for a cluster), got ${JSON.stringify(natsUrl)}`);
  }
  const retryMinMs = int(env, 'BUS_RETRY_MIN_MS', 100, { min: 1, max: 60_000 });
  const retryMaxMs = int(env, 'BUS_RETRY_MAX_MS', 5_000, { min: 1, max: 600_000 });
  if (retryMaxMs < retryMinMs) throw new ConfigError('BUS_RETRY_MAX_MS', `must be >= BUS_RETRY_MIN_MS (${retryMinMs}), got ${retryMaxMs}`);
  return {
    kind: oneOf(env, 'BUS_KIND', 'none', ['none', 'nats']),
    natsUrl,
    stream: loadBusStreamConfig(env),
    maxInFlight: int(env, 'BUS_MAX_IN_FLIGHT', 4096, { min: 1, max: 1_000_000 }),
    retryMinMs,
    retryMaxMs,
    pollMs: int(env, 'BUS_POLL_MS', 2, { min: 1, max: 1000 }),
  };
}
