/**
 * The order enums as the wire carries them (one byte each) and their names: shared by the binary
 * protocol, the gateway's order contract and every client.
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

export const SIDE_NAMES = ['', 'BUY', 'SELL'] as const;
export const TYPE_NAMES = ['', 'LIMIT', 'MARKET'] as const;
export const TIF_NAMES = ['', 'GTC', 'GTD'] as const;
