/**
 * Command-line options of the load generator, parsed into a {@link LoadgenConfig}.
 */
import { parseArgs } from 'node:util';
import { mintTokens, parseAccounts } from './accounts.js';
import type { LoadgenConfig } from './run.js';

export const USAGE = `usage: loadgen --target http|tcp [options]
  --target http|tcp        transport (required)
  --url URL                HTTP order route (default http://127.0.0.1:8081/v3/orders)
  --host HOST --port PORT  TCP gateway (default 127.0.0.1:9001)
  --rate N                 intended requests per second (default 1000)
  --duration S             recorded seconds (default 10)
  --warmup S               unrecorded seconds before (default 0)
  --connections N          HTTP keep-alive sockets (default 8) / TCP sessions (default 1)
  --token JWT              token for every request/session
  --accounts N|a,b,c       mint one token per account (needs --jwt-secret or JWT_HS256_SECRET)
  --jwt-secret S           HS256 secret for --accounts (default: JWT_HS256_SECRET)
  --symbols A,B            symbols, round-robin (default AAPL)
  --qty N --price N        order quantity and limit price in ticks (default 1, 15000)
  --type LIMIT|MARKET      order type (default LIMIT)
  --max-outstanding N      cap on requests in flight (default 100000)
  --drain-timeout S        wait for answers after the last send (default 5)
  --label TEXT             free text stored in the summary
  --out PATH               write PATH.json and PATH.txt (PATH may end in .json)
`;

/** Bad or missing command-line options (empty message: --help). */
export class UsageError extends Error {}

function num(name: string, v: string | undefined, def: number, opts: { min?: number; integer?: boolean } = {}): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || v.trim() === '') throw new UsageError(`--${name}: expected a number, got ${JSON.stringify(v)}`);
  if (opts.integer && !Number.isInteger(n)) throw new UsageError(`--${name}: expected an integer, got ${v}`);
  if (opts.min !== undefined && n < opts.min) throw new UsageError(`--${name}: must be >= ${opts.min}, got ${v}`);
  return n;
}

export async function parseConfig(argv: string[], env: NodeJS.ProcessEnv): Promise<LoadgenConfig & { out: string | null }> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      target: { type: 'string' },
      url: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      token: { type: 'string' },
      accounts: { type: 'string' },
      'jwt-secret': { type: 'string' },
      symbols: { type: 'string' },
      qty: { type: 'string' },
      price: { type: 'string' },
      type: { type: 'string' },
      'max-outstanding': { type: 'string' },
      'drain-timeout': { type: 'string' },
      label: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) throw new UsageError('');
  const target = values.target;
  if (target !== 'http' && target !== 'tcp') throw new UsageError('--target must be http or tcp');
  const type = (values.type ?? 'LIMIT').toUpperCase();
  if (type !== 'LIMIT' && type !== 'MARKET') throw new UsageError('--type must be LIMIT or MARKET');
  const durationSec = num('duration', values.duration, 10, { min: 0.001 });
  const warmupSec = num('warmup', values.warmup, 0, { min: 0 });

  let tokens: string[];
  let accounts: string[];
  if (values.accounts !== undefined) {
    accounts = parseAccounts(values.accounts);
    const secret = values['jwt-secret'] ?? env.JWT_HS256_SECRET;
    if (!secret) throw new UsageError('--accounts needs --jwt-secret or JWT_HS256_SECRET to mint tokens');
    tokens = await mintTokens(accounts, {
      secret,
      ttlSec: Math.ceil(durationSec + warmupSec) + 3600,
      issuer: env.JWT_ISSUER || undefined,
      audience: env.JWT_AUDIENCE || undefined,
    });
  } else if (values.token !== undefined) {
    tokens = [values.token];
    accounts = ['(token)'];
  } else {
    throw new UsageError('give --token, or --accounts with a JWT secret');
  }

  return {
    target,
    url: values.url ?? 'http://127.0.0.1:8081/v3/orders',
    host: values.host ?? '127.0.0.1',
    port: num('port', values.port, 9001, { min: 1, integer: true }),
    ratePerSec: num('rate', values.rate, 1000, { min: 0.001 }),
    durationSec,
    warmupSec,
    connections: num('connections', values.connections, target === 'http' ? 8 : 1, { min: 1, integer: true }),
    tokens,
    accounts,
    symbols: (values.symbols ?? 'AAPL').split(',').map((s) => s.trim()).filter((s) => s !== ''),
    qty: num('qty', values.qty, 1, { min: 1, integer: true }),
    price: num('price', values.price, 15000, { min: 0, integer: true }),
    type,
    maxOutstanding: num('max-outstanding', values['max-outstanding'], 100_000, { min: 1, integer: true }),
    drainTimeoutSec: num('drain-timeout', values['drain-timeout'], 5, { min: 0 }),
    label: values.label ?? null,
    out: values.out ?? null,
  };
}
