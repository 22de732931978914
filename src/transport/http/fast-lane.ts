/**
 * The HTTP/1.1 fast lane: `POST /v3/orders` and `POST /orders` on keep-alive connections, parsed
 * and answered straight off the socket, without node:http's per-request objects (IncomingMessage,
 * ServerResponse, their streams and header maps). It sits in front of the node:http server's
 * connection listener and serves every new connection until a request is not one it handles;
 * then it hands the connection, with the bytes not yet consumed, to node:http for good.
 *
 * It handles only the canonical request, checked byte by byte:
 *
 *   POST /v3/orders HTTP/1.1 CRLF      (or POST /orders HTTP/1.1)
 *   header lines (token ":" OWS value OWS CRLF, value bytes 0x20-0x7e or HTAB)
 *   CRLF
 *   body of exactly Content-Length bytes
 *
 * with exactly one Host, one Content-Length (digits, within the body limit) and one
 * Content-Type `application/json` (lower case, optionally with parameters), at most one
 * Authorization and one Idempotency-Key, no Transfer-Encoding, Expect, Upgrade, or Connection
 * other than keep-alive, and a head within node:http's header size and count limits. Anything else — another route, another method, HTTP/1.0, chunked bodies, a
 * malformed byte, an oversized head or body — goes to node:http (and its llhttp parser), which
 * answers it exactly as it always did: the lane never has to decide what a doubtful request
 * means. Answers are the same bytes node:http would write (same headers, same order).
 *
 * Pipelined requests are answered in order: all answers of one read are written with one
 * socket write. A `/orders` answer waits for the journal; answers behind it wait in the
 * connection's answer queue (a {@link LaneSlot} each) and go out as soon as everything before
 * them has. A request whose token is not yet in the verified-token cache pauses its
 * connection until the token is verified, so that orders enter the book in the order sent.
 *
 * Per-connection state lives on the socket object and the listeners are module functions, so
 * no closures are made per connection or per request.
 */
import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Authenticator, AuthFailure, Principal } from '../../auth/authenticator.js';
import { errorBody } from './respond.js';
import type { HttpCounters } from './server.js';
import type { V3OrderEntry } from './v3-entry.js';

const V3_LINE = Buffer.from('POST /v3/orders HTTP/1.1\r\n', 'latin1');
const ORDERS_LINE = Buffer.from('POST /orders HTTP/1.1\r\n', 'latin1');
/** Answers a connection may have waiting before the lane stops reading from it. */
const MAX_QUEUED_ANSWERS = 256;
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const APPLICATION_JSON = Buffer.from('application/json', 'latin1');

/** RFC 9110 token characters (header names). */
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;

/** Result of parsing one request: bytes it took, or one of these. */
const NEED_MORE = 0;
const HAND_OFF = -1;

const enum Route {
  V3 = 1,
  Orders = 2,
}

/** `POST /orders`: answers every request through its slot, at once or when the journal has it. */
export interface OrdersLaneEndpoint {
  handle(auth: Principal | AuthFailure, key: string | undefined, body: string, t0: number, slot: LaneSlot): void;
}

/** A request held while its token is verified. */
interface PendingRequest {
  route: Route;
  key: string | undefined;
  body: string;
  t0: number;
}

/** A place in a connection's answer order, for an answer that may come later. */
export class LaneSlot {
  /** the formatted answer, once there is one */
  text: string | null = null;
  constructor(readonly socket: LaneSocket) {}

  complete(status: number, body: string, ascii: boolean, replayed: boolean): void {
    this.socket._fl_lane.complete(this, status, body, ascii, replayed);
  }
}

export interface LaneSocket extends Socket {
  _fl_lane: FastLane;
  /** bytes received and not yet parsed (a partial request), or null */
  _fl_buf: Buffer | null;
  /** a token is being verified: parsing is paused */
  _fl_waiting: boolean;
  /** the client has half-closed: end our side once nothing is pending */
  _fl_ended: boolean;
  /** answers in request order, the first not yet complete (empty: nothing waits) */
  _fl_queue: LaneSlot[];
  /** the connection goes to node:http (with _fl_buf) once the queue is empty */
  _fl_handoff: boolean;
  /** inside consume(): completions only queue, consume() writes */
  _fl_busy: boolean;
  /** _fl_buf holds complete requests not parsed yet (the answer queue was full) */
  _fl_held: boolean;
  /** chunks that arrived after _fl_buf (a partial request), joined once they can complete it */
  _fl_more: Buffer[] | null;
  /** bytes in _fl_buf and _fl_more */
  _fl_len: number;
  /** bytes the partial request needs in all (0: its head is not complete yet) */
  _fl_need: number;
  /** performance.now() when the partial request in _fl_buf began (0: none) */
  _fl_since: number;
}

export interface FastLaneOptions {
  log: Logger;
  auth: Authenticator;
  counters: HttpCounters;
  entry: V3OrderEntry;
  /** POST /orders (absent: those requests go to node:http) */
  orders?: OrdersLaneEndpoint;
  maxBodyBytes: number;
  keepAliveTimeoutMs: number;
  /** a request not complete this long after its first byte gets 408 (node:http's requestTimeout) */
  requestTimeoutMs: number;
}

export class FastLane {
  /** connections the lane serves (not yet handed off) */
  private readonly sockets = new Set<LaneSocket>();
  private readonly nodeListener: (socket: Socket) => void;
  private closing = false;
  /** requests answered by the lane / connections handed to node:http (metrics) */
  answered = 0;
  handedOff = 0;

  // The request being parsed (valid right after parse() returned a length).
  private route: Route = Route.V3;
  private authorization: string | undefined = undefined;
  private idempotencyKey: string | undefined = undefined;
  private body = '';
  /** after NEED_MORE: bytes from the request's start it needs in all (0: head incomplete) */
  private need = 0;
  /** node:http's limits, which the lane must not exceed (it hands off before either) */
  private readonly maxHeadBytes: number;
  private readonly maxHeaders: number;

  private dateText = '';
  private dateUntil = 0;
  private readonly keepAliveHeaders: string;

  /**
   * Takes over `server`'s connection handling. Returns null (and changes nothing) when the
   * server does not have exactly one connection listener, node:http's own.
   */
  static install(server: Server, opts: FastLaneOptions): FastLane | null {
    const listeners = server.listeners('connection');
    if (listeners.length !== 1) return null;
    const lane = new FastLane(server, listeners[0] as (socket: Socket) => void, opts);
    server.removeAllListeners('connection');
    server.on('connection', (socket: Socket) => lane.accept(socket as LaneSocket));
    return lane;
  }

  private constructor(
    private readonly server: Server,
    nodeListener: (socket: Socket) => void,
    private readonly o: FastLaneOptions,
  ) {
    this.nodeListener = nodeListener;
    // (createServer's maxHeaderSize option, else the process-wide --max-http-header-size)
    this.maxHeadBytes = (server as { maxHeaderSize?: number }).maxHeaderSize ?? maxHeaderSize;
    const count = server.maxHeadersCount;
    this.maxHeaders = count !== null && count > 0 ? count : 2000;
    this.keepAliveHeaders = `\r\nConnection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(o.keepAliveTimeoutMs / 1000)}\r\n\r\n`;
  }

  get connections(): number {
    return this.sockets.size;
  }

  /** 408 for a partial request older than requestTimeout (a client trickling bytes). */
  checkDeadline(s: LaneSocket): void {
    if (s._fl_since !== 0 && performance.now() - s._fl_since > this.o.requestTimeoutMs) this.timeOut(s, '');
  }

  /** Bytes a head may take before node:http answers 431. */
  get headLimit(): number {
    return this.maxHeadBytes;
  }

  private accept(s: LaneSocket): void {
    if (this.closing) {
      this.nodeListener.call(this.server, s);
      return;
    }
    s._fl_lane = this;
    s._fl_buf = null;
    s._fl_waiting = false;
    s._fl_ended = false;
    s._fl_queue = [];
    s._fl_handoff = false;
    s._fl_busy = false;
    s._fl_held = false;
    s._fl_more = null;
    s._fl_len = 0;
    s._fl_need = 0;
    s._fl_since = 0;
    this.sockets.add(s);
    s.setTimeout(this.o.keepAliveTimeoutMs);
    s.on('data', onData);
    s.on('end', onEnd);
    s.on('timeout', onTimeout);
    s.on('error', onError);
    s.on('close', onClose);
    s.on('drain', onDrain);
  }

  /** Parses and answers what `buf` holds from `off` on. */
  consume(s: LaneSocket, buf: Buffer, off: number): void {
    if (this.closing) {
      // Shutting down: nothing new is executed (it could not be answered).
      s._fl_buf = null;
      s.pause();
      this.settle(s);
      return;
    }
    const t0 = performance.now();
    const q = s._fl_queue;
    let out = '';
    s._fl_busy = true;
    let first = true;
    while (off < buf.length) {
      const n = this.parse(buf, off);
      if (n === NEED_MORE) {
        s._fl_buf = off === 0 ? buf : buf.subarray(off);
        s._fl_len = buf.length - off;
        s._fl_need = this.need;
        // A request that began in an earlier read keeps its start time.
        if (!first || s._fl_since === 0) s._fl_since = t0;
        else if (t0 - s._fl_since > this.o.requestTimeoutMs) {
          s._fl_busy = false;
          this.timeOut(s, out);
          return;
        }
        break;
      }
      first = false;
      s._fl_since = 0;
      if (n === HAND_OFF) {
        if (q.length === 0) {
          s._fl_busy = false;
          if (out !== '') s.write(out);
          this.handOff(s, buf.subarray(off));
          return;
        }
        // Answers are still due: node:http takes over once they are out.
        s._fl_handoff = true;
        s._fl_buf = buf.subarray(off);
        s.pause();
        break;
      }
      off += n;
      this.o.counters.requests++;
      this.answered++;
      const route = this.route;
      const auth = this.o.auth.cached(this.authorization);
      if (auth === undefined) {
        // The token must be verified first. Nothing behind this request is parsed until it has
        // been dispatched: orders of one connection enter the book in the order they were sent.
        s._fl_waiting = true;
        s._fl_buf = off < buf.length ? buf.subarray(off) : null;
        s.pause();
        const pending: PendingRequest = { route, key: this.idempotencyKey, body: this.body, t0 };
        this.o.auth.verify(this.authorization).then(
          (p) => this.verified(s, p, pending),
          (err: unknown) => {
            this.o.log.error({ err }, 'token verification failed unexpectedly');
            this.verified(s, null, pending);
          },
        );
        break;
      }
      if (route === Route.Orders && out !== '') {
        // Written now: the order's answer may be complete (and written) before handle() returns.
        s.write(out);
        out = '';
      }
      out += this.dispatch(s, auth, route, this.idempotencyKey, this.body, t0);
      if (q.length >= MAX_QUEUED_ANSWERS && off < buf.length) {
        s._fl_buf = buf.subarray(off);
        s._fl_held = true;
        s.pause(); // parsed on when the queue has drained
        break;
      }
    }
    s._fl_busy = false;
    if (out !== '' && !s.write(out)) s.pause(); // resumed on 'drain'
    this.settle(s);
  }

  /**
   * Answers one request: returns the answer's text when it is due now and nothing waits before
   * it (the caller writes it); otherwise it goes to the connection's queue and '' is returned.
   * `auth` null: the token could not be checked (500).
   */
  private dispatch(s: LaneSocket, auth: Principal | AuthFailure | null, route: Route, key: string | undefined, body: string, t0: number): string {
    const q = s._fl_queue;
    if (route === Route.Orders) {
      const slot = new LaneSlot(s);
      q.push(slot);
      if (auth === null) slot.complete(500, errorBody('INTERNAL_ERROR'), true, false);
      else this.o.orders!.handle(auth, key, body, t0, slot);
      this.flush(s);
      return '';
    }
    let text: string;
    if (auth === null) {
      text = this.format(500, errorBody('INTERNAL_ERROR'), true, false);
    } else {
      const r = this.o.entry.answer(auth, key, body, t0);
      text = this.format(r.status, r.body, r.ascii, r.replayed);
    }
    if (q.length === 0) return text;
    this.queueText(s, text);
    return '';
  }

  /** A request whose token has been verified; then the requests behind it. */
  private verified(s: LaneSocket, auth: Principal | AuthFailure | null, r: PendingRequest): void {
    s._fl_waiting = false;
    if (s.destroyed || !this.sockets.has(s)) return;
    s._fl_busy = true;
    const text = this.dispatch(s, auth, r.route, r.key, r.body, r.t0);
    s._fl_busy = false;
    if (text !== '' && !s.write(text)) s.pause();
    const rest = s._fl_buf;
    s._fl_buf = null;
    if (rest !== null) this.consume(s, rest, 0);
    else this.settle(s);
  }

  /** An answer for `slot`: written as soon as every answer before it is. */
  complete(slot: LaneSlot, status: number, body: string, ascii: boolean, replayed: boolean): void {
    slot.text = this.format(status, body, ascii, replayed);
    const s = slot.socket;
    if (s._fl_busy) return; // consume() flushes
    if (s.destroyed) {
      s._fl_queue.length = 0;
      return;
    }
    this.flush(s);
    this.settle(s);
  }

  private queueText(s: LaneSocket, text: string): void {
    const slot = new LaneSlot(s);
    slot.text = text;
    s._fl_queue.push(slot);
  }

  /** Writes the completed answers at the head of the queue. */
  private flush(s: LaneSocket): void {
    const q = s._fl_queue;
    if (q.length === 0 || q[0]!.text === null) return;
    let text = q[0]!.text;
    let i = 1;
    while (i < q.length && q[i]!.text !== null) text += q[i++]!.text;
    if (i === q.length) q.length = 0;
    else q.splice(0, i);
    if (!s.destroyed && !s.write(text)) s.pause();
  }

  /**
   * After answers went out (or not): hand off, end or resume the connection as its state says.
   * Does nothing while an answer is still due.
   */
  private settle(s: LaneSocket): void {
    if (s._fl_busy || s._fl_waiting || s.destroyed || !this.sockets.has(s)) return;
    const q = s._fl_queue;
    if (s._fl_held && q.length < MAX_QUEUED_ANSWERS) {
      const held = s._fl_buf!;
      s._fl_buf = null;
      s._fl_held = false;
      this.consume(s, held, 0);
      return;
    }
    if (q.length > 0) return;
    if (this.closing) {
      // Every answer is out: close (nothing more is read or executed).
      this.shut(s);
      return;
    }
    if (s._fl_handoff) {
      const rest = s._fl_buf ?? Buffer.alloc(0);
      s._fl_handoff = false;
      // After the client's FIN the stream cannot take the bytes back; node:http would abort the
      // request at FIN anyway.
      if (s._fl_ended) this.shut(s);
      else this.handOff(s, rest);
      return;
    }
    if (s._fl_ended) {
      // a partial request can no longer be completed
      this.shut(s);
      return;
    }
    if (s.isPaused() && !s._fl_held && !s.writableNeedDrain) s.resume();
  }

  /** Nothing more is read from `s`; what it held unparsed is dropped. */
  private stopReading(s: LaneSocket): void {
    s.removeListener('data', onData);
    s.pause();
    s._fl_buf = null;
    s._fl_more = null;
  }

  /** Stops reading and closes once what was written is flushed. */
  private shut(s: LaneSocket): void {
    this.stopReading(s);
    if (s.writableLength === 0) {
      s.destroy();
    } else {
      s.once('finish', destroyAfterEnd);
      s.end();
    }
  }

  /** A request that has not completed within requestTimeout: 408, as node:http answers it. */
  private timeOut(s: LaneSocket, out: string): void {
    this.stopReading(s);
    if (s._fl_queue.length > 0) {
      // answers are still due: close once they are out
      s._fl_ended = true;
      if (out !== '') s.write(out);
      return;
    }
    s.once('finish', destroyAfterEnd);
    s.end(out + 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
  }

  private handOff(s: LaneSocket, rest: Buffer): void {
    this.sockets.delete(s);
    this.handedOff++;
    s.removeListener('data', onData);
    s.removeListener('end', onEnd);
    s.removeListener('timeout', onTimeout);
    s.removeListener('error', onError);
    s.removeListener('close', onClose);
    s.removeListener('drain', onDrain);
    s.setTimeout(0);
    s._fl_buf = null;
    s._fl_more = null;
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
    for (const s of this.sockets) this.settle(s);
  }

  /** Destroys every connection the lane still serves. */
  closeAll(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  forget(s: LaneSocket): void {
    this.sockets.delete(s);
    s._fl_queue.length = 0;
  }

  drained(s: LaneSocket): void {
    this.settle(s);
  }

  private format(status: number, body: string, ascii: boolean, replayed: boolean): string {
    const now = Date.now();
    if (now >= this.dateUntil) {
      this.dateText = new Date(now).toUTCString();
      this.dateUntil = now - (now % 1000) + 1000;
    }
    return (
      'HTTP/1.1 ' +
      status +
      ' ' +
      STATUS_CODES[status] +
      '\r\ncontent-type: application/json\r\ncontent-length: ' +
      (ascii ? body.length : Buffer.byteLength(body)) +
      (replayed ? '\r\nidempotent-replayed: true\r\nDate: ' : '\r\nDate: ') +
      this.dateText +
      this.keepAliveHeaders +
      body
    );
  }

  /**
   * Parses the request at `off`: its length in bytes (fields in this.authorization,
   * this.idempotencyKey, this.body), NEED_MORE, or HAND_OFF.
   */
  private parse(buf: Buffer, off: number): number {
    const len = buf.length;
    // Request line (a prefix that differs already decides): "POST /v3/orders" or "POST /orders".
    if (len - off <= 6) return startsPost(buf, off, len) ? NEED_MORE : HAND_OFF;
    const c = buf[off + 6];
    const line = c === 0x76 /* v */ ? V3_LINE : c === 0x6f /* o */ && this.o.orders !== undefined ? ORDERS_LINE : null;
    if (line === null) return HAND_OFF;
    const rl = line.length;
    for (let i = 0; i < rl; i++) {
      if (off + i >= len) return NEED_MORE;
      if (buf[off + i] !== line[i]) return HAND_OFF;
    }
    const headEnd = buf.indexOf(CRLFCRLF, off + rl - 2);
    this.need = 0;
    if (headEnd < 0) return len - off > this.maxHeadBytes ? HAND_OFF : NEED_MORE;
    if (headEnd - off > this.maxHeadBytes) return HAND_OFF;
    let headers = 0;

    let hosts = 0;
    let contentLength = -1;
    let jsonType = 0;
    let authorization: string | undefined;
    let key: string | undefined;
    let p = off + rl;
    const end = headEnd + 2; // each header line ends with CRLF; the head ends at `end`
    while (p < end) {
      if (++headers > this.maxHeaders) return HAND_OFF; // node:http would not see the rest
      // name
      const nameStart = p;
      let c = buf[p]!;
      while (c !== 0x3a /* : */) {
        if (TOKEN[c] !== 1) return HAND_OFF;
        c = buf[++p]!;
      }
      const nameLen = p - nameStart;
      if (nameLen === 0) return HAND_OFF;
      p++;
      // value: OWS, then bytes up to CR, then trailing OWS trimmed
      while (buf[p] === 0x20 || buf[p] === 0x09) p++;
      const valueStart = p;
      c = buf[p]!;
      while (c !== 0x0d) {
        if ((c < 0x20 && c !== 0x09) || c > 0x7e) return HAND_OFF;
        c = buf[++p]!;
      }
      if (buf[p + 1] !== 0x0a) return HAND_OFF;
      let valueEnd = p;
      while (valueEnd > valueStart && (buf[valueEnd - 1] === 0x20 || buf[valueEnd - 1] === 0x09)) valueEnd--;
      p += 2;

      switch (nameLen) {
        case 4:
          if (is(buf, nameStart, 'host')) hosts++;
          break;
        case 6:
          if (is(buf, nameStart, 'expect')) return HAND_OFF;
          break;
        case 7:
          if (is(buf, nameStart, 'upgrade')) return HAND_OFF;
          break;
        case 10:
          if (is(buf, nameStart, 'connection') && !(valueEnd - valueStart === 10 && is(buf, valueStart, 'keep-alive'))) return HAND_OFF;
          break;
        case 12:
          if (is(buf, nameStart, 'content-type')) {
            if (jsonType !== 0 || !isJsonType(buf, valueStart, valueEnd)) return HAND_OFF;
            jsonType = 1;
          }
          break;
        case 13:
          if (is(buf, nameStart, 'authorization')) {
            if (authorization !== undefined) return HAND_OFF;
            authorization = buf.toString('latin1', valueStart, valueEnd);
          }
          break;
        case 14:
          if (is(buf, nameStart, 'content-length')) {
            if (contentLength >= 0 || valueEnd === valueStart || valueEnd - valueStart > 9) return HAND_OFF;
            let n = 0;
            for (let i = valueStart; i < valueEnd; i++) {
              const d = buf[i]! - 0x30;
              if (d < 0 || d > 9) return HAND_OFF;
              n = n * 10 + d;
            }
            contentLength = n;
          }
          break;
        case 15:
          if (is(buf, nameStart, 'idempotency-key')) {
            if (key !== undefined) return HAND_OFF;
            key = buf.toString('latin1', valueStart, valueEnd);
          }
          break;
        case 17:
          if (is(buf, nameStart, 'transfer-encoding')) return HAND_OFF;
          break;
      }
    }
    if (hosts !== 1 || contentLength < 0 || jsonType === 0 || contentLength > this.o.maxBodyBytes) return HAND_OFF;
    const bodyStart = headEnd + 4;
    if (len - bodyStart < contentLength) {
      this.need = bodyStart + contentLength - off;
      return NEED_MORE;
    }
    this.route = line === V3_LINE ? Route.V3 : Route.Orders;
    this.authorization = authorization;
    this.idempotencyKey = key;
    this.body = buf.toString('utf8', bodyStart, bodyStart + contentLength);
    return bodyStart + contentLength - off;
  }
}

/** True when the bytes from `off` to `len` (at most 6) are the start of "POST /". */
function startsPost(buf: Buffer, off: number, len: number): boolean {
  for (let i = off; i < len; i++) if (buf[i] !== V3_LINE[i - off]) return false;
  return true;
}

/** Case-insensitive match of ASCII bytes at `at` against a lower-case `name`. */
function is(buf: Buffer, at: number, name: string): boolean {
  for (let i = 0; i < name.length; i++) if ((buf[at + i]! | 0x20) !== name.charCodeAt(i)) return false;
  return true;
}

/**
 * `application/json` in lower case, alone or followed by `;` or a space: exactly what
 * isJsonContentType's fast check takes (other spellings go to node:http and that function).
 */
function isJsonType(buf: Buffer, start: number, end: number): boolean {
  const n = end - start;
  if (n < 16) return false;
  for (let i = 0; i < 16; i++) if (buf[start + i] !== APPLICATION_JSON[i]) return false;
  return n === 16 || buf[start + 16] === 0x3b || buf[start + 16] === 0x20;
}

/** 'finish' listener: everything written has been flushed. */
function destroyAfterEnd(this: Socket): void {
  this.destroy();
}

function onData(this: LaneSocket, chunk: Buffer): void {
  const held = this._fl_buf;
  if (held === null) {
    this._fl_lane.consume(this, chunk, 0);
    return;
  }
  if (this._fl_waiting || this._fl_held || this._fl_handoff) {
    // Paused while data was already on its way: keep it behind what is held.
    this._fl_buf = Buffer.concat([held, chunk]);
    return;
  }
  // A partial request: parse again only once the new bytes can complete it — the body is all
  // there, or (head incomplete) a line ended — so a request arriving in many small reads costs
  // linear time, not quadratic.
  const more = this._fl_more ?? (this._fl_more = [held]);
  more.push(chunk);
  this._fl_len += chunk.length;
  const need = this._fl_need;
  if (need > 0 ? this._fl_len < need : chunk.indexOf(0x0a) < 0 && this._fl_len <= this._fl_lane.headLimit) {
    this._fl_lane.checkDeadline(this);
    return;
  }
  const all = Buffer.concat(more, this._fl_len);
  this._fl_more = null;
  this._fl_buf = null;
  this._fl_lane.consume(this, all, 0);
}

function onEnd(this: LaneSocket): void {
  this._fl_ended = true;
  this._fl_lane.drained(this);
}

function onTimeout(this: LaneSocket): void {
  // node:http's keep-alive timeout runs between requests only: not while answers are due.
  if (this._fl_queue.length > 0 || this._fl_waiting) return;
  this.destroy();
}

function onError(this: LaneSocket): void {
  this.destroy();
}

function onClose(this: LaneSocket): void {
  this._fl_lane.forget(this);
}

function onDrain(this: LaneSocket): void {
  this._fl_lane.drained(this);
}
