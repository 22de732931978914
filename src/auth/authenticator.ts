/**
 * Bearer-token authentication: JWT HS256 only (verified with `jose`), `exp` required, optional
 * `nbf`, issuer and audience. A verified token is cached until it expires, so the hot path pays a
 * map lookup instead of an HMAC for every request that reuses a token.
 */
import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import type { AuthConfig } from '../config/config.js';

/** Stable failure names, returned to clients as `{"error":"<name>"}` with status 401. */
export type AuthError =
  | 'MissingBearerToken'
  | 'InvalidJwtFormat'
  | 'InvalidJwtHeader'
  | 'MissingAlg'
  | 'UnsupportedAlg'
  | 'InvalidJwtSignature'
  | 'InvalidJwtPayload'
  | 'MissingExp'
  | 'TokenExpired'
  | 'TokenNotYetValid'
  | 'InvalidIssuer'
  | 'InvalidAudience'
  | 'MissingAccountId'
  | 'InvalidAccountId';

export class Principal {
  /** JSON string literal of the session id, precomputed for response bodies */
  readonly sessionIdJson: string;
  constructor(
    readonly accountId: string,
    readonly sessionId: string,
    readonly roles: readonly string[],
    /** token expiry, epoch ms */
    readonly expMs: number,
  ) {
    this.sessionIdJson = JSON.stringify(sessionId);
  }
  get isAdmin(): boolean {
    return this.roles.includes('admin');
  }
}

/** Continuation of {@link Authenticator.resolve}: `null` when the verification failed unexpectedly. */
export type Resolved<C> = (p: Principal | AuthFailure | null, ctx: C) => void;

export class AuthFailure {
  constructor(readonly error: AuthError) {}
}

const FAILURES = new Map<AuthError, AuthFailure>();
function fail(error: AuthError): AuthFailure {
  let f = FAILURES.get(error);
  if (!f) FAILURES.set(error, (f = new AuthFailure(error)));
  return f;
}

/** Account ids appear in logs, journals and binary frames: keep them short and printable. */
const ACCOUNT_RE = /^[\x21-\x7e]{1,64}$/;

export class Authenticator {
  private readonly key: Uint8Array;
  private readonly cache = new Map<string, Principal>();
  /** verifications under way, by token: concurrent requests with one new token share one */
  private readonly inFlight = new Map<string, Promise<Principal | AuthFailure>>();
  private readonly skewMs: number;

  constructor(
    private readonly cfg: AuthConfig & { secret: string },
    private readonly now: () => number = Date.now,
    /** a verification that threw (not a refused token): logged once here */
    private readonly onUnexpected: (err: unknown) => void = () => {},
  ) {
    this.key = new TextEncoder().encode(cfg.secret);
    this.skewMs = cfg.clockSkewSec * 1000;
  }

  /**
   * Synchronous fast path: the principal for a cached, still valid token; a failure for a header
   * that is not a bearer token or whose cached token has expired; `undefined` when the token must
   * be verified with {@link verify}.
   */
  cached(header: string | undefined): Principal | AuthFailure | undefined {
    const token = bearer(header);
    if (token === undefined) return fail('MissingBearerToken');
    const p = this.cache.get(token);
    if (p === undefined) return undefined;
    if (this.now() > p.expMs + this.skewMs) {
      this.cache.delete(token);
      return fail('TokenExpired');
    }
    return p;
  }

  /**
   * The principal of an `Authorization` header, the one way every entry path authenticates:
   * returned at once when the token is cached (every request after a session's first), else
   * `undefined`, and `then(principal, ctx)` runs exactly once when the token has been verified —
   * with `null` if the verification itself failed (answer 500; the error is logged here). `then`
   * is meant to be a module-level function and `ctx` the caller's request state, so a cache hit
   * allocates nothing.
   */
  resolve<C>(header: string | undefined, then: Resolved<C>, ctx: C): Principal | AuthFailure | undefined {
    const hit = this.cached(header);
    if (hit !== undefined) return hit;
    this.verify(header).then(
      (p) => then(p, ctx),
      (err: unknown) => {
        this.onUnexpected(err);
        then(null, ctx);
      },
    );
    return undefined;
  }

  /**
   * Full verification (HMAC) of the bearer token in `header`; caches the result on success.
   * Requests that arrive with the same token while it is being verified get the same promise, so
   * their continuations run in arrival order (pipelined orders stay in sequence) and the token is
   * verified once.
   */
  verify(header: string | undefined): Promise<Principal | AuthFailure> {
    const hit = this.cached(header);
    if (hit !== undefined) return Promise.resolve(hit);
    const token = bearer(header)!;
    let p = this.inFlight.get(token);
    if (p === undefined) {
      p = this.check(token);
      this.inFlight.set(token, p);
      const done = (): void => {
        this.inFlight.delete(token);
      };
      p.then(done, done);
    }
    return p;
  }

  private async check(token: string): Promise<Principal | AuthFailure> {
    if (token.split('.').length !== 3) return fail('InvalidJwtFormat');
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      return fail('InvalidJwtHeader');
    }
    if (alg === undefined) return fail('MissingAlg');
    if (alg !== 'HS256') return fail('UnsupportedAlg');

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        requiredClaims: ['exp'],
        clockTolerance: this.cfg.clockSkewSec,
        issuer: this.cfg.issuer,
        audience: this.cfg.audience,
        currentDate: new Date(this.now()),
      }));
    } catch (err) {
      return fail(mapJoseError(err));
    }

    const accountId = nonEmptyString(payload.accountId) ?? nonEmptyString(payload.sub);
    if (accountId === undefined) return fail('MissingAccountId');
    const sessionId = nonEmptyString(payload.sub) ?? accountId;
    if (!ACCOUNT_RE.test(accountId) || !ACCOUNT_RE.test(sessionId)) return fail('InvalidAccountId');
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
    const principal = new Principal(accountId, sessionId, roles, (payload.exp as number) * 1000);

    if (this.cache.size >= this.cfg.cacheSize) {
      // FIFO eviction: Map iterates in insertion order.
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(token, principal);
    return principal;
  }

  get cacheSize(): number {
    return this.cache.size;
  }
}

function bearer(header: string | undefined): string | undefined {
  if (header === undefined || !header.startsWith('Bearer ')) return undefined;
  const token = header.slice(7).trim();
  return token === '' ? undefined : token;
}

function nonEmptyString(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function mapJoseError(err: unknown): AuthError {
  if (err instanceof errors.JWTExpired) return 'TokenExpired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'nbf':
        return 'TokenNotYetValid';
      case 'iss':
        return 'InvalidIssuer';
      case 'aud':
        return 'InvalidAudience';
      case 'exp':
        return 'MissingExp';
      default:
        return 'InvalidJwtPayload';
    }
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'InvalidJwtSignature';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'UnsupportedAlg';
  if (err instanceof errors.JWTInvalid) return 'InvalidJwtPayload';
  return 'InvalidJwtFormat';
}
