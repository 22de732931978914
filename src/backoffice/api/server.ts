/**
 * The back office's HTTP API (node:http): read-only books behind JWT, plus /health and /metrics.
 *
 *   GET /positions /balances /fills /pnl /ledger /stats /reconcile   Bearer JWT (as the gateway)
 *   GET /health  /metrics                                            open
 *   OPTIONS *                                                        CORS preflight
 *
 * Scope: a caller sees its own account (`accountId` claim, else `sub`); an admin
 * (`roles:["admin"]`) sees every account and may narrow with `?accountId=`. A non-admin asking for
 * another account gets 403. Paging: `?limit=` and, for /fills and /ledger, `?after=<id>` (the
 * answer's `next`). `?symbol=` narrows /positions, /pnl, /fills and /ledger.
 *
 * CORS (BACKOFFICE_CORS_ORIGINS): `*` by default, which is safe here because nothing is
 * authorized by cookies: every request carries its bearer token explicitly, so another origin's
 * page can read only what its own token allows. A list of origins restricts it further.
 *
 * Owner: the event loop. Storage errors answer 503, bugs 500; bad input never throws.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { AuthFailure, type Authenticator, type Principal } from '../../auth/authenticator.js';
import type { MetricsRegistry } from '../../metrics/registry.js';
import type { ReconcileReport } from '../domain/reconcile.js';
import type { LedgerSnapshots } from '../reconciler.js';
import type { BalanceRecord } from '../domain/reconcile.js';
import type { Counts, FillRow, LedgerRow, Page, PositionRow, Scope } from '../storage/books.js';
import { StorageError } from '../storage/errors.js';
import { balanceView, fillView, ledgerView, pnlView, positionView } from './views.js';

/** What the API reads of the books. */
export interface BooksReader extends LedgerSnapshots {
  readonly kind: string;
  positions(scope: Scope, limit: number): Promise<PositionRow[]>;
  balances(scope: Scope, limit: number): Promise<Array<BalanceRecord & { updatedAt: string }>>;
  fills(scope: Scope, page: Page): Promise<FillRow[]>;
  ledger(scope: Scope, page: Page): Promise<LedgerRow[]>;
  counts(scope: Scope): Promise<Counts>;
}

export interface ApiDeps {
  books: BooksReader;
  auth: Authenticator;
  metrics: MetricsRegistry;
  /** runtime figures for /stats and /health */
  runtime(): Record<string, unknown> & { input: { connected: boolean } | null };
  /** reconcile one account, or every account (null), recording the latter's result */
  reconcile(accountId: string | null): Promise<ReconcileReport>;
  corsOrigins: '*' | readonly string[];
  log: Logger;
}

const ACCOUNT_RE = /^[\x21-\x7e]{1,64}$/;
const SYMBOL_RE = /^[\x21-\x7e]{1,32}$/;
const LIST_LIMIT = { def: 1000, max: 10_000 };
const PAGE_LIMIT = { def: 100, max: 1000 };
const PREFLIGHT_MAX_AGE_SEC = 600;

class BadRequest {
  constructor(readonly status: number, readonly error: string) {}
}

export function createApiServer(deps: ApiDeps): Server {
  return createServer((req, res) => {
    handle(deps, req, res).catch((err: unknown) => {
      deps.log.error({ err }, 'back office: request failed');
      if (!res.headersSent) send(res, 500, { error: 'InternalError' });
      else res.destroy();
    });
  });
}

function cors(deps: ApiDeps, req: IncomingMessage, res: ServerResponse): void {
  if (deps.corsOrigins === '*') {
    res.setHeader('access-control-allow-origin', '*');
    return;
  }
  res.setHeader('vary', 'Origin');
  const origin = req.headers.origin;
  if (origin !== undefined && deps.corsOrigins.includes(origin)) res.setHeader('access-control-allow-origin', origin);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function int(q: URLSearchParams, name: string, def: number, min: number, max: number): number {
  const v = q.get(name);
  if (v === null || v === '') return def;
  if (!/^\d{1,15}$/.test(v) || Number(v) < min || Number(v) > max) throw new BadRequest(400, `Invalid${name[0]!.toUpperCase()}${name.slice(1)}`);
  return Number(v);
}

function symbolOf(q: URLSearchParams): string | null {
  const v = q.get('symbol');
  if (v === null || v === '') return null;
  if (!SYMBOL_RE.test(v)) throw new BadRequest(400, 'InvalidSymbol');
  return v;
}

/** The accounts a caller may read: its own, or (admin) all or the one asked for. */
function scopeOf(p: Principal, q: URLSearchParams): string | null {
  const asked = q.get('accountId');
  if (asked !== null && asked !== '' && !ACCOUNT_RE.test(asked)) throw new BadRequest(400, 'InvalidAccountId');
  const want = asked === null || asked === '' ? null : asked;
  if (p.isAdmin) return want;
  if (want !== null && want !== p.accountId) throw new BadRequest(403, 'forbidden');
  return p.accountId;
}

const next = (rows: ReadonlyArray<{ id: number }>, limit: number): number | null => (rows.length === limit ? rows[rows.length - 1]!.id : null);

async function handle(deps: ApiDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  cors(deps, req, res);
  if (req.method === 'OPTIONS') {
    res.writeHead(204, {
      'access-control-allow-methods': 'GET, OPTIONS',
      'access-control-allow-headers': 'Authorization, Content-Type',
      'access-control-max-age': String(PREFLIGHT_MAX_AGE_SEC),
      'content-length': '0',
    });
    res.end();
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, OPTIONS');
    send(res, 405, { error: 'MethodNotAllowed' });
    return;
  }
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://backoffice');
  } catch {
    send(res, 400, { error: 'BadRequest' });
    return;
  }
  const path = url.pathname;
  if (path === '/health') {
    const rt = deps.runtime();
    send(res, 200, { status: rt.input === null || rt.input.connected ? 'ok' : 'degraded', storage: deps.books.kind, input: rt.input });
    return;
  }
  if (path === '/metrics') {
    const text = await deps.metrics.text();
    res.writeHead(200, { 'content-type': deps.metrics.contentType });
    res.end(text);
    return;
  }
  if (!ROUTES.has(path)) {
    send(res, 404, { error: 'NotFound' });
    return;
  }
  const header = req.headers.authorization;
  const auth = await principalOf(deps.auth, header);
  if (auth === null) {
    send(res, 500, { error: 'INTERNAL_ERROR' });
    return;
  }
  if (auth instanceof AuthFailure) {
    send(res, 401, { error: auth.error });
    return;
  }
  try {
    send(res, 200, await route(deps, path, auth, url.searchParams));
  } catch (err) {
    if (err instanceof BadRequest) send(res, err.status, { error: err.error });
    else if (err instanceof StorageError) {
      deps.log.warn({ err: err.message, code: err.code, path }, 'back office: storage error answering a request');
      send(res, 503, { error: 'StorageUnavailable' });
    } else throw err;
  }
}

const ROUTES = new Set(['/positions', '/balances', '/fills', '/pnl', '/ledger', '/stats', '/reconcile']);

async function route(deps: ApiDeps, path: string, p: Principal, q: URLSearchParams): Promise<unknown> {
  const accountId = scopeOf(p, q);
  const { books } = deps;
  switch (path) {
    case '/positions': {
      const limit = int(q, 'limit', LIST_LIMIT.def, 1, LIST_LIMIT.max);
      const rows = await books.positions({ accountId, symbol: symbolOf(q) }, limit + 1);
      return { positions: rows.slice(0, limit).map(positionView), truncated: rows.length > limit };
    }
    case '/balances': {
      const limit = int(q, 'limit', LIST_LIMIT.def, 1, LIST_LIMIT.max);
      const rows = await books.balances({ accountId }, limit + 1);
      return { balances: rows.slice(0, limit).map(balanceView), truncated: rows.length > limit };
    }
    case '/pnl': {
      const limit = int(q, 'limit', LIST_LIMIT.def, 1, LIST_LIMIT.max);
      const rows = await books.positions({ accountId, symbol: symbolOf(q) }, limit + 1);
      return { ...pnlView(rows.slice(0, limit)), truncated: rows.length > limit };
    }
    case '/fills': {
      const page = { after: int(q, 'after', 0, 0, Number.MAX_SAFE_INTEGER), limit: int(q, 'limit', PAGE_LIMIT.def, 1, PAGE_LIMIT.max) };
      const rows = await books.fills({ accountId, symbol: symbolOf(q) }, page);
      return { fills: rows.map(fillView), next: next(rows.map((r) => ({ id: r.fillId })), page.limit) };
    }
    case '/ledger': {
      const page = { after: int(q, 'after', 0, 0, Number.MAX_SAFE_INTEGER), limit: int(q, 'limit', PAGE_LIMIT.def, 1, PAGE_LIMIT.max) };
      const rows = await books.ledger({ accountId, symbol: symbolOf(q) }, page);
      return { entries: rows.map(ledgerView), next: next(rows.map((r) => ({ id: r.entryId })), page.limit) };
    }
    case '/stats': {
      const counts = await books.counts({ accountId });
      return { scope: accountId ?? 'all', storage: books.kind, books: counts, ...deps.runtime() };
    }
    case '/reconcile': {
      const report = await deps.reconcile(accountId);
      return { scope: accountId ?? 'all', ...report };
    }
  }
  throw new BadRequest(404, 'NotFound');
}

/** The caller's principal through the authenticator's one resolver (null: verification failed). */
function principalOf(auth: Authenticator, header: string | undefined): Promise<Principal | AuthFailure | null> {
  return new Promise((resolve) => {
    const p = auth.resolve(header, resolve, null);
    if (p !== undefined) resolve(p);
  });
}
