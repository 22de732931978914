/**
 * The HTTP/1.1 fast lane: `POST /v3/orders` and `POST /orders` on keep-alive connections, parsed
 * and answered straight off the socket, without node:http's per-request objects (IncomingMessage,
 * ServerResponse, their streams and header maps). It sits in front of the node:http server's
 * connection listener and serves every new connection until a request is not one it handles;
 * then it hands the connection, with the bytes not yet consumed, to node:http for good.
 *
 * What it handles is decided by the pure parser (request-parser.ts): exactly the canonical order
 * request. Anything else goes to node:http (and its llhttp parser), which answers it exactly as
 * it always did: the lane never has to decide what a doubtful request means. Answers are the same
 * bytes node:http would write (same headers, same order).
 *
 * Pipelined requests are answered in order: all answers of one read are written with one socket
 * write. A `/orders` answer waits for the journal; answers behind it wait in the connection's
 * answer queue (a {@link LaneSlot} each) and go out as soon as everything before them has. A
 * request whose token is not yet in the verified-token cache pauses its connection until the
 * token is verified, so that orders enter the book in the order sent.
 *
 * node:http's limits hold here too: a request still incomplete `requestTimeoutMs` after its first
 * byte gets 408 (checked on every read and every `checkIntervalMs`, as node:http checks its
 * connections), an idle connection closes after `keepAliveTimeoutMs`.
 *
 * Event-loop thread only. Per-connection state is one {@link LaneConnection} under a symbol on
 * the socket; the listeners are module functions, so no closures are made per connection or
 * per request.
 */
import { maxHeaderSize } from 'node:http';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Authenticator, AuthFailure, Principal } from '../../auth/authenticator.js';
import type { AnswerSink } from './answer.js';
import { LaneConnection, laneOf, LaneSlot, setLane, type SlotOwner } from './lane-connection.js';
import { HAND_OFF, NEED_MORE, parseOrderRequest, Route, type ParseLimits } from './request-parser.js';
import { afterEnd } from './after-end.js';
import { LaneAnswerText } from './lane-answer-text.js';
import { errorBody, PROTOCOL_408, protocolError } from './respond.js';
import type { V3Reply } from './v3-entry.js';

/** Answers a connection may have waiting before the lane stops reading from it. */
const MAX_QUEUED_ANSWERS = 256;

/** `POST /v3/orders` once the token is known: the answer, synchronously. */
export interface V3LaneEndpoint {
  answer(auth: Principal | AuthFailure, key: string | undefined, body: string, t0: number): V3Reply;
}

/** `POST /orders` once the token is known: answers through `sink`, at once or when the journal has it. */
export interface OrdersLaneEndpoint {
  handle(auth: Principal | AuthFailure, key: string | undefined, body: string, t0: number, sink: AnswerSink): void;
}

export interface LaneCounters {
  requests: number;
}

export interface FastLaneOptions {
  auth: Authenticator;
  counters: LaneCounters;
  v3: V3LaneEndpoint;
  /** POST /orders (absent: those requests go to node:http) */
  orders?: OrdersLaneEndpoint;
  maxBodyBytes: number;
  keepAliveTimeoutMs: number;
  /** a request not complete this long after its first byte gets 408 (node:http's requestTimeout) */
  requestTimeoutMs: number;
  /** how often connections are checked for the request timeout (node:http's connectionsCheckingInterval) */
  checkIntervalMs: number;
}

export class FastLane implements SlotOwner {
  /** connections the lane serves (not yet handed off) */
  private readonly conns = new Set<LaneConnection>();
  private readonly nodeListener: (socket: Socket) => void;
  private readonly limits: ParseLimits;
  private readonly checker: NodeJS.Timeout;
  private closing = false;
  /** requests answered by the lane / connections handed to node:http (metrics) */
  answered = 0;
  handedOff = 0;

  private readonly answers: LaneAnswerText;

  /**
   * Takes over `server`'s connection handling. Returns null (and changes nothing) when the
   * server does not have exactly one connection listener, node:http's own.
   */
  static install(server: Server, opts: FastLaneOptions): FastLane | null {
    const listeners = server.listeners('connection');
    if (listeners.length !== 1) return null;
    const lane = new FastLane(server, listeners[0] as (socket: Socket) => void, opts);
    server.removeAllListeners('connection');
    server.on('connection', (socket: Socket) => lane.accept(socket));
    return lane;
  }

  private constructor(
    private readonly server: Server,
    nodeListener: (socket: Socket) => void,
    private readonly o: FastLaneOptions,
  ) {
    this.nodeListener = nodeListener;
    const count = server.maxHeadersCount;
    this.limits = {
      // (createServer's maxHeaderSize option, else the process-wide --max-http-header-size)
      maxHeadBytes: (server as { maxHeaderSize?: number }).maxHeaderSize ?? maxHeaderSize,
      maxHeaders: count !== null && count > 0 ? count : 2000,
      maxBodyBytes: o.maxBodyBytes,
      orders: o.orders !== undefined,
    };
    this.answers = new LaneAnswerText(o.keepAliveTimeoutMs);
    this.checker = setInterval(() => this.checkDeadlines(), o.checkIntervalMs);
    this.checker.unref();
  }

  get connections(): number {
    return this.conns.size;
  }

  /** Bytes a head may take before node:http answers 431. */
  get headLimit(): number {
    return this.limits.maxHeadBytes;
  }

  private accept(s: Socket): void {
    if (this.closing) {
      this.nodeListener.call(this.server, s);
      return;
    }
    const c = new LaneConnection(s, this);
    setLane(s, c);
    this.conns.add(c);
    s.setTimeout(this.o.keepAliveTimeoutMs);
    s.on('data', onData);
    s.on('end', onEnd);
    s.on('timeout', onTimeout);
    s.on('error', onError);
    s.on('close', onClose);
    s.on('drain', onDrain);
  }

  /** 408 for every partial request older than requestTimeout (a client trickling bytes, or silent). */
  checkDeadlines(): void {
    const now = performance.now();
    for (const c of this.conns) if (this.expired(c, now)) this.timeOut(c, '');
  }

  /** The partial request of `c` is older than the request timeout. */
  expired(c: LaneConnection, now: number): boolean {
    return c.since !== 0 && now - c.since > this.o.requestTimeoutMs;
  }

  /** Parses and answers what `buf` holds from `off` on. */
  consume(c: LaneConnection, buf: Buffer, off: number): void {
    const s = c.socket;
    if (this.closing) {
      // Shutting down: nothing new is executed (it could not be answered).
      c.buf = null;
      s.pause();
      this.settle(c);
      return;
    }
    const t0 = performance.now();
    const q = c.queue;
    const req = c.req;
    let out = '';
    c.busy = true;
    let first = true;
    while (off < buf.length) {
      const n = parseOrderRequest(buf, off, this.limits, req);
      if (n === NEED_MORE) {
        c.buf = off === 0 ? buf : buf.subarray(off);
        c.len = buf.length - off;
        // A request that began in an earlier read keeps its start time.
        if (!first || c.since === 0) c.since = t0;
        else if (this.expired(c, t0)) {
          c.busy = false;
          this.timeOut(c, out);
          return;
        }
        break;
      }
      first = false;
      c.since = 0;
      if (n === HAND_OFF) {
        if (q.length === 0) {
          c.busy = false;
          if (out !== '') s.write(out);
          this.handOff(c, buf.subarray(off));
          return;
        }
        // Answers are still due: node:http takes over once they are out.
        c.handoff = true;
        c.buf = buf.subarray(off);
        s.pause();
        break;
      }
      off += n;
      this.o.counters.requests++;
      this.answered++;
      const route = req.route;
      const auth = this.o.auth.resolve(req.authorization, onVerified, c);
      if (auth === undefined) {
        // The token is being verified. Nothing behind this request is parsed until it has been
        // dispatched: orders of one connection enter the book in the order they were sent.
        c.pending = { route, key: req.idempotencyKey, body: req.body, t0 };
        c.waiting = true;
        c.buf = off < buf.length ? buf.subarray(off) : null;
        s.pause();
        break;
      }
      if (route === Route.Orders && out !== '') {
        // Written now: the order's answer may be complete (and written) before handle() returns.
        s.write(out);
        out = '';
      }
      out += this.dispatch(c, auth, route, req.idempotencyKey, req.body, t0);
      if (q.length >= MAX_QUEUED_ANSWERS && off < buf.length) {
        c.buf = buf.subarray(off);
        c.held = true;
        s.pause(); // parsed on when the queue has drained
        break;
      }
    }
    c.busy = false;
    if (out !== '' && !s.write(out)) s.pause(); // resumed on 'drain'
    this.settle(c);
  }

  /**
   * Answers one request: returns the answer's text when it is due now and nothing waits before
   * it (the caller writes it); otherwise it goes to the connection's queue and '' is returned.
   * `auth` null: the token could not be checked (500).
   */
  private dispatch(c: LaneConnection, auth: Principal | AuthFailure | null, route: Route, key: string | undefined, body: string, t0: number): string {
    const q = c.queue;
    if (route === Route.Orders) {
      const slot = new LaneSlot(c);
      q.push(slot);
      if (auth === null) slot.send(500, errorBody('INTERNAL_ERROR'), true, false);
      else this.o.orders!.handle(auth, key, body, t0, slot);
      this.flush(c);
      return '';
    }
    let text: string;
    if (auth === null) {
      text = this.answers.format(500, errorBody('INTERNAL_ERROR'), true, false);
    } else {
      const r = this.o.v3.answer(auth, key, body, t0);
      text = this.answers.format(r.status, r.body, r.ascii, r.replayed);
    }
    if (q.length === 0) return text;
    const slot = new LaneSlot(c);
    slot.text = text;
    q.push(slot);
    return '';
  }

  /** The held request's token has been verified: it is answered, then the requests behind it. */
  verified(c: LaneConnection, auth: Principal | AuthFailure | null): void {
    const r = c.pending!;
    c.pending = null;
    c.waiting = false;
    const s = c.socket;
    if (s.destroyed || !this.conns.has(c)) return;
    c.busy = true;
    const text = this.dispatch(c, auth, r.route, r.key, r.body, r.t0);
    c.busy = false;
    if (text !== '' && !s.write(text)) s.pause();
    const rest = c.buf;
    c.buf = null;
    if (rest !== null) this.consume(c, rest, 0);
    else this.settle(c);
  }

  /** An answer for `slot`: written as soon as every answer before it is. */
  complete(slot: LaneSlot, status: number, body: string, ascii: boolean, replayed: boolean): void {
    slot.text = this.answers.format(status, body, ascii, replayed);
    const c = slot.conn;
    if (c.busy) return; // consume() flushes
    if (c.socket.destroyed) {
      c.queue.length = 0;
      return;
    }
    this.flush(c);
    this.settle(c);
  }

  /** Writes the completed answers at the head of the queue. */
  private flush(c: LaneConnection): void {
    const q = c.queue;
    if (q.length === 0 || q[0]!.text === null) return;
    let text = q[0]!.text;
    let i = 1;
    while (i < q.length && q[i]!.text !== null) text += q[i++]!.text;
    if (i === q.length) q.length = 0;
    else q.splice(0, i);
    const s = c.socket;
    if (!s.destroyed && !s.write(text)) s.pause();
  }

  /**
   * After answers went out (or not): hand off, end or resume the connection as its state says.
   * Does nothing while an answer is still due.
   */
  settle(c: LaneConnection): void {
    const s = c.socket;
    if (c.busy || c.waiting || s.destroyed || !this.conns.has(c)) return;
    const q = c.queue;
    if (c.held && q.length < MAX_QUEUED_ANSWERS) {
      const held = c.buf!;
      c.buf = null;
      c.held = false;
      this.consume(c, held, 0);
      return;
    }
    if (q.length > 0) return;
    if (this.closing) {
      // Every answer is out: close (nothing more is read or executed).
      this.shut(c);
      return;
    }
    if (c.handoff) {
      const rest = c.buf ?? Buffer.alloc(0);
      c.handoff = false;
      this.handOff(c, rest);
      return;
    }
    if (c.ended) {
      // A partial request can no longer be completed: node:http answers that 400 (its parser
      // fails at the end of the stream), so the lane does too.
      if (c.buf !== null) {
        // (a partial head fails in node:http's parser; a partial body is answered by its route)
        const answer = c.req.need > 0 ? this.answers.format(400, errorBody('BAD_REQUEST'), true, false, true) : protocolError('HPE_INVALID_EOF_STATE');
        this.stopReading(c);
        s.once('finish', destroyAfterEnd);
        s.end(answer);
      } else this.shut(c);
      return;
    }
    if (s.isPaused() && !c.held && !s.writableNeedDrain) s.resume();
  }

  /** Nothing more is read from the connection; what it held unparsed is dropped. */
  private stopReading(c: LaneConnection): void {
    c.socket.removeListener('data', onData);
    c.socket.pause();
    c.buf = null;
    c.more = null;
    c.since = 0;
  }

  /** Stops reading and closes once what was written is flushed. */
  private shut(c: LaneConnection): void {
    this.stopReading(c);
    const s = c.socket;
    if (s.writableLength === 0) {
      s.destroy();
    } else {
      s.once('finish', destroyAfterEnd);
      s.end();
    }
  }

  /** A request that has not completed within requestTimeout: 408, as node:http answers it. */
  timeOut(c: LaneConnection, out: string): void {
    this.stopReading(c);
    const s = c.socket;
    if (c.queue.length > 0) {
      // answers are still due: close once they are out
      c.ended = true;
      if (out !== '') s.write(out);
      return;
    }
    s.once('finish', destroyAfterEnd);
    s.end(out + PROTOCOL_408);
  }

  private handOff(c: LaneConnection, rest: Buffer): void {
    const s = c.socket;
    this.conns.delete(c);
    setLane(s, undefined);
    this.handedOff++;
    s.removeListener('data', onData);
    s.removeListener('end', onEnd);
    s.removeListener('timeout', onTimeout);
    s.removeListener('error', onError);
    s.removeListener('close', onClose);
    s.removeListener('drain', onDrain);
    s.setTimeout(0);
    c.buf = null;
    c.more = null;
    if (s.readableEnded) {
      // The client's FIN came while the lane held the connection (paused for a token check or
      // for answers due): the socket can take no bytes back, so node:http reads the rest, then
      // the end, from a stream in front of it — and answers exactly what it would have.
      this.nodeListener.call(this.server, afterEnd(s, rest) as unknown as Socket);
      return;
    }
    if (rest.length > 0) s.unshift(rest);
    this.nodeListener.call(this.server, s);
    s.resume();
  }

  /**
   * Stops serving: idle connections are closed now, busy ones once their due answers are out.
   * Nothing more is read or executed on any of them.
   */
  close(): void {
    this.closing = true;
    clearInterval(this.checker);
    for (const c of this.conns) this.settle(c);
  }

  /** Destroys every connection the lane still serves. */
  closeAll(): void {
    for (const c of this.conns) c.socket.destroy();
    this.conns.clear();
  }

  forget(c: LaneConnection): void {
    this.conns.delete(c);
    c.queue.length = 0;
  }

}


function onVerified(p: Principal | AuthFailure | null, c: LaneConnection): void {
  (c.owner as FastLane).verified(c, p);
}

/** 'finish' listener: everything written has been flushed. */
function destroyAfterEnd(this: Socket): void {
  this.destroy();
}

function onData(this: Socket, chunk: Buffer): void {
  const c = laneOf(this)!;
  const lane = c.owner as FastLane;
  const held = c.buf;
  if (held === null) {
    lane.consume(c, chunk, 0);
    return;
  }
  if (c.waiting || c.held || c.handoff) {
    // Paused while data was already on its way: keep it behind what is held.
    c.buf = Buffer.concat([held, chunk]);
    return;
  }
  // A partial request: parse again only once the new bytes can complete it — the body is all
  // there, or (head incomplete) a line ended — so a request arriving in many small reads costs
  // linear time, not quadratic.
  const more = c.more ?? (c.more = [held]);
  more.push(chunk);
  c.len += chunk.length;
  const need = c.req.need;
  if (need > 0 ? c.len < need : chunk.indexOf(0x0a) < 0 && c.len <= lane.headLimit) {
    if (lane.expired(c, performance.now())) lane.timeOut(c, '');
    return;
  }
  const all = Buffer.concat(more, c.len);
  c.more = null;
  c.buf = null;
  lane.consume(c, all, 0);
}

function onEnd(this: Socket): void {
  const c = laneOf(this)!;
  c.ended = true;
  (c.owner as FastLane).settle(c);
}

function onTimeout(this: Socket): void {
  const c = laneOf(this)!;
  // node:http's keep-alive timeout runs between requests only: not while answers are due.
  if (c.queue.length > 0 || c.waiting) return;
  // A request in progress is node:http's requestTimeout case: 408, not a silent close.
  if (c.since !== 0) (c.owner as FastLane).timeOut(c, '');
  else this.destroy();
}

function onError(this: Socket): void {
  this.destroy();
}

function onClose(this: Socket): void {
  const c = laneOf(this);
  if (c !== undefined) (c.owner as FastLane).forget(c);
}

function onDrain(this: Socket): void {
  const c = laneOf(this)!;
  (c.owner as FastLane).settle(c);
}
