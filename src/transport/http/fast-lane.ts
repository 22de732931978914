/**
 * The HTTP/1.1 fast lane: `POST /v3/orders` on keep-alive connections, parsed and answered
 * straight off the socket, without node:http's per-request objects (IncomingMessage,
 * ServerResponse, their streams and header maps). It sits in front of the node:http server's
 * connection listener and serves every new connection until a request is not one it handles;
 * then it hands the connection, with the bytes not yet consumed, to node:http for good.
 *
 * It handles only the canonical request, checked byte by byte:
 *
 *   POST /v3/orders HTTP/1.1 CRLF
 *   header lines (token ":" OWS value OWS CRLF, value bytes 0x20-0x7e or HTAB)
 *   CRLF
 *   body of exactly Content-Length bytes
 *
 * with exactly one Host, one Content-Length (digits, within the body limit) and one
 * Content-Type `application/json` (optionally with parameters), at most one Authorization and
 * one Idempotency-Key, and no Transfer-Encoding, Expect, Upgrade, or Connection other than
 * keep-alive. Anything else — another route, another method, HTTP/1.0, chunked bodies, a
 * malformed byte, an oversized head or body — goes to node:http (and its llhttp parser), which
 * answers it exactly as it always did: the lane never has to decide what a doubtful request
 * means. Answers are the same bytes node:http would write (same headers, same order).
 *
 * Pipelined requests are answered in order: all answers of one read are written with one
 * socket write. A request whose token is not yet in the verified-token cache pauses its
 * connection until the token is verified (the answer order must not change).
 *
 * Per-connection state lives on the socket object and the listeners are module functions, so
 * no closures are made per connection or per request.
 */
import { STATUS_CODES } from 'node:http';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { HttpCounters } from './server.js';
import type { V3OrderEntry, V3Reply } from './v3-entry.js';

/** node:http's default maximum header section (beyond it node answers 431). */
const MAX_HEAD_BYTES = 16 * 1024;
const REQUEST_LINE = Buffer.from('POST /v3/orders HTTP/1.1\r\n', 'latin1');
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

/** RFC 9110 token characters (header names). */
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;

/** Result of parsing one request: bytes it took, or one of these. */
const NEED_MORE = 0;
const HAND_OFF = -1;

interface LaneSocket extends Socket {
  _fl_lane: FastLane;
  /** bytes received and not yet parsed (a partial request), or null */
  _fl_buf: Buffer | null;
  /** an answer is awaited (token verification): parsing is paused */
  _fl_waiting: boolean;
  /** the client has half-closed: end our side once nothing is pending */
  _fl_ended: boolean;
}

export interface FastLaneOptions {
  counters: HttpCounters;
  entry: V3OrderEntry;
  maxBodyBytes: number;
  keepAliveTimeoutMs: number;
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
  private authorization: string | undefined = undefined;
  private idempotencyKey: string | undefined = undefined;
  private body = '';

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
    this.keepAliveHeaders = `\r\nConnection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(o.keepAliveTimeoutMs / 1000)}\r\n\r\n`;
  }

  get connections(): number {
    return this.sockets.size;
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
    const t0 = performance.now();
    let out = '';
    while (off < buf.length) {
      const n = this.parse(buf, off);
      if (n === NEED_MORE) {
        if (buf.length - off > MAX_HEAD_BYTES + this.o.maxBodyBytes) break; // cannot happen: parse hands off first
        s._fl_buf = off === 0 ? buf : buf.subarray(off);
        break;
      }
      if (n === HAND_OFF) {
        if (out !== '') s.write(out);
        this.handOff(s, buf.subarray(off));
        return;
      }
      off += n;
      this.o.counters.requests++;
      this.answered++;
      const r = this.o.entry.handle(this.authorization, this.idempotencyKey, this.body, t0, answerLater, s);
      if (r === undefined) {
        // The token is being verified: hold the rest until the answer is out.
        s._fl_waiting = true;
        s._fl_buf = off < buf.length ? buf.subarray(off) : null;
        s.pause();
        break;
      }
      out += this.format(r);
      if (this.closing) break; // that answer said Connection: close
    }
    if (out !== '' && !s.write(out)) s.pause(); // resumed on 'drain'
    this.afterWrite(s);
  }

  /** The answer of a request that waited for its token; then the requests behind it. */
  finishAsync(s: LaneSocket, r: V3Reply): void {
    s._fl_waiting = false;
    if (s.destroyed) return;
    const rest = s._fl_buf;
    s._fl_buf = null;
    s.write(this.format(r));
    if (rest !== null) {
      this.consume(s, rest, 0);
      if (!this.sockets.has(s)) return; // handed off
    } else {
      this.afterWrite(s);
    }
    if (!s._fl_waiting && !s.writableNeedDrain) s.resume();
  }

  private afterWrite(s: LaneSocket): void {
    if (s._fl_waiting) return;
    if (this.closing) {
      s._fl_buf = null;
      s.end();
    } else if (s._fl_ended && s._fl_buf === null) {
      s.end();
    }
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
    if (rest.length > 0) s.unshift(rest);
    this.nodeListener.call(this.server, s);
    s.resume();
  }

  /** Stops serving: idle connections are ended now, busy ones after their current answers. */
  close(): void {
    this.closing = true;
    for (const s of this.sockets) this.afterWrite(s);
  }

  /** Destroys every connection the lane still serves. */
  closeAll(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  forget(s: LaneSocket): void {
    this.sockets.delete(s);
  }

  private format(r: V3Reply): string {
    const now = Date.now();
    if (now >= this.dateUntil) {
      this.dateText = new Date(now).toUTCString();
      this.dateUntil = now - (now % 1000) + 1000;
    }
    return (
      'HTTP/1.1 ' +
      r.status +
      ' ' +
      STATUS_CODES[r.status] +
      '\r\ncontent-type: application/json\r\ncontent-length: ' +
      (r.ascii ? r.body.length : Buffer.byteLength(r.body)) +
      (r.replayed ? '\r\nidempotent-replayed: true\r\nDate: ' : '\r\nDate: ') +
      this.dateText +
      (this.closing ? '\r\nConnection: close\r\n\r\n' : this.keepAliveHeaders) +
      r.body
    );
  }

  /**
   * Parses the request at `off`: its length in bytes (fields in this.authorization,
   * this.idempotencyKey, this.body), NEED_MORE, or HAND_OFF.
   */
  private parse(buf: Buffer, off: number): number {
    const len = buf.length;
    // Request line (a prefix that differs already decides).
    const rl = REQUEST_LINE.length;
    for (let i = 0; i < rl; i++) {
      if (off + i >= len) return NEED_MORE;
      if (buf[off + i] !== REQUEST_LINE[i]) return HAND_OFF;
    }
    const headEnd = buf.indexOf(CRLFCRLF, off + rl - 2);
    if (headEnd < 0) return len - off > MAX_HEAD_BYTES ? HAND_OFF : NEED_MORE;
    if (headEnd - off > MAX_HEAD_BYTES) return HAND_OFF;

    let hosts = 0;
    let contentLength = -1;
    let jsonType = 0;
    let authorization: string | undefined;
    let key: string | undefined;
    let p = off + rl;
    const end = headEnd + 2; // each header line ends with CRLF; the head ends at `end`
    while (p < end) {
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
    if (len - bodyStart < contentLength) return NEED_MORE;
    this.authorization = authorization;
    this.idempotencyKey = key;
    this.body = buf.toString('utf8', bodyStart, bodyStart + contentLength);
    return bodyStart + contentLength - off;
  }
}

/** Case-insensitive match of ASCII bytes at `at` against a lower-case `name`. */
function is(buf: Buffer, at: number, name: string): boolean {
  for (let i = 0; i < name.length; i++) if ((buf[at + i]! | 0x20) !== name.charCodeAt(i)) return false;
  return true;
}

/** `application/json`, alone or followed by `;` or a space (what isJsonContentType's fast check takes). */
function isJsonType(buf: Buffer, start: number, end: number): boolean {
  const n = end - start;
  if (n < 16 || !is(buf, start, 'application/json')) return false;
  return n === 16 || buf[start + 16] === 0x3b || buf[start + 16] === 0x20;
}

function answerLater(r: V3Reply, s: LaneSocket): void {
  s._fl_lane.finishAsync(s, r);
}

function onData(this: LaneSocket, chunk: Buffer): void {
  if (this._fl_waiting) {
    // Paused while data was already on its way: keep it behind what is held.
    this._fl_buf = this._fl_buf === null ? chunk : Buffer.concat([this._fl_buf, chunk]);
    return;
  }
  const held = this._fl_buf;
  this._fl_buf = null;
  this._fl_lane.consume(this, held === null ? chunk : Buffer.concat([held, chunk]), 0);
}

function onEnd(this: LaneSocket): void {
  this._fl_ended = true;
  if (!this._fl_waiting) this.end();
}

function onTimeout(this: LaneSocket): void {
  this.destroy();
}

function onError(this: LaneSocket): void {
  this.destroy();
}

function onClose(this: LaneSocket): void {
  this._fl_lane.forget(this);
}

function onDrain(this: LaneSocket): void {
  if (!this._fl_waiting) this.resume();
}
