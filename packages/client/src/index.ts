/**
 * `@switchyard/client`: TypeScript client for the Switchyard binary TCP order-entry protocol
 * (docs/tcp-protocol.md). See packages/client/README.md for usage.
 */
export { SwitchyardClient } from './client.js';
export { orderToWire, reasonName } from './requests.js';
export {
  ClientClosedError,
  ConnectTimeoutError,
  ConnectionClosedError,
  ConnectionLostError,
  HeartbeatTimeoutError,
  InvalidRequestError,
  LoginRejectedError,
  NotConnectedError,
  ProtocolViolationError,
  ServerGoodbyeError,
  SwitchyardError,
  type ClientErrorCode,
} from './errors.js';
export type {
  CancelAccepted,
  CancelRejected,
  CancelRequest,
  CancelResult,
  ClientEventMap,
  ClientOptions,
  ClientState,
  ExecutionReport,
  Clock,
  GoodbyeInfo,
  OrdTypeInput,
  OrderAck,
  OrderReject,
  OrderRequest,
  OrderResult,
  ReasonName,
  ReconnectPolicy,
  SessionInfo,
  SideInput,
  TimeInForceInput,
} from './types.js';
export { OrdType, Side, TimeInForce } from '@switchyard/protocol';
export {
  MsgType,
  PROTOCOL_VERSION,
  describeMessage,
  type ServerMessage,
  type WireReason,
} from '@switchyard/protocol';
