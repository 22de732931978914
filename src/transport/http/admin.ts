/**
 * Operator routes (require a token with `"roles":["admin"]`):
 *
 *   GET  /admin/kill             kill switch state
 *   POST /admin/kill             {"scope":"global"|"account"|"session"|"shard", "accountId"?, "sessionId"?, "shard"?, "reason"?}
 *   POST /admin/resume           same body; lifts that kill
 *   POST /admin/metrics/reset    clears latency histograms (e.g. after a benchmark warm-up)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Ajv } from 'ajv';
import { AuthFailure, type Principal } from '../../auth/authenticator.js';
import { duplicateKey, KnownKeys } from '../../contract/duplicate-keys.js';
import type { Logger } from 'pino';
import type { Authenticator } from '../../auth/authenticator.js';
import type { HttpConfig } from '../../config/transport.js';
import type { FastPath } from '../../fastpath/fast-path.js';
import { type BodyRequest, OVERSIZE, precheck, readBody } from './body.js';
import { rejectBody, sendError, sendJson, sendValue } from './respond.js';

interface KillRequest {
  scope: 'global' | 'account' | 'session' | 'shard';
  accountId?: string;
  sessionId?: string;
  shard?: number;
  reason?: string;
}

const killSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['scope'],
  properties: {
    scope: { enum: ['global', 'account', 'session', 'shard'] },
    accountId: { type: 'string', minLength: 1, maxLength: 64 },
    sessionId: { type: 'string', minLength: 1, maxLength: 64 },
    shard: { type: 'integer', minimum: 0 },
    reason: { type: 'string', maxLength: 200 },
  },
} as const;

const validateKill = new Ajv({ allErrors: false }).compile<KillRequest>(killSchema);
const KILL_KEYS = new KnownKeys(Object.keys(killSchema.properties));

export interface AdminDeps {
  log: Logger;
  auth: Authenticator;
  fastPath: FastPath;
  cfg: HttpConfig;
  resetMetrics: () => void;
}

type AdminAction = (p: Principal, req: BodyRequest, res: ServerResponse, body: string) => void;

/** An operator request waiting for its token. */
interface AdminPending {
  admin: AdminRoutes;
  req: BodyRequest;
  res: ServerResponse;
  body: string;
  action: AdminAction;
}

function onAdminPrincipal(p: Principal | AuthFailure | null, r: AdminPending): void {
  r.admin.resolved(p, r);
}

export class AdminRoutes {
  constructor(private readonly d: AdminDeps) {}

  route(req: IncomingMessage, res: ServerResponse, path: string, method: string): void {
    if (path === '/admin/kill' && method === 'GET') return this.authorized(req, res, '', (p, _r, s) => this.killState(s));
    if (path === '/admin/kill' || path === '/admin/resume' || path === '/admin/metrics/reset') {
      if (method !== 'POST') {
        res.setHeader('allow', path === '/admin/kill' ? 'GET, POST' : 'POST');
        return sendError(res, 405, 'METHOD_NOT_ALLOWED');
      }
      if (path === '/admin/metrics/reset') {
        return this.authorized(req, res, '', (p, _r, s) => {
          this.d.resetMetrics();
          this.d.log.info({ by: p.accountId }, 'latency histograms reset');
          sendValue(s, 200, { reset: true });
        });
      }
      const problem = precheck(req, this.d.cfg.adminMaxBodyBytes);
      if (problem !== null) return sendJson(res, problem === 'PAYLOAD_TOO_LARGE' ? 413 : 415, rejectBody('REJECTED', problem));
      const action: AdminAction = (p, r, s, body) => this.killOrResume(p, s, body, path === '/admin/kill');
      return readBody(req, res, this.d.cfg.adminMaxBodyBytes, performance.now(), (r, s, body) => {
        if (body === OVERSIZE) return sendJson(s, 413, rejectBody('REJECTED', 'PAYLOAD_TOO_LARGE'));
        this.authorized(r, s, body, action);
      });
    }
    sendError(res, 404, 'NOT_FOUND');
  }

  private authorized(req: IncomingMessage, res: ServerResponse, body: string, action: AdminAction): void {
    const r: AdminPending = { admin: this, req: req as BodyRequest, res, body, action };
    const p = this.d.auth.resolve(req.headers.authorization, onAdminPrincipal, r);
    if (p !== undefined) this.resolved(p, r);
  }

  resolved(p: Principal | AuthFailure | null, r: AdminPending): void {
    if (p === null) return sendError(r.res, 500, 'INTERNAL_ERROR');
    if (p instanceof AuthFailure) return sendError(r.res, 401, p.error);
    if (!p.isAdmin) return sendError(r.res, 403, 'forbidden');
    r.action(p, r.req, r.res, r.body);
  }

  private killState(res: ServerResponse): void {
    const k = this.d.fastPath.kill;
    const entries = (m: Map<string, { reason: string; sinceMs: number; manual: boolean }>) =>
      [...m].map(([id, e]) => ({ id, reason: e.reason, since: new Date(e.sinceMs).toISOString(), manual: e.manual }));
    sendValue(res, 200, {
      engaged: k.engaged,
      global: k.global && { reason: k.global.reason, since: new Date(k.global.sinceMs).toISOString(), manual: k.global.manual },
      accounts: entries(k.accounts),
      sessions: entries(k.sessions),
      shards: k.shards.map((s, i) => ({
        shard: i,
        killed: s.killed,
        reason: s.killed ? s.reason : null,
        since: s.killed ? new Date(s.sinceMs).toISOString() : null,
        manual: s.manual,
        utilisationPct: this.d.fastPath.utilisation(i),
      })),
      recoveredTotal: k.recoveredTotal,
    });
  }

  private killOrResume(p: Principal, res: ServerResponse, body: string, kill: boolean): void {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return sendJson(res, 400, rejectBody('REJECTED', 'INVALID_JSON', 'the body is not valid JSON'));
    }
    if (!validateKill(json)) {
      const e = validateKill.errors![0]!;
      return sendJson(res, 400, rejectBody('REJECTED', 'INVALID_JSON', `${e.instancePath || 'body'} ${e.message ?? 'is invalid'}`));
    }
    const dup = duplicateKey(body, KILL_KEYS, Object.keys(json).length);
    if (dup >= 0) return sendJson(res, 400, rejectBody('REJECTED', 'DUPLICATE_FIELD', `field ${JSON.stringify(KILL_KEYS.names[dup])} appears more than once`));
    const k = this.d.fastPath.kill;
    const now = Date.now();
    const reason = json.reason ?? `manual kill by ${p.accountId}`;
    let changed: boolean;
    switch (json.scope) {
      case 'global':
        changed = kill ? k.global === null : k.global !== null;
        if (kill) k.killGlobal(reason, now);
        else k.resumeGlobal();
        break;
      case 'account': {
        if (json.accountId === undefined) return sendJson(res, 400, rejectBody('REJECTED', 'MISSING_FIELD', 'scope account needs accountId'));
        changed = kill ? !k.accounts.has(json.accountId) : k.accounts.has(json.accountId);
        if (kill) k.killAccount(json.accountId, reason, now);
        else k.resumeAccount(json.accountId);
        break;
      }
      case 'session': {
        if (json.sessionId === undefined) return sendJson(res, 400, rejectBody('REJECTED', 'MISSING_FIELD', 'scope session needs sessionId'));
        changed = kill ? k.killSession(json.sessionId, reason, now, true) : k.resumeSession(json.sessionId);
        break;
      }
      case 'shard': {
        if (json.shard === undefined || json.shard >= k.shards.length) {
          return sendJson(res, 400, rejectBody('REJECTED', 'MISSING_FIELD', `scope shard needs shard in 0..${k.shards.length - 1}`));
        }
        changed = kill ? !k.shards[json.shard]!.killed : k.shards[json.shard]!.killed;
        if (kill) k.killShard(json.shard, reason, now, true);
        else k.resumeShard(json.shard);
        break;
      }
    }
    this.d.log.warn({ by: p.accountId, action: kill ? 'kill' : 'resume', scope: json.scope, accountId: json.accountId, sessionId: json.sessionId, shard: json.shard, reason, changed }, 'kill switch operator action');
    this.killState(res);
  }
}
