/**
 * The order as the domain sees it, after a transport has decoded and validated it
 * (contract `order_request_v1`). Prices are integer ticks; quantities are integers >= 1. The
 * enums are the wire's (@switchyard/protocol), so one definition serves every transport.
 */
import { OrdType, Side, TimeInForce } from '@switchyard/protocol';

export { OrdType, Side, TimeInForce, SIDE_NAMES, TIF_NAMES, TYPE_NAMES } from '@switchyard/protocol';

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
