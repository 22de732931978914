/**
 * The reason codes of Switchyard: a stable name and number for every refusal, on every transport.
 * The binary protocol carries the number; HTTP bodies and metrics the name. Never renumber an
 * entry, only append.
 */
export const REASONS = {
  // request / contract
  INVALID_JSON: 1,
  UNSUPPORTED_MEDIA_TYPE: 2,
  PAYLOAD_TOO_LARGE: 3,
  UNKNOWN_FIELD: 4,
  MISSING_FIELD: 5,
  INVALID_SYMBOL: 10,
  INVALID_SIDE: 11,
  INVALID_TYPE: 12,
  INVALID_QTY: 13,
  INVALID_PRICE: 14,
  INVALID_TIME_IN_FORCE: 15,
  INVALID_EXPIRE_AT: 16,
  INVALID_CLIENT_ORDER_ID: 17,
  // pre-trade risk
  RISK_REJECT: 30,
  SYMBOL_RESTRICTED: 31,
  PRICE_COLLAR: 32,
  POSITION_LIMIT: 33,
  CREDIT_LIMIT: 34,
  DAILY_NOTIONAL_LIMIT: 35,
  RATE_LIMITED: 36,
  DUPLICATE_CLIENT_ORDER_ID: 37,
  // fast path admission / kill switch
  V3_BACKPRESSURE_SOFT: 50,
  V3_QUEUE_KILLED: 51,
  V3_QUEUE_FULL: 52,
  V3_INGRESS_CLOSED: 53,
  V3_GLOBAL_KILLED: 54,
  V3_ACCOUNT_KILLED: 55,
  V3_SHARD_KILLED: 56,
  V3_SESSION_KILLED: 57,
  /** the original's optional third watermark (V3_HARD_REJECT_PCT), between soft and kill */
  V3_BACKPRESSURE_HARD: 58,
  IDEMPOTENCY_KEY_REUSED: 60,
  IDEMPOTENCY_REQUIRED: 61,
  // order lifecycle
  ORDER_NOT_FOUND: 70,
  ORDER_FINAL: 71,
  // generic
  INTERNAL_ERROR: 99,
  // binary protocol sessions (transport/tcp)
  PROTOCOL_FRAME_TOO_LARGE: 100,
  PROTOCOL_UNKNOWN_MESSAGE_TYPE: 101,
  PROTOCOL_BAD_LENGTH: 102,
  PROTOCOL_BAD_FIELD: 103,
  PROTOCOL_NOT_LOGGED_IN: 104,
  PROTOCOL_ALREADY_LOGGED_IN: 105,
  PROTOCOL_SEQ_NOT_INCREASING: 106,
  PROTOCOL_UNSUPPORTED_VERSION: 107,
  PROTOCOL_HEARTBEAT_TIMEOUT: 108,
  PROTOCOL_LOGIN_TIMEOUT: 109,
  SESSION_LOGOUT: 110,
  SERVER_SHUTDOWN: 111,
  SESSION_SLOW_CONSUMER: 112,
  AUTH_FAILED: 120,
  AUTH_TOKEN_EXPIRED: 121,
  // durable /orders path: journal and backpressure
  WAL_DURABILITY_FAILED: 130,
  BACKPRESSURE_INFLIGHT_SOFT: 131,
  BACKPRESSURE_WAL_BYTES: 132,
  BACKPRESSURE_WAL_AGE: 133,
  BACKPRESSURE_SOFT_WAL_AGE: 134,
  BACKPRESSURE_DISK_FREE: 135,
  INVALID_IDEMPOTENCY_KEY: 136,
  INVALID_QUERY: 137,
  // request / contract (appended)
  DUPLICATE_FIELD: 138,
} as const;

export type Reason = keyof typeof REASONS;

const byCode = new Map<number, Reason>();
for (const [name, code] of Object.entries(REASONS)) byCode.set(code, name as Reason);

/** Reason name for a numeric code, or undefined for a code this build does not know. */
export function reasonFromCode(code: number): Reason | undefined {
  return byCode.get(code);
}
