/**
 * The fast lane's request parser: pure, no sockets, no state of its own. It recognises exactly
 * one request shape, the canonical order entry, and says so byte by byte:
 *
 *   POST /v3/orders HTTP/1.1 CRLF      (or POST /orders HTTP/1.1, when `limits.orders`)
 *   header lines: token ":" OWS value CRLF, value bytes 0x21-0x7e with inner SP/HTAB, no trailing OWS
 *   CRLF
 *   body of exactly Content-Length bytes
 *
 * with exactly one Host, one Content-Length (1-9 digits, within the body limit) and one
 * Content-Type `application/json` (lower case, alone or followed by `;` or a space), at most
 * one Authorization and one Idempotency-Key, no Transfer-Encoding, Expect, Upgrade, Origin (a
 * browser's request: node:http adds the CORS headers), or Connection other than `keep-alive`,
 * and a head within node:http's size and count limits.
 *
 * Outcome of {@link parseOrderRequest}: the request's length in bytes (its fields are in `out`),
 * {@link NEED_MORE} (a prefix of such a request: `out.need` says how many bytes from its start
 * it needs in all, 0 while the head is incomplete), or {@link HAND_OFF} (not such a request, or
 * not one the lane is sure node:http would read the same way: node:http must answer it). A
 * prefix that could still become either is NEED_MORE; the verdict never depends on how the
 * bytes were split into reads.
 *
 * Every field it sets lives in the caller's `out` (one per connection), so no state crosses
 * from one connection to another. Tested at every split point and differentially against
 * node:http (test/unit/http/request-parser.test.ts, test/integration/http-lane-fuzz.test.ts).
 */

/** The request is not complete yet. */
export const NEED_MORE = 0;
/** Not a request the lane handles: node:http takes the connection. */
export const HAND_OFF = -1;

export const enum Route {
  V3 = 1,
  Orders = 2,
}

export interface ParseLimits {
  /** node:http's header size limit: a longer head goes to node:http (431) */
  readonly maxHeadBytes: number;
  /** node:http's header count limit (headers beyond it are dropped there) */
  readonly maxHeaders: number;
  readonly maxBodyBytes: number;
  /** POST /orders is handled too */
  readonly orders: boolean;
}

/** What one parse found; one object per connection, overwritten by every call. */
export class ParsedRequest {
  route: Route = Route.V3;
  authorization: string | undefined = undefined;
  idempotencyKey: string | undefined = undefined;
  body = '';
  /** after NEED_MORE: bytes from the request's start it needs in all (0: head incomplete) */
  need = 0;
}

const V3_LINE = Buffer.from('POST /v3/orders HTTP/1.1\r\n', 'latin1');
const ORDERS_LINE = Buffer.from('POST /orders HTTP/1.1\r\n', 'latin1');
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const APPLICATION_JSON = Buffer.from('application/json', 'latin1');

/** RFC 9110 token characters (header names). */
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;

/** Parses the request at `off` of `buf` (see the module comment for the outcomes). */
export function parseOrderRequest(buf: Buffer, off: number, limits: ParseLimits, out: ParsedRequest): number {
  out.need = 0;
  const len = buf.length;
  // Request line: a prefix that differs already decides.
  const line = requestLine(buf, off, len, limits.orders);
  if (line === null) return HAND_OFF;
  const rl = line.length;
  for (let i = 0; i < rl; i++) {
    if (off + i >= len) return NEED_MORE;
    if (buf[off + i] !== line[i]) return HAND_OFF;
  }
  const headEnd = buf.indexOf(CRLFCRLF, off + rl - 2);
  if (headEnd < 0) return len - off > limits.maxHeadBytes ? HAND_OFF : NEED_MORE;
  if (headEnd - off > limits.maxHeadBytes) return HAND_OFF;

  let headers = 0;
  let hosts = 0;
  let contentLength = -1;
  let jsonType = false;
  let authorization: string | undefined;
  let key: string | undefined;
  let p = off + rl;
  const end = headEnd + 2; // each header line ends with CRLF; the head ends at `end`
  while (p < end) {
    if (++headers > limits.maxHeaders) return HAND_OFF; // node:http would not see the rest
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
    // value: leading OWS skipped; printable bytes and inner SP/HTAB up to CR
    while (buf[p] === 0x20 || buf[p] === 0x09) p++;
    const valueStart = p;
    c = buf[p]!;
    while (c !== 0x0d) {
      if ((c < 0x20 && c !== 0x09) || c > 0x7e) return HAND_OFF;
      c = buf[++p]!;
    }
    if (buf[p + 1] !== 0x0a) return HAND_OFF;
    const valueEnd = p;
    // Trailing OWS: node:http's reading of it differs by header (e.g. Content-Length with a
    // trailing tab is a 400 there), so such requests are node:http's to answer.
    if (valueEnd > valueStart && (buf[valueEnd - 1] === 0x20 || buf[valueEnd - 1] === 0x09)) return HAND_OFF;
    p += 2;

    switch (nameLen) {
      case 4:
        if (is(buf, nameStart, 'host')) hosts++;
        break;
      case 6:
        // Origin: a browser's request, answered by node:http with its CORS headers (cors.ts)
        if (is(buf, nameStart, 'expect') || is(buf, nameStart, 'origin')) return HAND_OFF;
        break;
      case 7:
        if (is(buf, nameStart, 'upgrade')) return HAND_OFF;
        break;
      case 10:
        if (is(buf, nameStart, 'connection') && !(valueEnd - valueStart === 10 && is(buf, valueStart, 'keep-alive'))) return HAND_OFF;
        break;
      case 12:
        if (is(buf, nameStart, 'content-type')) {
          if (jsonType || !isJsonType(buf, valueStart, valueEnd)) return HAND_OFF;
          jsonType = true;
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
          if (contentLength >= 0) return HAND_OFF;
          contentLength = digits(buf, valueStart, valueEnd);
          if (contentLength < 0) return HAND_OFF;
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
  if (hosts !== 1 || contentLength < 0 || !jsonType || contentLength > limits.maxBodyBytes) return HAND_OFF;
  const bodyStart = headEnd + 4;
  if (len - bodyStart < contentLength) {
    out.need = bodyStart + contentLength - off;
    return NEED_MORE;
  }
  out.route = line === V3_LINE ? Route.V3 : Route.Orders;
  out.authorization = authorization;
  out.idempotencyKey = key;
  out.body = buf.toString('utf8', bodyStart, bodyStart + contentLength);
  return bodyStart + contentLength - off;
}

/**
 * The request line the bytes at `off` can still become, or null when they match neither. Up to
 * "POST /" both are possible; the 7th byte decides.
 */
function requestLine(buf: Buffer, off: number, len: number, orders: boolean): Buffer | null {
  const n = Math.min(len - off, 6);
  for (let i = 0; i < n; i++) if (buf[off + i] !== V3_LINE[i]) return null;
  if (len - off <= 6) return V3_LINE; // undecided: compared byte by byte, NEED_MORE
  const c = buf[off + 6];
  if (c === 0x76 /* v */) return V3_LINE;
  if (c === 0x6f /* o */ && orders) return ORDERS_LINE;
  return null;
}

/** A Content-Length value of 1-9 digits, or -1. */
function digits(buf: Buffer, start: number, end: number): number {
  if (end === start || end - start > 9) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
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
