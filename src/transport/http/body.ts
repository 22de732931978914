/**
 * Request body collection without per-request closures: the listeners are module functions that
 * find their state on the request object. Bodies are capped (413) and must be JSON (415). A body
 * cut short by the client's FIN can never complete: it is answered 400 `BAD_REQUEST` and the
 * connection closes (the server keeps half-open connections to answer what came before).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { errorBody } from './respond.js';

/** The request whose body a socket is delivering, and whether its 'end' listener is set. */
const kReading = Symbol('switchyard.reading');
interface ReadingSocket extends Socket {
  [kReading]?: BodyRequest | null;
}

export type BodyHandler = (req: BodyRequest, res: ServerResponse, body: string) => void;

/** The request plus the fields body collection keeps on it. */
export interface BodyRequest extends IncomingMessage {
  _sy_res: ServerResponse;
  _sy_first: Buffer | null;
  _sy_more: Buffer[] | null;
  _sy_size: number;
  _sy_limit: number;
  _sy_done: BodyHandler;
  _sy_t0: number;
  _sy_over: boolean;
}

export type BodyProblem = 'UNSUPPORTED_MEDIA_TYPE' | 'PAYLOAD_TOO_LARGE' | null;

/** `application/json`, optionally with parameters, or any `application/*+json`. */
export function isJsonContentType(ct: string | undefined): boolean {
  if (ct === undefined) return false;
  if (ct.length >= 16 && ct.charCodeAt(0) === 97 /* a */ && ct.startsWith('application/json')) {
    return ct.length === 16 || ct.charCodeAt(16) === 59 /* ; */ || ct.charCodeAt(16) === 32;
  }
  const base = ct.split(';', 1)[0]!.trim().toLowerCase();
  return base === 'application/json' || (base.startsWith('application/') && base.endsWith('+json'));
}

/**
 * The first value of a request header, by lower-case name, read from `rawHeaders`. Node builds
 * `req.headers` (an object with every header) on first access; the hot path reads the four
 * headers it needs from the raw list instead and never pays for it.
 */
export function header(req: IncomingMessage, lowerName: string): string | undefined {
  const raw = req.rawHeaders;
  const n = lowerName.length;
  outer: for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length !== n) continue;
    for (let j = 0; j < n; j++) {
      let c = name.charCodeAt(j);
      if (c >= 65 && c <= 90) c |= 0x20;
      if (c !== lowerName.charCodeAt(j)) continue outer;
    }
    return raw[i + 1];
  }
  return undefined;
}

/** Checks the headers before reading: media type and declared length. */
export function precheck(req: IncomingMessage, limit: number): BodyProblem {
  if (!isJsonContentType(header(req, 'content-type'))) return 'UNSUPPORTED_MEDIA_TYPE';
  const cl = header(req, 'content-length');
  if (cl !== undefined && Number(cl) > limit) return 'PAYLOAD_TOO_LARGE';
  return null;
}

function onData(this: BodyRequest, chunk: Buffer): void {
  this._sy_size += chunk.length;
  if (this._sy_size > this._sy_limit) {
    this._sy_over = true;
    this._sy_first = null;
    this._sy_more = null;
  } else if (this._sy_first === null) {
    this._sy_first = chunk;
  } else {
    (this._sy_more ??= [this._sy_first]).push(chunk);
  }
}

/** The client's FIN: a body still being read is truncated for good. */
function onSocketEnd(this: ReadingSocket): void {
  const r = this[kReading];
  if (r === null || r === undefined || r.complete) return;
  this[kReading] = null;
  r.removeListener('data', onData);
  r.removeListener('end', onEnd);
  const res = r._sy_res;
  res.shouldKeepAlive = false;
  const body = errorBody('BAD_REQUEST');
  res.writeHead(400, ['content-type', 'application/json', 'content-length', String(body.length)]);
  res.end(body);
}

function onEnd(this: BodyRequest): void {
  const s = this.socket as ReadingSocket | null;
  if (s !== null && s[kReading] === this) s[kReading] = null;
  // Decode once at the end so a multi-byte character split across chunks stays intact.
  const body = this._sy_over
    ? OVERSIZE
    : this._sy_more !== null
      ? Buffer.concat(this._sy_more).toString('utf8')
      : this._sy_first !== null
        ? this._sy_first.toString('utf8')
        : '';
  this._sy_done(this, this._sy_res, body);
}

/** Sentinel body handed to the handler when a chunked body exceeded the limit. */
export const OVERSIZE = '\u0000oversize';

/**
 * Reads the whole body, then calls `done(req, res, body)`. `t0` (performance.now() at request
 * start) travels with the request for latency accounting.
 */
export function readBody(req: IncomingMessage, res: ServerResponse, limit: number, t0: number, done: BodyHandler): void {
  const r = req as BodyRequest;
  r._sy_res = res;
  r._sy_first = null;
  r._sy_more = null;
  r._sy_size = 0;
  r._sy_limit = limit;
  r._sy_done = done;
  r._sy_t0 = t0;
  r._sy_over = false;
  r.on('data', onData);
  r.on('end', onEnd);
  const s = req.socket as ReadingSocket;
  if (s[kReading] === undefined) s.on('end', onSocketEnd);
  s[kReading] = r;
}
