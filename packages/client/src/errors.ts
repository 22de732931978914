/**
 * Typed errors of `@switchyard/client`. Business rejects are not errors (they resolve as
 * `{status: 'REJECTED'}`); these are transport and session failures.
 */
import type { ProtocolReason } from '@switchyard/protocol';
import type { ReasonName } from './types.js';

export type ClientErrorCode =
  | 'NOT_CONNECTED'
  | 'CONNECTION_LOST'
  | 'CONNECTION_CLOSED'
  | 'LOGIN_REJECTED'
  | 'SERVER_GOODBYE'
  | 'HEARTBEAT_TIMEOUT'
  | 'CONNECT_TIMEOUT'
  | 'PROTOCOL_VIOLATION'
  | 'CLIENT_CLOSED'
  | 'INVALID_REQUEST';

export class SwitchyardError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A request was made while no session is active (connecting, reconnecting, closing or closed). */
export class NotConnectedError extends SwitchyardError {
  constructor(state: string) {
    super('NOT_CONNECTED', `no active session (client is ${state})`);
  }
}

/**
 * The session ended while this request was outstanding. The server may or may not have
 * processed it; the client never sends it again on its own. Look the order up (for example by
 * clientOrderId) before deciding to resend.
 */
export class ConnectionLostError extends SwitchyardError {
  constructor(
    readonly clientSeq: number,
    cause: Error,
  ) {
    super('CONNECTION_LOST', `session lost with request ${clientSeq} outstanding: ${cause.message}`, { cause });
  }
}

/** The TCP connection closed or failed (peer closed, reset, refused). */
export class ConnectionClosedError extends SwitchyardError {
  constructor(message: string, cause?: unknown) {
    super('CONNECTION_CLOSED', message, cause === undefined ? undefined : { cause });
  }
}

/** The server refused the login (bad or expired token, unsupported version). */
export class LoginRejectedError extends SwitchyardError {
  constructor(
    readonly reasonCode: number,
    readonly reason: ReasonName,
    readonly text: string,
  ) {
    super('LOGIN_REJECTED', `login rejected: ${reason}${text ? ` (${text})` : ''}`);
  }
}

/** The server ended the session with Goodbye. */
export class ServerGoodbyeError extends SwitchyardError {
  constructor(
    readonly reasonCode: number,
    readonly reason: ReasonName,
    readonly text: string,
  ) {
    super('SERVER_GOODBYE', `server ended the session: ${reason}${text ? ` (${text})` : ''}`);
  }
}

/** Nothing was received from the server for the agreed number of heartbeat intervals. */
export class HeartbeatTimeoutError extends SwitchyardError {
  constructor(readonly silentForMs: number) {
    super('HEARTBEAT_TIMEOUT', `no data from the server for ${Math.round(silentForMs)} ms`);
  }
}

/** TCP connect plus login did not complete in time. */
export class ConnectTimeoutError extends SwitchyardError {
  constructor(timeoutMs: number) {
    super('CONNECT_TIMEOUT', `connect and login did not complete within ${timeoutMs} ms`);
  }
}

/** The server sent something the protocol does not allow (undecodable frame, answer out of order). */
export class ProtocolViolationError extends SwitchyardError {
  constructor(
    message: string,
    readonly protocolReason: ProtocolReason | null = null,
  ) {
    super('PROTOCOL_VIOLATION', message);
  }
}

/** The request was outstanding when close()/destroy() ended the session. */
export class ClientClosedError extends SwitchyardError {
  constructor() {
    super('CLIENT_CLOSED', 'client closed');
  }
}

/** The request cannot be encoded (bad enum name, symbol over 8 bytes, non-integer qty, ...). */
export class InvalidRequestError extends SwitchyardError {
  constructor(message: string) {
    super('INVALID_REQUEST', message);
  }
}
