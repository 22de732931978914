/**
 * Transport limits (HTTP and binary TCP), read once at start-up. The defaults are node:http's own
 * and the binary protocol's documented ones; transports take every limit from here.
 */
import { type Env, int } from './env.js';

export interface HttpConfig {
  /** GATEWAY_MAX_BODY_BYTES: request body limit (413 above) */
  maxBodyBytes: number;
  /** HTTP_KEEP_ALIVE_TIMEOUT_MS: an idle keep-alive connection is closed after this */
  keepAliveTimeoutMs: number;
  /** HTTP_REQUEST_TIMEOUT_MS: a request not complete this long after its first byte gets 408 */
  requestTimeoutMs: number;
  /** HTTP_CHECK_INTERVAL_MS: how often connections are checked against the request timeout */
  checkIntervalMs: number;
  /** HTTP_ADMIN_MAX_BODY_BYTES: body limit of the operator routes */
  adminMaxBodyBytes: number;
  /** HTTP_SHUTDOWN_GRACE_MS: how long shutdown waits for open requests before closing connections */
  shutdownGraceMs: number;
}

export function loadHttpConfig(env: Env): HttpConfig {
  const requestTimeoutMs = int(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, { min: 1, max: 3_600_000 });
  return {
    maxBodyBytes: int(env, 'GATEWAY_MAX_BODY_BYTES', 16_384, { min: 256, max: 1 << 24 }),
    keepAliveTimeoutMs: int(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', 65_000, { min: 1, max: 3_600_000 }),
    requestTimeoutMs,
    checkIntervalMs: int(env, 'HTTP_CHECK_INTERVAL_MS', Math.min(30_000, requestTimeoutMs), { min: 1, max: 3_600_000 }),
    adminMaxBodyBytes: int(env, 'HTTP_ADMIN_MAX_BODY_BYTES', 4096, { min: 256, max: 1 << 20 }),
    shutdownGraceMs: int(env, 'HTTP_SHUTDOWN_GRACE_MS', 5000, { min: 0, max: 600_000 }),
  };
}
