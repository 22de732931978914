/**
 * Stable reject reasons, shared by every transport (HTTP bodies, binary TCP reject messages,
 * metrics labels). Their names and numeric codes are the wire's table (@switchyard/protocol,
 * reasons.ts): never renumber an entry, only append.
 *
 * Each reason belongs to one {@link ReasonClass}, which says what kind of refusal it is; the
 * transports map classes, never individual reasons, to their own vocabulary (HTTP status codes
 * in transport/http/status.ts). The names keep the original gateway's spelling (`V3_*` included),
 * because clients and dashboards match on them.
 */
import type { Reason } from '@switchyard/protocol';

export { REASONS, reasonFromCode, type Reason } from '@switchyard/protocol';

/** What kind of refusal a reason is. */
export type ReasonClass =
  /** the request is malformed (syntax, framing, missing or unknown fields, bad query) */
  | 'malformed'
  /** the body's content type is not the contract's */
  | 'media-type'
  /** the body exceeds the size limit */
  | 'too-large'
  /** a well-formed request with a value the contract refuses */
  | 'invalid'
  /** refused by pre-trade risk */
  | 'risk'
  /** refused for now: retry later (rate limit, soft backpressure) */
  | 'throttled'
  /** the ingress queue is nearly full: retry later */
  | 'soft-backpressure'
  /** a kill switch is on, or the ingress queue is full or closed */
  | 'killed'
  /** the service cannot take it now (journal backlog, disk, shutdown) */
  | 'unavailable'
  /** conflicts with an earlier request (idempotency key reused) */
  | 'conflict'
  /** the order is terminal */
  | 'final'
  /** no such order for this caller */
  | 'not-found'
  /** the gateway failed (journal durability, internal error) */
  | 'internal'
  /** a binary-protocol session rule was broken, or the session ended */
  | 'session'
  /** authentication failed */
  | 'auth';

const CLASS_OF: Readonly<Record<Reason, ReasonClass>> = {
  INVALID_JSON: 'malformed',
  UNSUPPORTED_MEDIA_TYPE: 'media-type',
  PAYLOAD_TOO_LARGE: 'too-large',
  UNKNOWN_FIELD: 'malformed',
  MISSING_FIELD: 'malformed',
  INVALID_SYMBOL: 'invalid',
  INVALID_SIDE: 'invalid',
  INVALID_TYPE: 'invalid',
  INVALID_QTY: 'invalid',
  INVALID_PRICE: 'invalid',
  INVALID_TIME_IN_FORCE: 'invalid',
  INVALID_EXPIRE_AT: 'invalid',
  INVALID_CLIENT_ORDER_ID: 'invalid',
  RISK_REJECT: 'risk',
  SYMBOL_RESTRICTED: 'risk',
  PRICE_COLLAR: 'risk',
  POSITION_LIMIT: 'risk',
  CREDIT_LIMIT: 'risk',
  DAILY_NOTIONAL_LIMIT: 'risk',
  RATE_LIMITED: 'throttled',
  DUPLICATE_CLIENT_ORDER_ID: 'risk',
  V3_BACKPRESSURE_SOFT: 'soft-backpressure',
  V3_QUEUE_KILLED: 'killed',
  V3_QUEUE_FULL: 'killed',
  V3_INGRESS_CLOSED: 'killed',
  V3_GLOBAL_KILLED: 'killed',
  V3_ACCOUNT_KILLED: 'killed',
  V3_SHARD_KILLED: 'killed',
  V3_SESSION_KILLED: 'killed',
  V3_BACKPRESSURE_HARD: 'unavailable',
  IDEMPOTENCY_KEY_REUSED: 'conflict',
  IDEMPOTENCY_REQUIRED: 'malformed',
  ORDER_NOT_FOUND: 'not-found',
  ORDER_FINAL: 'final',
  INTERNAL_ERROR: 'internal',
  PROTOCOL_FRAME_TOO_LARGE: 'session',
  PROTOCOL_UNKNOWN_MESSAGE_TYPE: 'session',
  PROTOCOL_BAD_LENGTH: 'session',
  PROTOCOL_BAD_FIELD: 'session',
  PROTOCOL_NOT_LOGGED_IN: 'session',
  PROTOCOL_ALREADY_LOGGED_IN: 'session',
  PROTOCOL_SEQ_NOT_INCREASING: 'session',
  PROTOCOL_UNSUPPORTED_VERSION: 'session',
  PROTOCOL_HEARTBEAT_TIMEOUT: 'session',
  PROTOCOL_LOGIN_TIMEOUT: 'session',
  SESSION_LOGOUT: 'session',
  SERVER_SHUTDOWN: 'unavailable',
  SESSION_SLOW_CONSUMER: 'session',
  AUTH_FAILED: 'auth',
  AUTH_TOKEN_EXPIRED: 'auth',
  WAL_DURABILITY_FAILED: 'internal',
  BACKPRESSURE_INFLIGHT_SOFT: 'throttled',
  BACKPRESSURE_WAL_BYTES: 'unavailable',
  BACKPRESSURE_WAL_AGE: 'unavailable',
  BACKPRESSURE_SOFT_WAL_AGE: 'throttled',
  BACKPRESSURE_DISK_FREE: 'unavailable',
  INVALID_IDEMPOTENCY_KEY: 'malformed',
  INVALID_QUERY: 'malformed',
  DUPLICATE_FIELD: 'malformed',
};

/** The class of a reason. */
export function reasonClass(r: Reason): ReasonClass {
  return CLASS_OF[r];
}


/** Human-readable explanation for each reject reason, sent as `message`. */
const MESSAGES: Readonly<Record<Reason, string>> = {
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
  V3_BACKPRESSURE_HARD: 'ingress queue above the hard watermark; retry later',
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

/** A human-readable explanation of a reason (HTTP `message`, binary Goodbye text). */
export function reasonMessage(r: Reason): string {
  return MESSAGES[r];
}
