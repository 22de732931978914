/** The binary protocol's NewOrder as the gateway's order contract (server side only). */
import { OrdType, Side, TimeInForce, type NewOrderMsg } from '@switchyard/protocol';
import type { NewOrder } from '../../contract/order.js';
import type { Reason } from '../../contract/reasons.js';

/**
 * Maps a decoded NewOrder to the contract order (`order_request_v1` semantics), or returns the
 * reason to reject it with. Checks what the binary encoding leaves open: enum bytes in range,
 * symbol and clientOrderId characters, qty >= 1, price >= 0 (> 0 for LIMIT), a future expireAt
 * for GTD and none for GTC. Symbol master, collars and every other risk check stay with the
 * risk engine.
 */
export function wireOrderToContract(m: NewOrderMsg, nowMs: number): NewOrder | Reason {
  if (m.symbol.length === 0 || !isSymbolText(m.symbol)) return 'INVALID_SYMBOL';
  if (m.side !== Side.Buy && m.side !== Side.Sell) return 'INVALID_SIDE';
  if (m.ordType !== OrdType.Limit && m.ordType !== OrdType.Market) return 'INVALID_TYPE';
  if (m.timeInForce !== TimeInForce.GTC && m.timeInForce !== TimeInForce.GTD) return 'INVALID_TIME_IN_FORCE';
  if (m.qty < 1) return 'INVALID_QTY';
  if (m.price < 0 || (m.ordType === OrdType.Limit && m.price === 0)) return 'INVALID_PRICE';
  if (m.timeInForce === TimeInForce.GTD ? m.expireAt <= nowMs : m.expireAt !== 0) return 'INVALID_EXPIRE_AT';
  if (m.clientOrderId !== null && !isIdText(m.clientOrderId)) return 'INVALID_CLIENT_ORDER_ID';
  return {
    symbol: m.symbol,
    side: m.side,
    type: m.ordType,
    qty: m.qty,
    price: m.price,
    timeInForce: m.timeInForce,
    expireAt: m.expireAt,
    clientOrderId: m.clientOrderId,
  };
}

/** Symbol text: visible ASCII without spaces (padding has already been stripped). */
function isSymbolText(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c > 0x7e) return false;
  }
  return true;
}

/** clientOrderId text: visible ASCII without spaces. */
function isIdText(s: string): boolean {
  return isSymbolText(s);
}

