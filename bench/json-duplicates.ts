/**
 * `npm run bench:json-duplicates`: what the duplicate-member check costs on the order hot path.
 *
 * Parses and validates the README's order body (`{"symbol":"AAPL","side":"BUY","type":"LIMIT",
 * "qty":100,"price":15000,"timeInForce":"GTC","clientOrderId":"demo-1"}`, clientOrderId varied
 * per call so that no result can be cached) two ways:
 *
 *   without: JSON.parse + the order_request_v1 schema + conversion (`toNewOrder`), as before
 *   with:    `parseOrderRequest` = the same plus the duplicate scan (duplicate-keys.ts)
 *
 * in interleaved rounds (A B B A ...) of OPS calls each, and prints the median ns per call of
 * each, the median of the per-round differences, and the check alone on the same bodies.
 *
 * Env: ROUNDS (21), OPS (200000). A run of the defaults takes a few seconds.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { duplicateKey, KnownKeys } from '../src/contract/duplicate-keys.js';
import { ContractViolation, orderRequestSchema, parseOrderRequest, toNewOrder } from '../src/contract/order-request.js';
import { ROOT, timestamp } from './lib/common.js';

const ROUNDS = Math.max(3, Number(process.env.ROUNDS ?? 21));
const OPS = Math.max(1000, Number(process.env.OPS ?? 200_000));

const BODIES: string[] = [];
for (let i = 0; i < 1024; i++) {
  BODIES.push(`{"symbol":"AAPL","side":"BUY","type":"LIMIT","qty":100,"price":15000,"timeInForce":"GTC","clientOrderId":"demo-${i}"}`);
}
const KEYS = new KnownKeys(Object.keys(orderRequestSchema.properties));
/** the same bodies with a colon in the clientOrderId: the colon count cannot clear them, the scan runs */
const COLON_BODIES = BODIES.map((b) => b.replace('demo-', 'demo:'));

let sink = 0;

function without(): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < OPS; i++) {
    let json: unknown;
    try {
      json = JSON.parse(BODIES[i & 1023]!);
    } catch {
      continue;
    }
    const o = toNewOrder(json);
    if (!(o instanceof ContractViolation)) sink += o.qty;
  }
  return Number(process.hrtime.bigint() - t0) / OPS;
}

function withCheck(): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < OPS; i++) {
    const o = parseOrderRequest(BODIES[i & 1023]!);
    if (!(o instanceof ContractViolation)) sink += o.qty;
  }
  return Number(process.hrtime.bigint() - t0) / OPS;
}

function scanOnly(): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < OPS; i++) sink += duplicateKey(BODIES[i & 1023]!, KEYS, 7);
  return Number(process.hrtime.bigint() - t0) / OPS;
}

function scanForced(): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < OPS; i++) sink += duplicateKey(COLON_BODIES[i & 1023]!, KEYS, 7);
  return Number(process.hrtime.bigint() - t0) / OPS;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

// warm-up: both paths optimized before the first measured round
for (let i = 0; i < 3; i++) {
  without();
  withCheck();
  scanOnly();
  scanForced();
}

const a: number[] = [];
const b: number[] = [];
const d: number[] = [];
const scan: number[] = [];
const forced: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  // alternate which goes first, so that neither always runs on a warmer (or noisier) moment
  let x: number;
  let y: number;
  if (r % 2 === 0) {
    x = without();
    y = withCheck();
  } else {
    y = withCheck();
    x = without();
  }
  a.push(x);
  b.push(y);
  d.push(y - x);
  scan.push(scanOnly());
  forced.push(scanForced());
}

const result = {
  bench: 'json-duplicates',
  at: new Date().toISOString(),
  rounds: ROUNDS,
  opsPerRound: OPS,
  body: BODIES[1],
  medianNsWithout: +median(a).toFixed(1),
  medianNsWith: +median(b).toFixed(1),
  medianNsDifference: +median(d).toFixed(1),
  medianNsCheckAlone: +median(scan).toFixed(1),
  medianNsCheckWithColonInValue: +median(forced).toFixed(1),
  ratioWithOverWithout: +(median(b) / median(a)).toFixed(3),
};
console.log(
  `parse+validate, ${ROUNDS} interleaved rounds of ${OPS} (medians):\n` +
    `  without duplicate check  ${result.medianNsWithout} ns/order\n` +
    `  with duplicate check     ${result.medianNsWith} ns/order   (x${result.ratioWithOverWithout})\n` +
    `  per-round difference     ${result.medianNsDifference} ns/order\n` +
    `  check alone              ${result.medianNsCheckAlone} ns/order\n` +
    `  check, colon in a value  ${result.medianNsCheckWithColonInValue} ns/order (the full scan runs)`,
);
const dir = process.env.RESULTS_DIR ?? join(ROOT, 'var', 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, `bench-json-duplicates-${timestamp()}.json`), JSON.stringify(result, null, 2) + '\n');
if (sink === 42) console.log(''); // keeps the results observable
