/** Running wrk (closed-loop HTTP load) and reading its report. */
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';

/** Makes sure wrk is on PATH, installing Debian's package when running as root. */
export function ensureWrk(): void {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return;
  } catch (err) {
    // wrk --version exits 1 even when present; ENOENT means missing
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return;
  }
  if (process.getuid?.() !== 0) throw new Error('wrk is not installed: apt-get install wrk');
  console.error('[bench] installing wrk (apt-get)');
  try {
    execFileSync('apt-get', ['install', '-y', 'wrk'], { stdio: 'ignore' });
  } catch {
    execFileSync('apt-get', ['update'], { stdio: 'ignore' });
    execFileSync('apt-get', ['install', '-y', 'wrk'], { stdio: 'ignore' });
  }
}

export interface WrkResult {
  rps: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
  p50Us: number;
  p99Us: number;
  raw: string;
}

function toUs(v: string, unit: string): number {
  const n = Number(v);
  switch (unit) {
    case 'us':
      return n;
    case 'ms':
      return n * 1000;
    case 's':
      return n * 1e6;
    default:
      return NaN;
  }
}

export function parseWrk(raw: string): WrkResult {
  const num = (re: RegExp) => {
    const m = raw.match(re);
    return m ? Number(m[1]) : 0;
  };
  const pct = (p: string) => {
    const m = raw.match(new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm'));
    return m ? toUs(m[1]!, m[2]!) : NaN;
  };
  const errs = raw.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    requests: num(/(\d+) requests in/),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
    socketErrors: errs ? errs.slice(1).reduce((n, v) => n + Number(v), 0) : 0,
    p50Us: pct('50'),
    p99Us: pct('99'),
    raw,
  };
}

/**
 * A wrk Lua script that POSTs the original benchmark body with a unique Idempotency-Key and
 * clientOrderId per request (the original's wrk_orders.lua shape): `<run>-<thread>-<n>`, where
 * `run` defaults to a random number per wrk run, so a measured run is never answered from the
 * idempotency window of its warm-up.
 */
export function writeOrderScript(path: string, token: string, urlPath: string, run?: string, clientIdLen = 0): void {
  writeFileSync(
    path,
    `
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
-- wrk's Lua does not seed math.random: without this every run (warm-up and measured) would send
-- the same keys, and the measured run would be answered from the idempotency window.
math.randomseed(os.time() * 1000 + math.floor(os.clock() * 1000000) % 1000)
local prefix = ${run === undefined ? 'tostring(math.random(1, 1000000000))' : JSON.stringify(run)}
wrk.method = "POST"
wrk.path = "${urlPath}"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer ${token}"
request = function()
  counter = counter + 1
  local key = prefix .. "-" .. tostring(tid) .. "-" .. counter${clientIdLen > 0 ? ` .. "${'X'.repeat(clientIdLen)}"` : ''}
  wrk.headers["Idempotency-Key"] = key
  local body = '{"symbol":"AAPL","side":"BUY","type":"LIMIT","qty":100,"price":15000,"timeInForce":"GTC","clientOrderId":"' .. key .. '"}'
  return wrk.format(nil, nil, nil, body)
end
`,
  );
}

export function runWrk(args: { url: string; script: string; threads: number; connections: number; durationSec: number; latency?: boolean }): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const flags = ['-t', String(args.threads), '-c', String(args.connections), '-d', `${args.durationSec}s`, ...(args.latency === false ? [] : ['--latency']), '-s', args.script, args.url];
    const p = spawn('wrk', flags, {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(parseWrk(out)) : reject(new Error(`wrk exited ${code}: ${out}`))));
  });
}
