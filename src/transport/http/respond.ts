/**
 * Response writing for the HTTP transport. Bodies are ASCII JSON built by the caller; headers go
 * out as one flat array in a single writeHead call (no per-header setHeader bookkeeping).
 */
import type { ServerResponse } from 'node:http';
import type { Reason } from '../../contract/reasons.js';

const JSON_TYPE = 'application/json';

export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Sends an ASCII JSON body. */
export function sendJson(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, ['content-type', JSON_TYPE, 'content-length', String(body.length)]);
  res.end(body);
}

/** Sends a JSON body that may contain non-ASCII text. */
export function sendJsonUtf8(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, ['content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(body))]);
  res.end(body);
}

/**
 * Sends an answer given as fields (status, body, whether the body is ASCII, whether it replays
 * an earlier answer: `idempotent-replayed: true`).
 */
export function sendReply(res: ServerResponse, status: number, body: string, ascii: boolean, replayed: boolean): void {
  const length = String(ascii ? body.length : Buffer.byteLength(body));
  if (replayed) res.writeHead(status, ['content-type', JSON_TYPE, 'content-length', length, 'idempotent-replayed', 'true']);
  else res.writeHead(status, ['content-type', JSON_TYPE, 'content-length', length]);
  res.end(body);
}

export function sendValue(res: ServerResponse, status: number, value: unknown): void {
  sendJsonUtf8(res, status, JSON.stringify(value));
}

/** `{"error":"<name>"}` bodies (authentication, lookup and routing errors). */
const errorBodies = new Map<string, string>();
export function errorBody(name: string): string {
  let b = errorBodies.get(name);
  if (b === undefined) errorBodies.set(name, (b = JSON.stringify({ error: name })));
  return b;
}

export function sendError(res: ServerResponse, status: number, name: string): void {
  sendJson(res, status, errorBody(name));
}

/** Human-readable explanation for each reject reason, sent as `message`. */
export const REASON_MESSAGES: Record<Reason, string> = {
  INVALID_JSON: 'the body is not a JSON object',
  UNSUPPORTED_MEDIA_TYPE: 'Content-Type must be application/json',
  PAYLOAD_TOO_LARGE: 'the body exceeds the size limit',
  UNKNOWN_FIELD: 'the body has a field the contract does not define',
  MISSING_FIELD: 'a required field is missing',
  INVALID_SYMBOL: 'symbol is not in the symbol master',
  INVALID_SIDE: 'side must be BUY or SELL',
  INVALID_TYPE: 'type must be LIMIT or MARKET',
  INVALID_QTY: 'qty must be an integer >= 1 and within the order quantity limit',
  INVALID_PRICE: 'a LIMIT order needs an integer price > 0; a MARKET order carries no price',
  INVALID_TIME_IN_FORCE: 'timeInForce must be GTC or GTD',
  INVALID_EXPIRE_AT: 'a GTD order needs expireAt in the future (epoch ms); a GTC order carries none',
  INVALID_CLIENT_ORDER_ID: 'clientOrderId must be 1-64 printable ASCII characters or null',
  RISK_REJECT: 'order notional exceeds the maximum notional',
  SYMBOL_RESTRICTED: 'symbol is restricted',
  PRICE_COLLAR: 'limit price is outside the collar around the reference price',
  POSITION_LIMIT: 'position plus open exposure would exceed the position limit',
  CREDIT_LIMIT: 'open notional plus positions would exceed the credit limit',
  DAILY_NOTIONAL_LIMIT: 'daily notional limit reached',
  RATE_LIMITED: 'order rate limit exceeded',
  DUPLICATE_CLIENT_ORDER_ID: 'clientOrderId is already used by an open order',
  V3_BACKPRESSURE_SOFT: 'ingress queue above the soft watermark; retry later',
  V3_QUEUE_KILLED: 'ingress queue above the kill watermark; kill switch raised',
  V3_QUEUE_FULL: 'ingress queue full; kill switch raised',
  V3_INGRESS_CLOSED: 'ingress closed (shutting down); kill switch raised',
  V3_GLOBAL_KILLED: 'global kill switch is on',
  V3_ACCOUNT_KILLED: 'kill switch is on for this account',
  V3_SHARD_KILLED: 'kill switch is on for this session shard',
  V3_SESSION_KILLED: 'kill switch is on for this session',
  IDEMPOTENCY_KEY_REUSED: 'Idempotency-Key was already used with a different body',
  IDEMPOTENCY_REQUIRED: 'an Idempotency-Key header or a clientOrderId is required',
  ORDER_NOT_FOUND: 'no such order',
  ORDER_FINAL: 'the order is in a final state',
  INTERNAL_ERROR: 'internal error',
  PROTOCOL_FRAME_TOO_LARGE: 'frame longer than the protocol allows',
  PROTOCOL_UNKNOWN_MESSAGE_TYPE: 'unknown message type',
  PROTOCOL_BAD_LENGTH: 'wrong length for the message type',
  PROTOCOL_BAD_FIELD: 'a field has a value the format cannot carry',
  PROTOCOL_NOT_LOGGED_IN: 'login required first',
  PROTOCOL_ALREADY_LOGGED_IN: 'already logged in',
  PROTOCOL_SEQ_NOT_INCREASING: 'client sequence numbers must increase',
  PROTOCOL_UNSUPPORTED_VERSION: 'unsupported protocol version',
  PROTOCOL_HEARTBEAT_TIMEOUT: 'no message within the heartbeat timeout',
  PROTOCOL_LOGIN_TIMEOUT: 'no login within the login timeout',
  SESSION_LOGOUT: 'logged out',
  SERVER_SHUTDOWN: 'server shutting down',
  SESSION_SLOW_CONSUMER: 'client does not read its answers',
  AUTH_FAILED: 'authentication failed',
  AUTH_TOKEN_EXPIRED: 'token expired',
  WAL_DURABILITY_FAILED: 'the journal could not make the order durable; it is not acknowledged (retry with the same key)',
  BACKPRESSURE_INFLIGHT_SOFT: 'too many orders waiting for the journal; retry later',
  BACKPRESSURE_WAL_BYTES: 'too many journal bytes waiting for the disk; retry later',
  BACKPRESSURE_WAL_AGE: 'the journal is behind (oldest pending record too old); retry later',
  BACKPRESSURE_SOFT_WAL_AGE: 'the journal is falling behind; retry later',
  BACKPRESSURE_DISK_FREE: 'the journal disk is nearly full',
  INVALID_IDEMPOTENCY_KEY: 'Idempotency-Key must be 1-128 printable ASCII characters',
  INVALID_QUERY: 'a query parameter has an invalid value',
  DUPLICATE_FIELD: 'a field appears more than once in the body',
};

/** Precomputed `{"status":...,"reason":...,"message":...}` bodies, one per (status word, reason). */
const rejectBodies = new Map<string, string>();
export function rejectBody(statusWord: string, reason: Reason, message?: string): string {
  if (message !== undefined) return JSON.stringify({ status: statusWord, reason, message });
  const k = statusWord + reason;
  let b = rejectBodies.get(k);
  if (b === undefined) rejectBodies.set(k, (b = JSON.stringify({ status: statusWord, reason, message: REASON_MESSAGES[reason] })));
  return b;
}
