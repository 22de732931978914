/**
 * The order as the domain sees it, after a transport has decoded and validated it
 * (contract `order_request_v1`). Prices are integer ticks; quantities are integers >= 1.
 */
export enum Side {
  Buy = 1,
  Sell = 2,
}

export enum OrdType {
  Limit = 1,
  Market = 2,
}

export enum TimeInForce {
  GTC = 1,
  GTD = 2,
}

export interface NewOrder {
  symbol: string;
  side: Side;
  type: OrdType;
  qty: number;
  /** integer ticks; 0 when absent (MARKET) */
  price: number;
  timeInForce: TimeInForce;
  /** epoch ms, 0 when absent */
  expireAt: number;
  clientOrderId: string | null;
}

export const SIDE_NAMES = ['', 'BUY', 'SELL'] as const;
export const TYPE_NAMES = ['', 'LIMIT', 'MARKET'] as const;
export const TIF_NAMES = ['', 'GTC', 'GTD'] as const;
