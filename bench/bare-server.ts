/**
 * The ceiling for any Node HTTP service on this machine: a bare node:http server that reads the
 * same JSON order body, parses it, and answers 202 with a body shaped like the gateway's
 * acknowledgement. No auth, no validation, no risk, no queue.
 *
 * It times its own in-handler window (JSON.parse + building the answer) the way the gateway times
 * its accepted acknowledgements, so the benchmark can show the gateway's in-handler p99 next to
 * the smallest window any handler on this machine can have: GET /stats, POST /stats/reset.
 *
 * BUSY_US (default 0) stretches that window by spinning on the clock for that many microseconds —
 * no allocation, no memory traffic. bench:v3 uses it to measure the p99 this machine gives a
 * window as long as the gateway's median one: the noise floor of the in-handler p99.
 */
import { createServer } from 'node:http';
import { LatencyHistogram } from '../src/lib/latency.js';

let seq = 0;
const busyMs = Number(process.env.BUSY_US ?? 0) / 1000;
const window = new LatencyHistogram();
const server = createServer((req, res) => {
  if (req.url === '/stats') {
    if (req.method === 'POST') window.reset();
    const out = JSON.stringify({ p50Us: window.percentileUs(50), p99Us: window.percentileUs(99), count: window.count });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': out.length });
    res.end(out);
    return;
  }
  let body = '';
  req.on('data', (c: Buffer) => (body += c));
  req.on('end', () => {
    const t0 = performance.now();
    const o = JSON.parse(body) as { symbol: string };
    if (busyMs > 0) {
      const until = t0 + busyMs;
      while (performance.now() < until);
    }
    seq++;
    const out = `{"status":"VOLATILE_ACCEPT","sessionId":"bench","sessionSeq":${seq},"orderId":"bare-${seq}","receivedAtNs":${Math.round(t0 * 1e6)},"symbol":"${o.symbol}"}`;
    window.since(t0, performance.now());
    res.writeHead(202, { 'content-type': 'application/json', 'content-length': out.length });
    res.end(out);
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(JSON.stringify({ msg: 'ready', httpPort: typeof addr === 'object' && addr ? addr.port : 0 }) + '\n');
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
