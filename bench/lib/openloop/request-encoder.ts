/**
 * Pre-encoded order requests for the open-loop generator: one byte template per account,
 * built once, with the request's key written in place. Building request i is one copy of the
 * template plus ten digit bytes (twice: Idempotency-Key and clientOrderId), so the sender thread
 * spends no time in JSON or header serialisation while it keeps the schedule.
 *
 * The request is the original's wrk_orders.lua / open_loop_v3_load.py shape:
 *   POST <path>, Content-Type: application/json, Authorization: Bearer <token of account i mod N>,
 *   Idempotency-Key: <key>, body {"symbol":"AAPL","side":"BUY","type":"LIMIT","qty":100,
 *   "price":15000,"timeInForce":"GTC","clientOrderId":"<key>"}, key = <runId>-<i, 10 digits>.
 * Fixed-width keys keep Content-Length constant. With `order: 'market'` the body is a MARKET order
 * of qty 1 instead ("price":null), BUY for even accounts and SELL for odd ones: marketable against
 * the embedded venue simulator, so that every order fills (bench/backoffice-lag.ts).
 */

const DIGITS = 10;
const MAX_INDEX = 10 ** DIGITS - 1;

export interface EncoderOptions {
  host: string;
  port: number;
  path: string;
  /** one token per account; request i uses tokens[i % tokens.length] */
  tokens: string[];
  /** makes keys unique across runs (letters, digits, '-', '_') */
  runId: string;
  /** `limit` (default): the original's resting LIMIT BUY; `market`: marketable MARKET orders */
  order?: 'limit' | 'market';
}

interface Template {
  bytes: Buffer;
  /** offsets of the two key digit fields */
  at: [number, number];
}

export class RequestEncoder {
  private readonly templates: Template[];

  constructor(o: EncoderOptions) {
    if (o.tokens.length === 0) throw new RangeError('at least one token is needed');
    if (!/^[A-Za-z0-9_-]{1,40}$/.test(o.runId)) throw new RangeError(`runId must be 1–40 of [A-Za-z0-9_-], got ${JSON.stringify(o.runId)}`);
    const placeholder = '#'.repeat(DIGITS);
    const key = `${o.runId}-${placeholder}`;
    const limit = `{"symbol":"AAPL","side":"BUY","type":"LIMIT","qty":100,"price":15000,"timeInForce":"GTC","clientOrderId":"${key}"}`;
    const market = (side: string): string => `{"symbol":"AAPL","side":"${side}","type":"MARKET","qty":1,"price":null,"timeInForce":"GTC","clientOrderId":"${key}"}`;
    this.templates = o.tokens.map((t, i) => {
      const body = o.order === 'market' ? market(i % 2 === 0 ? 'BUY' : 'SELL') : limit;
      const text =
        `POST ${o.path} HTTP/1.1\r\nHost: ${o.host}:${o.port}\r\nContent-Type: application/json\r\n` +
        `Authorization: Bearer ${t}\r\nIdempotency-Key: ${key}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
      const bytes = Buffer.from(text, 'latin1');
      const first = bytes.indexOf(placeholder, 0, 'latin1');
      const second = bytes.indexOf(placeholder, first + DIGITS, 'latin1');
      return { bytes, at: [first, second] };
    });
  }

  /** Bytes of request i (a fresh buffer: the socket may hold it until written). */
  encode(i: number): Buffer {
    if (!(i >= 0 && i <= MAX_INDEX && Number.isInteger(i))) throw new RangeError(`request index out of range: ${i}`);
    const t = this.templates[i % this.templates.length]!;
    const out = Buffer.allocUnsafe(t.bytes.length);
    t.bytes.copy(out);
    let v = i;
    for (let d = DIGITS - 1; d >= 0; d--) {
      const c = 48 + (v % 10);
      out[t.at[0] + d] = c;
      out[t.at[1] + d] = c;
      v = Math.floor(v / 10);
    }
    return out;
  }
}
