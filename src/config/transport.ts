/**
 * Transport limits (HTTP and binary TCP), read once at start-up. The defaults are node:http's own
 * and the binary protocol's documented ones; transports take every limit from here.
 */
import { ConfigError, type Env, int } from './env.js';

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

export interface TcpConfig {
  /** TCP_HEARTBEAT_DEFAULT_MS: heartbeat interval when the client asks for 0 */
  defaultHeartbeatMs: number;
  /** TCP_HEARTBEAT_MIN_MS / TCP_HEARTBEAT_MAX_MS: bounds of the interval granted */
  minHeartbeatMs: number;
  maxHeartbeatMs: number;
  /** TCP_MISSED_HEARTBEATS: intervals without a byte from the client before it is dead */
  missedHeartbeats: number;
  /** TCP_LOGIN_TIMEOUT_MS: a connection without Login this long is closed */
  loginTimeoutMs: number;
  /** TCP_MAX_WRITE_BUFFER_BYTES: unread answers beyond this end the session (slow consumer) */
  maxWriteBufferBytes: number;
}

export function loadTcpConfig(env: Env): TcpConfig {
  const minHeartbeatMs = int(env, 'TCP_HEARTBEAT_MIN_MS', 100, { min: 10, max: 3_600_000 });
  const maxHeartbeatMs = int(env, 'TCP_HEARTBEAT_MAX_MS', 60_000, { min: 10, max: 3_600_000 });
  if (maxHeartbeatMs < minHeartbeatMs) throw new ConfigError('TCP_HEARTBEAT_MAX_MS', `must be at least TCP_HEARTBEAT_MIN_MS (${minHeartbeatMs}), got ${maxHeartbeatMs}`);
  const defaultHeartbeatMs = int(env, 'TCP_HEARTBEAT_DEFAULT_MS', 1000, { min: minHeartbeatMs, max: maxHeartbeatMs });
  return {
    defaultHeartbeatMs,
    minHeartbeatMs,
    maxHeartbeatMs,
    missedHeartbeats: int(env, 'TCP_MISSED_HEARTBEATS', 3, { min: 1, max: 100 }),
    loginTimeoutMs: int(env, 'TCP_LOGIN_TIMEOUT_MS', 5000, { min: 1, max: 600_000 }),
    maxWriteBufferBytes: int(env, 'TCP_MAX_WRITE_BUFFER_BYTES', 8 << 20, { min: 64 << 10, max: 1 << 30 }),
  };
}
