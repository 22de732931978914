/**
 * Contract `order_request_v1`: the JSON order body shared by every HTTP order route.
 *
 * Structural validation is a compiled JSON Schema (ajv); the first violation is mapped to a stable
 * reason code. A member named twice is refused (DUPLICATE_FIELD, duplicate-keys.ts): JSON.parse
 * would keep the last one. Cross-field rules that depend on time (a GTD order needs a future
 * `expireAt`) are in {@link checkSemantics}, which the binary protocol shares.
 *
 * {@link parseOrderRequest} is the entry for a JSON text (every HTTP order route);
 * {@link toNewOrder} takes an already parsed value, in which duplicates can no longer be seen.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { duplicateKey, KnownKeys } from './duplicate-keys.js';
import { type NewOrder, OrdType, Side, TimeInForce } from './order.js';
import type { Reason } from './reasons.js';

export const orderRequestSchema = {
  $id: 'order_request_v1',
  type: 'object',
  additionalProperties: false,
  required: ['symbol', 'side', 'type', 'qty'],
  properties: {
    symbol: { type: 'string', minLength: 1, maxLength: 32 },
    side: { enum: ['BUY', 'SELL'] },
    type: { enum: ['LIMIT', 'MARKET'] },
    qty: { type: 'integer', minimum: 1, maximum: 0xffff_ffff },
    price: { type: ['integer', 'null'], minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    timeInForce: { enum: ['GTC', 'GTD'] },
    expireAt: { type: ['integer', 'null'], minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    clientOrderId: { type: ['string', 'null'], pattern: '^[\\x21-\\x7e]{1,64}$' },
  },
} as const;

/** The order body as it arrives in JSON, after schema validation. */
export interface OrderRequestJson {
  symbol: string;
  side: 'BUY' | 'SELL';
  type: 'LIMIT' | 'MARKET';
  qty: number;
  price?: number | null;
  timeInForce?: 'GTC' | 'GTD';
  expireAt?: number | null;
  clientOrderId?: string | null;
}

const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
const validateSchema = ajv.compile<OrderRequestJson>(orderRequestSchema);

const FIELD_REASON: Record<string, Reason> = {
  '/symbol': 'INVALID_SYMBOL',
  '/side': 'INVALID_SIDE',
  '/type': 'INVALID_TYPE',
  '/qty': 'INVALID_QTY',
  '/price': 'INVALID_PRICE',
  '/timeInForce': 'INVALID_TIME_IN_FORCE',
  '/expireAt': 'INVALID_EXPIRE_AT',
  '/clientOrderId': 'INVALID_CLIENT_ORDER_ID',
};

export class ContractViolation {
  constructor(
    readonly reason: Reason,
    /** 400 for a malformed request, 422 for a well-formed request with an invalid value */
    readonly status: 400 | 422,
    readonly message: string,
  ) {}
}

function violation(err: ErrorObject): ContractViolation {
  if (err.keyword === 'additionalProperties') {
    const field = (err.params as { additionalProperty: string }).additionalProperty;
    return new ContractViolation('UNKNOWN_FIELD', 400, `unknown field ${JSON.stringify(field)}`);
  }
  if (err.keyword === 'required') {
    const field = (err.params as { missingProperty: string }).missingProperty;
    return new ContractViolation('MISSING_FIELD', 400, `missing field ${JSON.stringify(field)}`);
  }
  if (err.instancePath === '') return new ContractViolation('INVALID_JSON', 400, 'body must be a JSON object');
  const reason = FIELD_REASON[err.instancePath] ?? 'INVALID_JSON';
  return new ContractViolation(reason, 422, `${err.instancePath.slice(1)} ${err.message ?? 'is invalid'}`);
}

/** The member names of the contract, for the duplicate scan. */
const ORDER_KEYS = new KnownKeys(Object.keys(orderRequestSchema.properties));

const NOT_JSON = new ContractViolation('INVALID_JSON', 400, 'the body is not valid JSON');
const DUPLICATE: readonly ContractViolation[] = ORDER_KEYS.names.map(
  (name) => new ContractViolation('DUPLICATE_FIELD', 400, `field ${JSON.stringify(name)} appears more than once`),
);

/**
 * Parses a JSON order body: syntax, the contract's schema, then duplicate member names.
 * Returns the domain order or a {@link ContractViolation} for the first problem found.
 */
export function parseOrderRequest(text: string): NewOrder | ContractViolation {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
  if (!validateSchema(body)) return violation(validateSchema.errors![0]!);
  // After the schema: every member name is one of the contract's (unknown ones were refused).
  const dup = duplicateKey(text, ORDER_KEYS, memberCount(body));
  if (dup >= 0) return DUPLICATE[dup]!;
  return convert(body);
}

/** Members of a valid order body: the four required ones and the optional ones present. */
function memberCount(b: OrderRequestJson): number {
  let n = 4;
  if (b.price !== undefined) n++;
  if (b.timeInForce !== undefined) n++;
  if (b.expireAt !== undefined) n++;
  if (b.clientOrderId !== undefined) n++;
  return n;
}

/**
 * Validates a parsed JSON value against the contract and converts it to the domain order.
 * Returns a {@link ContractViolation} for the first problem found. A duplicate member name is no
 * longer visible in a parsed value: JSON texts go through {@link parseOrderRequest}.
 */
export function toNewOrder(body: unknown): NewOrder | ContractViolation {
  if (!validateSchema(body)) return violation(validateSchema.errors![0]!);
  return convert(body);
}

function convert(body: OrderRequestJson): NewOrder {
  const isLimit = body.type === 'LIMIT';
  return {
    symbol: body.symbol,
    side: body.side === 'BUY' ? Side.Buy : Side.Sell,
    type: isLimit ? OrdType.Limit : OrdType.Market,
    qty: body.qty,
    price: body.price ?? 0,
    timeInForce: body.timeInForce === 'GTD' ? TimeInForce.GTD : TimeInForce.GTC,
    expireAt: body.expireAt ?? 0,
    clientOrderId: body.clientOrderId ?? null,
  };
}

/**
 * Cross-field rules of the contract, for orders from any transport:
 * a LIMIT order needs a price > 0, a MARKET order carries none; GTD needs a future `expireAt`,
 * GTC carries none.
 */
export function checkSemantics(o: NewOrder, nowMs: number): Reason | null {
  if (o.type === OrdType.Limit) {
    if (o.price <= 0) return 'INVALID_PRICE';
  } else if (o.price !== 0) {
    return 'INVALID_PRICE';
  }
  if (o.timeInForce === TimeInForce.GTD) {
    if (o.expireAt <= nowMs) return 'INVALID_EXPIRE_AT';
  } else if (o.expireAt !== 0) {
    return 'INVALID_EXPIRE_AT';
  }
  return null;
}

export const SEMANTIC_MESSAGES: Partial<Record<Reason, string>> = {
  INVALID_PRICE: 'a LIMIT order needs an integer price > 0; a MARKET order carries no price',
  INVALID_EXPIRE_AT: 'a GTD order needs expireAt in the future (epoch ms); a GTC order carries none',
};
