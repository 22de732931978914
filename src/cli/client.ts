/**
 * Command-line client for the binary TCP order entry, for people (scripts should use
 * `@switchyard/client` directly).
 *
 *   node dist/src/cli/client.js --host 127.0.0.1 --port 9001 --token T new --symbol AAPL --side BUY --qty 100 --price 15000
 *   node dist/src/cli/client.js --token T cancel --order-id 42
 *   node dist/src/cli/client.js --token T watch
 *
 * Exit codes: 0 accepted, 3 rejected by the server, 1 connection or session failure, 2 usage error.
 */
import { parseArgs } from 'node:util';
import {
  SwitchyardClient,
  SwitchyardError,
  describeMessage,
  type CancelResult,
  type OrderRequest,
  type OrderResult,
  type ServerMessage,
} from '@switchyard/client';

const USAGE = `usage: client [--host H] [--port P] [--token T] [--json] <command> [options]
  --host H                 gateway host (default 127.0.0.1)
  --port P                 binary TCP port (default GATEWAY_TCP_PORT or 9001)
  --token T                JWT (default: SWITCHYARD_TOKEN)
  --heartbeat-ms N         heartbeat interval to ask for (default 1000)
  --json                   print JSON instead of key=value text

commands:
  new --symbol S --side BUY|SELL --qty N [--price N] [--type LIMIT|MARKET]
      [--tif GTC|GTD] [--expire-at EPOCH_MS] [--client-order-id ID]
  cancel (--order-id ID | --client-order-id ID)   ID: the orderId printed by new (64-bit decimal)
  watch                    print every message from the server until Ctrl-C
`;

class UsageError extends Error {}

type Values = Record<string, string | boolean | undefined>;

function str(v: Values, name: string): string | undefined {
  const x = v[name];
  return typeof x === 'string' ? x : undefined;
}

function need(v: Values, name: string): string {
  const x = str(v, name);
  if (x === undefined) throw new UsageError(`--${name} is required`);
  return x;
}

function int(name: string, s: string): number {
  if (!/^-?\d+$/.test(s.trim())) throw new UsageError(`--${name}: expected an integer, got ${JSON.stringify(s)}`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${name}: out of range: ${s}`);
  return n;
}

function oneOf<T extends string>(name: string, s: string, allowed: readonly T[]): T {
  const u = s.toUpperCase();
  if (!(allowed as readonly string[]).includes(u)) throw new UsageError(`--${name} must be one of ${allowed.join('|')}`);
  return u as T;
}

function kv(obj: Record<string, string | number | null>): string {
  const { type, ...rest } = obj;
  return [String(type), ...Object.entries(rest).map(([k, x]) => `${k}=${x}`)].join(' ');
}

/** Fields printed as decimal strings: 64-bit values that a JSON reader must not round through a double. */
const AS_TEXT = new Set(['orderId', 'receivedAtNs']);

function printResult(r: OrderResult | CancelResult, json: boolean): void {
  const plain: Record<string, string | number | null> = {};
  for (const [k, x] of Object.entries(r)) plain[k] = typeof x === 'bigint' || AS_TEXT.has(k) ? String(x) : (x as string | number);
  if (json) {
    process.stdout.write(JSON.stringify(plain) + '\n');
    return;
  }
  const { status, ...rest } = plain;
  process.stdout.write(kv({ type: status, ...rest }) + '\n');
}

function printMessage(m: ServerMessage, json: boolean): void {
  const d = describeMessage(m);
  process.stdout.write((json ? JSON.stringify({ at: new Date().toISOString(), ...d }) : `${new Date().toISOString()} ${kv(d)}`) + '\n');
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      token: { type: 'string' },
      'heartbeat-ms': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      symbol: { type: 'string' },
      side: { type: 'string' },
      qty: { type: 'string' },
      price: { type: 'string' },
      type: { type: 'string' },
      tif: { type: 'string' },
      'expire-at': { type: 'string' },
      'client-order-id': { type: 'string' },
      'order-id': { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [command, ...extra] = positionals;
  if (command === undefined) throw new UsageError('missing command (new, cancel or watch)');
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  const json = values.json === true;
  const token = str(values, 'token') ?? process.env.SWITCHYARD_TOKEN;
  if (!token) throw new UsageError('--token is required (or set SWITCHYARD_TOKEN)');
  const host = str(values, 'host') ?? '127.0.0.1';
  const port = int('port', str(values, 'port') ?? process.env.GATEWAY_TCP_PORT ?? '9001');
  const heartbeatMs = int('heartbeat-ms', str(values, 'heartbeat-ms') ?? '1000');

  // Validate the command's options before connecting.
  let run: (c: SwitchyardClient) => Promise<number>;
  if (command === 'new') {
    const expireAt = str(values, 'expire-at');
    const price = str(values, 'price');
    const order: OrderRequest = {
      symbol: need(values, 'symbol'),
      side: oneOf('side', need(values, 'side'), ['BUY', 'SELL'] as const),
      type: oneOf('type', str(values, 'type') ?? 'LIMIT', ['LIMIT', 'MARKET'] as const),
      qty: int('qty', need(values, 'qty')),
      price: price === undefined ? null : int('price', price),
      timeInForce: oneOf('tif', str(values, 'tif') ?? 'GTC', ['GTC', 'GTD'] as const),
      expireAt: expireAt === undefined ? null : int('expire-at', expireAt),
      clientOrderId: str(values, 'client-order-id') ?? null,
    };
    run = async (c) => {
      const r = await c.newOrder(order);
      printResult(r, json);
      return r.status === 'ACK' ? 0 : 3;
    };
  } else if (command === 'cancel') {
    const orderId = str(values, 'order-id');
    const clientOrderId = str(values, 'client-order-id');
    if ((orderId === undefined) === (clientOrderId === undefined)) {
      throw new UsageError('cancel needs exactly one of --order-id or --client-order-id');
    }
    // Order ids are 64-bit: kept as the decimal text, never through a Number.
    if (orderId !== undefined && (!/^\d{1,20}$/.test(orderId) || BigInt(orderId) === 0n || BigInt(orderId) > 2n ** 64n - 1n)) {
      throw new UsageError(`--order-id: expected an order id (decimal, 1 to 2^64-1), got ${JSON.stringify(orderId)}`);
    }
    run = async (c) => {
      const r = await c.cancel(orderId !== undefined ? { orderId } : { clientOrderId: clientOrderId as string });
      printResult(r, json);
      return r.status === 'CANCEL_ACK' ? 0 : 3;
    };
  } else if (command === 'watch') {
    run = (c) =>
      new Promise<number>((resolve) => {
        const info = c.session;
        if (info !== null) process.stderr.write(`logged in: session ${info.sessionId}, heartbeat ${info.heartbeatMs} ms (Ctrl-C to stop)\n`);
        c.on('message', (m) => printMessage(m, json));
        c.on('disconnected', (e) => process.stderr.write(`disconnected: ${e.message}\n`));
        c.on('reconnecting', (n, ms) => process.stderr.write(`reconnecting (attempt ${n}) in ${ms} ms\n`));
        c.on('closed', (e) => resolve(e === null ? 0 : 1));
        process.once('SIGINT', () => void c.close());
        process.once('SIGTERM', () => void c.close());
      });
  } else {
    throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }

  const client = await SwitchyardClient.connect({ host, port, token, heartbeatMs, reconnect: command === 'watch' });
  try {
    return await run(client);
  } finally {
    await client.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError || (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`client: ${e.message}\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    const msg = e instanceof SwitchyardError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
    process.stderr.write(`client: ${msg}\n`);
    process.exitCode = 1;
  },
);
