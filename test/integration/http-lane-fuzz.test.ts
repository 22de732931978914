/**
 * Differential fuzzing of the HTTP fast lane against node:http (llhttp), over real sockets: the
 * same seeded byte streams — canonical order requests mutated in their request line, headers,
 * lengths and bodies, pipelined, split at random points, and interleaved across several
 * connections — go to a gateway with the lane and to one without it. Every connection must get
 * the same bytes back (dates masked). Bodies are chosen so that no answer depends on state: every
 * order carries an unknown field (400 UNKNOWN_FIELD quotes it, so a misread body shows) or a
 * token that does not verify, and each stream ends with a sentinel request and the client's FIN.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type RunningGateway, startGateway, token } from '../helpers/gateway.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
const CASES = Number(process.env.FUZZ_CASES ?? 160);
const INTERLEAVED = Number(process.env.FUZZ_INTERLEAVED ?? 40);
/** reproduce one case: FUZZ_SEED=<seed> FUZZ_ONLY=<case> */
const ONLY = process.env.FUZZ_ONLY === undefined ? -1 : Number(process.env.FUZZ_ONLY);
const SENTINEL = 'GET /health/live HTTP/1.1\r\nHost: s\r\n\r\n';

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(
    private readonly r: () => number,
    private readonly tok: string,
  ) {}
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.r() < p;
  }

  body(): string {
    const tag = `zz${this.int(1e6)}`;
    const bodies = [
      `{"symbol":"AAPL","side":"BUY","type":"LIMIT","qty":100,"price":15000,"${tag}":1}`,
      `{"${tag}":"ÄÖÜ €"}`,
      `{"${tag}":[1,2,{"a":"b"}]}`,
      `{"symbol":"AAPL","${tag}":true,"side":"SELL"}`,
    ];
    return this.pick(bodies);
  }

  /** One request: mostly canonical, with a few mutations. */
  request(): string {
    const body = this.body();
    let len = String(Buffer.byteLength(body));
    const line = this.chance(0.8)
      ? this.pick(['POST /v3/orders HTTP/1.1', 'POST /orders HTTP/1.1'])
      : this.pick(['post /v3/orders HTTP/1.1', 'POST /v3/orders HTTP/1.0', 'POST /v3/orders?x=1 HTTP/1.1', 'POST  /v3/orders HTTP/1.1', 'PUT /orders HTTP/1.1', 'POST /v3/ordersx HTTP/1.1', 'GET /v3/orders HTTP/1.1', 'POST /v3/orders HTTP/1.1 ']);
    const auth = this.chance(0.7) ? `Bearer ${this.tok}` : this.pick(['Bearer nope', 'Basic abc', 'Bearer a.b.c', '']);
    const headers: string[] = [];
    if (!this.chance(0.05)) headers.push(this.pick(['Host: 127.0.0.1', 'host: x', 'HOST: y:81']));
    headers.push(this.pick(['Content-Type: application/json', 'content-type: application/json; charset=utf-8', 'Content-Type: application/json ', 'Content-Type: Application/JSON', 'Content-Type: text/plain', 'Content-Type:application/json']));
    if (auth !== '') headers.push(`${this.pick(['Authorization', 'authorization'])}: ${auth}`);
    if (this.chance(0.3)) headers.push(`Idempotency-Key: ${this.pick(['k1', ' k2', 'k 3', 'k4\t', 'ключ'])}`);
    if (this.chance(0.1)) len = this.pick([`0${len}`, `${len} `, `${len}\t`, ` ${len}`, `+${len}`, `${len},${len}`, String(Number(len) - 1)]);
    headers.push(`${this.pick(['Content-Length', 'content-length'])}: ${len}`);
    const extras = [
      'X-A: b',
      'X-Tab: a\tb',
      'X-Trail: a ',
      'X-Ctl: a\x01b',
      'X-Del: a\x7fb',
      'X-Hi: a\xe9b',
      'Connection: keep-alive',
      'Connection: close',
      'Connection: Keep-Alive',
      'Transfer-Encoding: chunked',
      'Expect: 100-continue',
      'Host: second',
      `Content-Length: ${len}`,
      'Authorization: Bearer second',
      'Idempotency-Key: second',
      'X-Fold: a\r\n b',
      'Bad Header: x',
      ': empty',
      'NoColon',
    ];
    for (let n = this.chance(0.5) ? this.int(3) : 0; n > 0; n--) headers.splice(this.int(headers.length + 1), 0, this.pick(extras));
    let head = `${line}\r\n${headers.join('\r\n')}\r\n\r\n`;
    if (this.chance(0.03)) head = head.replace(/\r\n/g, '\n');
    return head + body;
  }

  /** A stream of 1-3 pipelined requests and the sentinel, split into chunks. */
  stream(): Buffer[] {
    let s = '';
    for (let n = 1 + this.int(3); n > 0; n--) s += this.request();
    const bytes = Buffer.from(s + SENTINEL, 'latin1');
    const cuts = new Set<number>();
    for (let n = this.int(5); n > 0; n--) cuts.add(1 + this.int(bytes.length - 1));
    const at = [0, ...[...cuts].sort((a, b) => a - b), bytes.length];
    const chunks: Buffer[] = [];
    for (let i = 1; i < at.length; i++) chunks.push(bytes.subarray(at[i - 1]!, at[i]!));
    return chunks;
  }
}

/**
 * Writes streams on one connection each, chunks interleaved in the given order, then the FIN;
 * returns what each got back once the server has closed them all. A server that keeps a
 * connection open after the FIN fails the case.
 */
function exchange(port: number, streams: Buffer[][], order: number[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const stuck = setTimeout(() => {
      sockets.forEach((s) => s.destroy());
      reject(new Error(`port ${port}: connection still open 20 s after the FIN; got ${JSON.stringify(outs)}`));
    }, 20_000);
    const outs = streams.map(() => '');
    let open = streams.length;
    const sockets = streams.map((_, i) => {
      const s = connect(port, '127.0.0.1');
      s.on('data', (d: Buffer) => (outs[i] += d.toString('latin1')));
      s.on('error', () => {});
      s.on('close', () => {
        if (--open === 0) {
          clearTimeout(stuck);
          // Each gateway stamps rejects with its own monotonic clock: compare the digits' count only.
          resolve(outs.map((o) => o.replace(/Date: [^\r]*/g, 'Date: -').replace(/"receivedAtNs":(\d+)/g, (_, d: string) => `"receivedAtNs":${'0'.repeat(d.length)}`)));
        }
      });
      return s;
    });
    const next = [...streams.map(() => 0)];
    let k = 0;
    const step = (): void => {
      if (k >= order.length) {
        // the client's FIN: each server answers what it has, then closes
        for (const s of sockets) s.end();
        return;
      }
      const i = order[k++]!;
      const chunk = streams[i]![next[i]!++];
      if (chunk !== undefined && !sockets[i]!.destroyed) sockets[i]!.write(chunk);
      setImmediate(step);
    };
    let connected = 0;
    for (const s of sockets) s.once('connect', () => ++connected === sockets.length && step());
  });
}

describe('HTTP fast lane: differential fuzzing against node:http', () => {
  let withLane: RunningGateway;
  let without: RunningGateway;
  let tok: string;
  before(async () => {
    [withLane, without] = await Promise.all([startGateway({ HTTP_FAST_LANE: '1' }), startGateway({ HTTP_FAST_LANE: '0' })]);
    tok = await token('acct-fuzz');
  });
  after(async () => {
    await Promise.all([withLane.stop(), without.stop()]);
  });

  it(`answers ${CASES} seeded single-connection streams byte for byte as node:http (seed ${SEED})`, async () => {
    const g = new Gen(prng(SEED), tok);
    for (let c = 0; c < CASES; c++) {
      const stream = g.stream();
      if (ONLY >= 0 && c !== ONLY) continue;
      if (ONLY >= 0) console.log(stream.map((b) => b.toString('latin1')));
      const order = stream.map(() => 0);
      const what = `case ${c} (seed ${SEED}): ${JSON.stringify(stream.map((b) => b.toString('latin1')))}`;
      const [a] = await exchange(withLane.port, [stream], order).catch((e: Error) => assert.fail(`${what}\n lane: ${e.message}`));
      const [b] = await exchange(without.port, [stream], order).catch((e: Error) => assert.fail(`${what}\n node: ${e.message}`));
      assert.equal(a, b, `${what}\n lane: ${JSON.stringify(a)}\n node: ${JSON.stringify(b)}`);
    }
  });

  it(`answers ${INTERLEAVED} interleavings of 2-3 connections as node:http (seed ${SEED + 1})`, async () => {
    const g = new Gen(prng(SEED + 1), tok);
    for (let c = 0; c < INTERLEAVED; c++) {
      const streams = Array.from({ length: 2 + g.int(2) }, () => g.stream());
      // one connection may hold a head announcing a long body it never sends (it only times out)
      if (g.chance(0.3)) streams[0] = [Buffer.from(`POST /v3/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 16000\r\n\r\n{`)];
      const order: number[] = [];
      const left = streams.map((s) => s.length);
      while (left.some((n) => n > 0)) {
        const i = g.int(streams.length);
        if (left[i]! > 0) {
          left[i]!--;
          order.push(i);
        }
      }
      const what = `interleaving ${c} (seed ${SEED + 1}): ${JSON.stringify(streams.map((st) => st.map((b) => b.toString('latin1'))))} order ${order.join('')}`;
      const a = await exchange(withLane.port, streams, order).catch((e: Error) => assert.fail(`${what}\n lane: ${e.message}`));
      const b = await exchange(without.port, streams, order).catch((e: Error) => assert.fail(`${what}\n node: ${e.message}`));
      assert.deepEqual(a, b, what);
    }
  });
});
