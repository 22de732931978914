/**
 * The fast lane's per-connection state: one {@link LaneConnection} per socket, kept under the
 * {@link kLane} symbol (the socket carries no other lane fields), and the answer slots that keep
 * pipelined answers in request order. Event-loop thread only.
 *
 * Invariants: `queue[0]` is the oldest answer not yet written; an answer is written only once
 * every answer before it has been; `busy` is set while fast-lane.ts parses this connection, so a
 * completion during that time only fills its slot and the parser writes it.
 */
import type { Socket } from 'node:net';
import type { AnswerSink } from './answer.js';
import { ParsedRequest, type Route } from './request-parser.js';

/** A request held while its token is verified. */
export interface PendingRequest {
  route: Route;
  key: string | undefined;
  body: string;
  t0: number;
}

export const kLane = Symbol('switchyard.lane');

/** What completes a slot (the lane). */
export interface SlotOwner {
  complete(slot: LaneSlot, status: number, body: string, ascii: boolean, replayed: boolean): void;
}

export class LaneConnection {
  /** bytes received and not yet parsed (a partial request, or requests held back), or null */
  buf: Buffer | null = null;
  /** chunks that arrived after `buf` (a partial request), joined once they can complete it */
  more: Buffer[] | null = null;
  /** bytes in `buf` and `more` */
  len = 0;
  /** performance.now() when the partial request in `buf` began (0: none) */
  since = 0;
  /** a token is being verified: parsing is paused */
  waiting = false;
  /** the client has half-closed: end our side once nothing is pending */
  ended = false;
  /** the connection goes to node:http (with `buf`) once the queue is empty */
  handoff = false;
  /** inside the parse loop: completions only fill their slots */
  busy = false;
  /** `buf` holds complete requests not parsed yet (the answer queue was full) */
  held = false;
  /** answers in request order, the first not yet written (empty: nothing is due) */
  readonly queue: LaneSlot[] = [];
  /** the request held while its token is verified (`waiting`) */
  pending: PendingRequest | null = null;
  /** the request being parsed */
  readonly req = new ParsedRequest();

  constructor(
    readonly socket: Socket,
    readonly owner: SlotOwner,
  ) {}
}

/** A place in a connection's answer order, for an answer that may come later. */
export class LaneSlot implements AnswerSink {
  /** the formatted answer, once there is one */
  text: string | null = null;
  constructor(readonly conn: LaneConnection) {}

  send(status: number, body: string, ascii: boolean, replayed: boolean): void {
    this.conn.owner.complete(this, status, body, ascii, replayed);
  }
}

/** The lane's state of a socket, or undefined once node:http has it. */
export function laneOf(s: Socket): LaneConnection | undefined {
  return (s as Socket & { [kLane]?: LaneConnection })[kLane];
}

export function setLane(s: Socket, c: LaneConnection | undefined): void {
  (s as Socket & { [kLane]?: LaneConnection })[kLane] = c;
}
