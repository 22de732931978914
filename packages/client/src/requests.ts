/** The client's requests and answers as the wire carries them: names in, codes and enums out. */
import { OrdType, reasonFromCode, Side, TimeInForce, type Fields, type NewOrderMsg } from '@switchyard/protocol';
import { InvalidRequestError } from './errors.js';
import type { OrdTypeInput, OrderRequest, ReasonName, SideInput, TimeInForceInput } from './types.js';

/** Reason name for a wire code (`UNKNOWN_<code>` when this build does not know it). */
export function reasonName(code: number): ReasonName {
  return reasonFromCode(code) ?? `UNKNOWN_${code}`;
}

function parseSide(v: SideInput): Side {
  if (v === 'BUY') return Side.Buy;
  if (v === 'SELL') return Side.Sell;
  if (typeof v === 'number') return v;
  throw new InvalidRequestError(`side must be BUY or SELL, got ${JSON.stringify(v)}`);
}

function parseType(v: OrdTypeInput | undefined): OrdType {
  if (v === undefined || v === 'LIMIT') return OrdType.Limit;
  if (v === 'MARKET') return OrdType.Market;
  if (typeof v === 'number') return v;
  throw new InvalidRequestError(`type must be LIMIT or MARKET, got ${JSON.stringify(v)}`);
}

function parseTif(v: TimeInForceInput | undefined): TimeInForce {
  if (v === undefined || v === 'GTC') return TimeInForce.GTC;
  if (v === 'GTD') return TimeInForce.GTD;
  if (typeof v === 'number') return v;
  throw new InvalidRequestError(`timeInForce must be GTC or GTD, got ${JSON.stringify(v)}`);
}

/** Maps an {@link OrderRequest} to NewOrder wire fields (no business validation: the server does it). */
export function orderToWire(order: OrderRequest, clientSeq: number): Fields<NewOrderMsg> {
  const id = order.clientOrderId;
  return {
    clientSeq,
    symbol: order.symbol,
    side: parseSide(order.side),
    ordType: parseType(order.type),
    timeInForce: parseTif(order.timeInForce),
    qty: order.qty,
    price: order.price ?? 0,
    expireAt: order.expireAt ?? 0,
    clientOrderId: id === undefined || id === null || id === '' ? null : id,
  };
}

