/**
 * Where one HTTP answer goes. Both front ends implement it — a fast-lane slot (lane-connection.ts)
 * and a node:http response ({@link NodeAnswer}) — so the order-entry code answers the same way
 * whichever parsed the request, including answers given later (after a token verification or a
 * journal sync).
 */
import type { ServerResponse } from 'node:http';
import { sendReply } from './respond.js';

export interface AnswerSink {
  /**
   * The answer: status, JSON body, whether the body is ASCII (its length is then its byte count)
   * and whether it replays an earlier answer (`idempotent-replayed: true`). Called once.
   */
  send(status: number, body: string, ascii: boolean, replayed: boolean): void;
}

/** A node:http response as an answer sink. */
export class NodeAnswer implements AnswerSink {
  constructor(readonly res: ServerResponse) {}

  send(status: number, body: string, ascii: boolean, replayed: boolean): void {
    sendReply(this.res, status, body, ascii, replayed);
  }
}
