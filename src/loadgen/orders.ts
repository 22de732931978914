/**
 * Orders the load generator sends: contract `order_request_v1` bodies, round-robin over the
 * symbols, sides alternating per lane (account or connection) so that positions stay near flat,
 * and a clientOrderId unique to the run (the durable path needs one; duplicate checks never fire).
 */
import type { OrderRequest } from '@switchyard/client';

export interface OrderMix {
  symbols: string[];
  qty: number;
  price: number;
  type: 'LIMIT' | 'MARKET';
  /** prefix making clientOrderIds unique across runs */
  runId: string;
  /** number of independent lanes (accounts for HTTP, connections for TCP) */
  lanes: number;
}

/** The i-th order of the run. */
export function makeOrder(i: number, mix: OrderMix): OrderRequest {
  const lanes = Math.max(1, mix.lanes);
  return {
    symbol: mix.symbols[i % mix.symbols.length],
    side: Math.floor(i / lanes) % 2 === 0 ? 'BUY' : 'SELL',
    type: mix.type,
    qty: mix.qty,
    price: mix.type === 'MARKET' ? null : mix.price,
    timeInForce: 'GTC',
    clientOrderId: `${mix.runId}-${i}`,
  };
}

/** JSON body of the i-th order (HTTP). */
export function orderJson(i: number, mix: OrderMix): string {
  const o = makeOrder(i, mix);
  return JSON.stringify({
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    qty: o.qty,
    price: o.price,
    timeInForce: o.timeInForce,
    clientOrderId: o.clientOrderId,
  });
}

/** Short random run id (base 36). */
export function newRunId(): string {
  return `lg${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36)}`;
}
