/**
 * The JetStream stream that carries `bus_event_v1` events: its configuration, the subject of an
 * account's events, and {@link ensureStream}. Shared by the gateway's outbox relay (publisher) and
 * the back office (consumer), so both agree on names without talking to each other.
 *
 *   stream   BUS_STREAM            (default SWITCHYARD_EVENTS), file storage, limits retention
 *   subjects <BUS_SUBJECT_PREFIX>.<account token>  (prefix default `switchyard.events`)
 *   dedup    BUS_DEDUP_WINDOW_MS   (default 120000): JetStream drops a second publish of the same
 *            `Nats-Msg-Id` within this window; the event id (contract/bus-event.ts) is that header
 *
 * Account token: the account id with every character that may not appear in a NATS subject token
 * percent-encoded as `%XX` per UTF-8 byte: `.`, `*`, `>`, whitespace, control and non-ASCII
 * characters, and `%` itself (so the encoding is reversible and two accounts never share a token).
 *
 * Pure apart from {@link ensureStream}, which talks to JetStream through the narrow
 * {@link StreamManager} (satisfied by `JetStreamManager` of `@nats-io/jetstream`).
 */

/** The JetStream header carrying the event id. */
export const MSG_ID_HEADER = 'Nats-Msg-Id';

export { type BusStreamConfig, loadBusStreamConfig } from '../config/bus.js';
import type { BusStreamConfig } from '../config/bus.js';

/** True for a character that may stand in a subject token as is. */
function plain(code: number): boolean {
  // printable ASCII except space (0x20), '%' (0x25), '*' (0x2a), '.' (0x2e), '>' (0x3e)
  return code > 0x20 && code < 0x7f && code !== 0x25 && code !== 0x2a && code !== 0x2e && code !== 0x3e;
}

/** The subject token of an account id (see the header). */
export function accountToken(accountId: string): string {
  let out = '';
  let i = 0;
  for (; i < accountId.length; i++) if (!plain(accountId.charCodeAt(i))) break;
  if (i === accountId.length) return accountId;
  out = accountId.slice(0, i);
  for (const ch of accountId.slice(i)) {
    const code = ch.codePointAt(0)!;
    if (code < 0x80 && plain(code)) {
      out += ch;
      continue;
    }
    for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Inverse of {@link accountToken}. */
export function accountFromToken(token: string): string {
  return token.includes('%') ? decodeURIComponent(token) : token;
}

/** The subject an account's events are published on. */
export function subjectFor(cfg: BusStreamConfig, accountId: string): string {
  return `${cfg.subjectPrefix}.${accountToken(accountId)}`;
}

/** The subject filter that matches every account's events. */
export function allAccountsFilter(cfg: BusStreamConfig): string {
  return `${cfg.subjectPrefix}.>`;
}

/** The part of a stream's configuration {@link ensureStream} sets and checks. */
export interface BusStreamSpec {
  name: string;
  subjects: string[];
  storage: 'file' | 'memory';
  retention: 'limits' | 'interest' | 'workqueue';
  /** nanoseconds */
  duplicate_window: number;
}

/** What {@link ensureStream} needs of a JetStream manager (`jsm.streams` of @nats-io/jetstream). */
export interface StreamManager {
  streams: {
    info(name: string): Promise<{ config: Partial<BusStreamSpec> & { name: string } }>;
    add(cfg: BusStreamSpec): Promise<unknown>;
  };
}

export function streamSpec(cfg: BusStreamConfig): BusStreamSpec {
  return {
    name: cfg.stream,
    subjects: [allAccountsFilter(cfg)],
    storage: 'file',
    retention: 'limits',
    duplicate_window: cfg.dedupWindowMs * 1_000_000,
  };
}

/** Why a present stream does not fit: stable `code`, the JetStream error as `cause`. */
export class BusStreamError extends Error {
  constructor(
    readonly code: 'STREAM_MISMATCH' | 'STREAM_UNAVAILABLE',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BusStreamError';
  }
}

/**
 * The differences between a present stream and what the bus needs: its subjects must cover
 * `<prefix>.>` and its retention must be `limits` (consumers replay from it, and interest or
 * work-queue retention would drop events a consumer has not seen). Empty when it fits.
 */
export function streamProblems(cfg: BusStreamConfig, present: Partial<BusStreamSpec>): string[] {
  const problems: string[] = [];
  const filter = allAccountsFilter(cfg);
  const subjects = present.subjects ?? [];
  if (!subjects.some((s) => covers(s, filter))) {
    problems.push(`subjects ${JSON.stringify(subjects)} do not cover ${filter}`);
  }
  if (present.retention !== undefined && present.retention !== 'limits') problems.push(`retention is ${present.retention}, expected limits`);
  return problems;
}

/** True when every subject that `filter` matches is matched by `pattern` (NATS `*` and `>`). */
export function covers(pattern: string, filter: string): boolean {
  const p = pattern.split('.');
  const f = filter.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return i < f.length;
    if (i >= f.length || f[i] === '>') return false;
    if (p[i] !== '*' && p[i] !== f[i]) return false;
    if (p[i] === '*' && f[i] === '>') return false;
  }
  return p.length === f.length;
}

function isNotFound(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  if (e?.code === 10059) return true; // JetStream API error code: stream not found
  return typeof e?.message === 'string' && /stream not found/i.test(e.message);
}

/**
 * Creates the stream when it is missing; checks it when present. Returns what it did; throws
 * {@link BusStreamError} (`STREAM_MISMATCH` for a stream that does not fit, `STREAM_UNAVAILABLE`
 * for any JetStream failure, with the error as `cause`).
 */
export async function ensureStream(jsm: StreamManager, cfg: BusStreamConfig): Promise<'created' | 'present'> {
  let present: Partial<BusStreamSpec> | undefined;
  try {
    present = (await jsm.streams.info(cfg.stream)).config;
  } catch (err) {
    if (!isNotFound(err)) throw new BusStreamError('STREAM_UNAVAILABLE', `stream ${cfg.stream}: ${(err as Error).message}`, { cause: err });
  }
  if (present !== undefined) {
    const problems = streamProblems(cfg, present);
    if (problems.length > 0) throw new BusStreamError('STREAM_MISMATCH', `stream ${cfg.stream} does not fit the bus: ${problems.join('; ')}`);
    return 'present';
  }
  try {
    await jsm.streams.add(streamSpec(cfg));
  } catch (err) {
    throw new BusStreamError('STREAM_UNAVAILABLE', `cannot create stream ${cfg.stream}: ${(err as Error).message}`, { cause: err });
  }
  return 'created';
}
