/**
 * `npm run bench:wrk` / `make wrk-gateway-rust`: wrk load on a chosen path against a running
 * gateway, with the original's knobs (scripts/ops/wrk_gateway_rust.sh):
 *
 *   HOST (localhost), PORT (8081), DURATION (10 s), CONNECTIONS (400), THREADS (8),
 *   LATENCY (0; 1 = wrk --latency percentiles), WRK_PATH (/orders),
 *   JWT_HS256_SECRET (required: the gateway's secret), ACCOUNT_ID (12345), CLIENT_ID_LEN (0:
 *   'X' characters appended to each key).
 *
 * The token is minted here (HS256, sub = accountId = ACCOUNT_ID, exp +24 h) and the repository's
 * wrk order script (bench/lib/wrk.ts: a unique Idempotency-Key and clientOrderId per request,
 * the original's body) is written to var/results/. wrk's report is printed unchanged (the
 * original's scripts read it with awk '/Requests\/sec:/') and saved as
 * var/results/wrk_gateway_<stamp>.wrk.txt. wrk is installed from Debian when missing.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mintToken } from '../src/auth/token.js';
import { flag, KnobError, num, runMain, str } from './lib/env.js';
import { resultBase, resultsDir } from './lib/results.js';
import { ensureWrk, runWrk, writeOrderScript } from './lib/wrk.js';

runMain('wrk', async () => {
  const host = str('HOST', 'localhost');
  const port = num('PORT', 8081, { min: 1, max: 65535, integer: true });
  const duration = num('DURATION', 10, { min: 1, integer: true });
  const connections = num('CONNECTIONS', 400, { min: 1, integer: true });
  const threads = num('THREADS', 8, { min: 1, integer: true });
  const latency = flag('LATENCY', false);
  const path = str('WRK_PATH', '/orders');
  const secret = process.env.JWT_HS256_SECRET;
  const account = str('ACCOUNT_ID', '12345');
  const clientIdLen = num('CLIENT_ID_LEN', 0, { min: 0, max: 4096, integer: true });
  if (!secret) throw new KnobError('JWT_HS256_SECRET: required (the running gateway\'s HS256 secret, to mint the token)');
  if (!path.startsWith('/')) throw new KnobError(`WRK_PATH: must start with '/', got ${JSON.stringify(path)}`);
  if (threads > connections) throw new KnobError(`THREADS (${threads}) must not exceed CONNECTIONS (${connections})`);
  ensureWrk();
  const token = await mintToken({ secret, accountId: account, sub: account, ttlSec: 86_400 });
  const script = join(resultsDir(), '.wrk_orders.lua');
  writeOrderScript(script, token, path, undefined, clientIdLen);
  const url = `http://${host}:${port}${path}`;
  console.error(`[wrk] ${url} duration=${duration}s connections=${connections} threads=${threads} latency=${latency ? 1 : 0} account=${account}`);
  const r = await runWrk({ url, script, threads, connections, durationSec: duration, latency });
  process.stdout.write(r.raw);
  const out = `${resultBase('wrk_gateway')}.wrk.txt`;
  writeFileSync(out, r.raw);
  console.error(`[wrk] ${r.rps.toFixed(0)} req/s, non-2xx ${r.non2xx}, socket errors ${r.socketErrors}; saved ${out}`);
});
