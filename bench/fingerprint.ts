/**
 * `npm run bench:fingerprint`: the keyed fingerprints of the fast path's indexes against the
 * unkeyed hash they replaced, and what re-checking the Idempotency-Key string would cost.
 *
 * 1. Per call, ns: `fingerprintPair(account, key)` with a short key ("demo-123") and a UUID key,
 *    `fingerprintNumbered(session, seq)`, `fingerprint(body)` of the README's order body; the
 *    keyed HalfSipHash-2-4 (src/lib/fingerprint-index.ts) vs the FNV-1a / multiply-xorshift
 *    pair it replaced (copied below as the baseline).
 * 2. Per order, ns: the idempotency window's lookup + remember, as /v3/orders does them for a new
 *    key, with a fresh key string per order (made from bytes, as a header value is):
 *      keyed        the window as shipped (keyed fingerprints; account and key kept per slot
 *                   and re-checked on a hit)
 *      retain-key   the same, plus another `capacity` key strings kept alive: the marginal
 *                   cost of keeping the keys (the garbage collector's work), which is what the
 *                   exact re-check costs over a fingerprint-only window
 *
 * Interleaved rounds (the order rotates each round), medians. Env: ROUNDS (15), OPS (200000).
 * A run of the defaults takes about ten seconds.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { fingerprint, fingerprintNumbered, fingerprintPair, fpA } from '../src/lib/fingerprint-index.js';
import { IdempotencyWindow, MISS } from '../src/fastpath/idempotency-window.js';
import { ROOT, timestamp } from './lib/common.js';

const ROUNDS = Math.max(3, Number(process.env.ROUNDS ?? 15));
const OPS = Math.max(1000, Number(process.env.OPS ?? 200_000));
const WINDOW = 65_536;

// ---- the unkeyed hash this replaced (baseline only) ---------------------------------------
let legacyA = 0;
let legacyB = 0;
function legacyFeed(s: string): void {
  let a = legacyA;
  let b = legacyB;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 13;
  }
  legacyA = a;
  legacyB = b;
}
function legacyPair(a: string, b: string): void {
  legacyA = 0x811c9dc5;
  legacyB = 0x9747b28c ^ a.length;
  legacyFeed(a);
  legacyA = Math.imul(legacyA ^ 0x0a, 0x01000193);
  legacyFeed(b);
  legacyA >>>= 0;
  legacyB >>>= 0;
}
function legacyNumbered(s: string, n: number): void {
  legacyA = 0x811c9dc5;
  legacyB = 0x9747b28c ^ s.length ^ 0x5eed;
  legacyFeed(s);
  const lo = n >>> 0;
  const hi = (n / 4294967296) >>> 0;
  let a = Math.imul(legacyA ^ lo, 0x01000193);
  let b = Math.imul(legacyB ^ lo, 0x5bd1e995);
  b ^= b >>> 13;
  a = Math.imul(a ^ hi, 0x01000193);
  b = Math.imul(b ^ hi, 0x5bd1e995);
  b ^= b >>> 15;
  legacyA = a >>> 0;
  legacyB = b >>> 0;
}
function legacyOne(s: string): void {
  legacyA = 0x811c9dc5;
  legacyB = 0x9747b28c ^ s.length;
  legacyFeed(s);
  legacyA >>>= 0;
  legacyB >>>= 0;
}
// ---- inputs ------------------------------------------------------------------------------
const ACCOUNTS = ['acct-1', 'strat-7', 'account-000017'];
const SHORT = Array.from({ length: 1024 }, (_, i) => `demo-${i}`);
const UUIDS = Array.from({ length: 1024 }, (_, i) => `3f1c2a7e-5b8d-4c7e-9a2b-${String(i).padStart(12, '0')}`);
const BODIES = Array.from(
  { length: 1024 },
  (_, i) => `{"symbol":"AAPL","side":"BUY","type":"LIMIT","qty":100,"price":15000,"timeInForce":"GTC","clientOrderId":"demo-${i}"}`,
);
let sink = 0;

/** Time spans of the measured runs, by case name, to charge garbage collections to (performance.now() ms). */
const spans: Array<[string, number, number]> = [];

function timed(f: () => void, name = ''): number {
  const p0 = performance.now();
  const t0 = process.hrtime.bigint();
  f();
  const ns = Number(process.hrtime.bigint() - t0) / OPS;
  if (name !== '') spans.push([name, p0, performance.now()]);
  return ns;
}

const gcs: Array<[number, number]> = [];
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push([e.startTime, e.duration]);
});
gcObserver.observe({ entryTypes: ['gc'] });

const hashCases: Array<[string, () => void]> = [
  ['pair short key, keyed', () => { for (let i = 0; i < OPS; i++) { fingerprintPair(ACCOUNTS[i % 3]!, SHORT[i & 1023]!); sink ^= fpA; } }],
  ['pair short key, unkeyed', () => { for (let i = 0; i < OPS; i++) { legacyPair(ACCOUNTS[i % 3]!, SHORT[i & 1023]!); sink ^= legacyA; } }],
  ['pair UUID key, keyed', () => { for (let i = 0; i < OPS; i++) { fingerprintPair(ACCOUNTS[i % 3]!, UUIDS[i & 1023]!); sink ^= fpA; } }],
  ['pair UUID key, unkeyed', () => { for (let i = 0; i < OPS; i++) { legacyPair(ACCOUNTS[i % 3]!, UUIDS[i & 1023]!); sink ^= legacyA; } }],
  ['numbered, keyed', () => { for (let i = 0; i < OPS; i++) { fingerprintNumbered(ACCOUNTS[i % 3]!, i); sink ^= fpA; } }],
  ['numbered, unkeyed', () => { for (let i = 0; i < OPS; i++) { legacyNumbered(ACCOUNTS[i % 3]!, i); sink ^= legacyA; } }],
  ['order body, keyed', () => { for (let i = 0; i < OPS; i++) { fingerprint(BODIES[i & 1023]!); sink ^= fpA; } }],
  ['order body, unkeyed', () => { for (let i = 0; i < OPS; i++) { legacyOne(BODIES[i & 1023]!); sink ^= legacyA; } }],
];

// ---- the window, per order ------------------------------------------------------------------
const keyBytes = Buffer.from('3f1c2a7e-5b8d-4c7e-9a2b-000000000000', 'latin1');
let serial = 0;
/** A fresh heap string per call, as a header value is. */
function freshKey(): string {
  let n = serial++;
  for (let p = keyBytes.length - 1; p >= keyBytes.length - 10; p--) {
    keyBytes[p] = 48 + (n % 10);
    n = Math.floor(n / 10);
  }
  return keyBytes.toString('latin1');
}

function windowRun(w: IdempotencyWindow, retained: string[] | null): () => void {
  let at = 0;
  return () => {
    for (let i = 0; i < OPS; i++) {
      const key = freshKey();
      const account = ACCOUNTS[i % 3]!;
      const body = BODIES[i & 1023]!;
      if (w.lookup(account, key, body) === MISS) {
        w.remember(account, key, body, '"s"', i, i, i);
        if (retained !== null) {
          retained[at] = key;
          at = at + 1 === WINDOW ? 0 : at + 1;
        }
      }
    }
    sink += w.size;
  };
}

const windowCases: Array<[string, () => void]> = [
  ['window keyed', windowRun(new IdempotencyWindow(WINDOW), null)],
  ['window retain-key', windowRun(new IdempotencyWindow(WINDOW), new Array<string>(WINDOW).fill(''))],
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Medians per case, and of each case's per-round difference with the first case. */
function measure(cases: Array<[string, () => void]>): { medians: Record<string, number>; diffs: Record<string, number> } {
  for (const [, f] of cases) timed(f); // warm-up
  const samples = cases.map((): number[] => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (let j = 0; j < cases.length; j++) {
      const c = (j + r) % cases.length; // rotate who runs first
      samples[c]!.push(timed(cases[c]![1], cases[c]![0]));
    }
  }
  return {
    medians: Object.fromEntries(cases.map(([name], j) => [name, +median(samples[j]!).toFixed(1)])),
    diffs: Object.fromEntries(cases.map(([name], j) => [name, +median(samples[j]!.map((x, r) => x - samples[0]![r]!)).toFixed(1)])),
  };
}

const hashes = measure(hashCases).medians;
const windows = measure(windowCases);
// gc entries arrive on a later turn of the event loop
await new Promise<void>((r) => setImmediate(r));
await new Promise<void>((r) => setTimeout(r, 50));
gcObserver.disconnect();
const gcNsPerOrder: Record<string, number> = {};
for (const [name] of windowCases) {
  let ms = 0;
  let runs = 0;
  for (const [n, t0, t1] of spans) {
    if (n !== name) continue;
    runs++;
    for (const [start, duration] of gcs) if (start >= t0 && start < t1) ms += duration;
  }
  gcNsPerOrder[name] = +((ms * 1e6) / (runs * OPS)).toFixed(1);
}
console.log(`fingerprints, ${ROUNDS} interleaved rounds of ${OPS} (medians, ns per call):`);
for (const [name, v] of Object.entries(hashes)) console.log(`  ${name.padEnd(26)} ${v}`);
console.log(`idempotency window, lookup + remember of a new key (medians, ns per order; gc = mean pause time per order):`);
console.log(`  as shipped                 ${windows.medians['window keyed']}  (gc ${gcNsPerOrder['window keyed']})`);
console.log(`  + capacity more keys kept  ${windows.medians['window retain-key']}  (gc ${gcNsPerOrder['window retain-key']}; per-round difference ${windows.diffs['window retain-key']})`);
const result = { bench: 'fingerprint', at: new Date().toISOString(), rounds: ROUNDS, opsPerRound: OPS, window: WINDOW, hashNs: hashes, windowNs: windows.medians, windowDiffNs: windows.diffs, windowGcNsPerOrder: gcNsPerOrder };
const dir = process.env.RESULTS_DIR ?? join(ROOT, 'var', 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, `bench-fingerprint-${timestamp()}.json`), JSON.stringify(result, null, 2) + '\n');
if (sink === 42) console.log('');
