/** Starts the compiled gateway as a child process on free ports and talks to it over real sockets. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { mintToken } from '../../src/auth/token.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SECRET = 'test-secret';
/** Loss-suspect timeout of every started gateway unless the test sets V3_LOSS_GAP_TIMEOUT_MS. */
export const LOSS_TIMER_OFF_MS = '600000';

export interface RunningGateway {
  proc: ChildProcess;
  port: number;
  tcpPort: number;
  base: string;
  dataDir: string;
  output: string[];
  /** SIGTERM and wait: resolves with the exit code */
  stop(): Promise<number | null>;
  /** SIGKILL and wait */
  kill(): Promise<void>;
}

export async function startGateway(env: Record<string, string> = {}): Promise<RunningGateway> {
  const dataDir = env.GATEWAY_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'sy-gw-'));
  const proc = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      GATEWAY_PORT: '0',
      GATEWAY_TCP_PORT: '0',
      GATEWAY_HOST: '127.0.0.1',
      JWT_HS256_SECRET: SECRET,
      LOG_LEVEL: 'warn',
      GATEWAY_DATA_DIR: dataDir,
      // Most tests look at order entry alone; the venue tests turn the embedded venue on.
      SOR_VENUES: 'none',
      // The back office `npm start` runs beside the gateway is tested on its own (backoffice/).
      BACKOFFICE_ENABLE: '0',
      // The loss-suspect timer (500 ms by default) kills a session whose /v3 order is not durable in
      // time. Under a loaded machine one fdatasync can take longer than that, and a test that is not
      // about loss detection then sees 503 V3_SESSION_KILLED or a TCP reject. Tests about the timer set
      // their own value.
      V3_LOSS_GAP_TIMEOUT_MS: LOSS_TIMER_OFF_MS,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  createInterface({ input: proc.stderr! }).on('line', (l) => output.push(l));
  const { httpPort: port, tcpPort } = await new Promise<{ httpPort: number; tcpPort: number }>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      output.push(line);
      if (line.includes('"msg":"ready"')) resolve(JSON.parse(line) as { httpPort: number; tcpPort: number });
    });
    void exited.then((code) => reject(new Error(`gateway exited with ${code} before ready:\n${output.join('\n')}`)));
  });
  return {
    proc,
    port,
    tcpPort,
    base: `http://127.0.0.1:${port}`,
    dataDir,
    output,
    async stop() {
      proc.kill('SIGTERM');
      return exited;
    },
    async kill() {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** Waits until a line of the gateway's output matches; returns it. */
export async function waitForOutput(gw: RunningGateway, re: RegExp, timeoutMs = 60_000): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    const line = gw.output.find((l) => re.test(l));
    if (line !== undefined) return line;
    if (Date.now() - t0 > timeoutMs) throw new Error(`no output line matching ${re} in ${timeoutMs} ms:\n${gw.output.slice(-20).join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs the gateway expecting it to fail at start-up; returns exit code and output. */
export async function startFailing(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const proc = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, GATEWAY_PORT: '0', GATEWAY_TCP_PORT: '0', GATEWAY_HOST: '127.0.0.1', JWT_HS256_SECRET: SECRET, SOR_VENUES: 'none', BACKOFFICE_ENABLE: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout!.on('data', (d) => (output += d));
  proc.stderr!.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
  return { code, output };
}

export function token(accountId: string, extra: { sub?: string; roles?: string[]; ttlSec?: number } = {}): Promise<string> {
  return mintToken({ secret: SECRET, accountId, ...extra });
}

export const ORDER = { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', qty: 100, price: 15000, timeInForce: 'GTC' };

export async function post(base: string, path: string, tok: string | undefined, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(tok ? { authorization: `Bearer ${tok}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

export async function get(base: string, path: string, tok?: string) {
  const res = await fetch(base + path, { headers: tok ? { authorization: `Bearer ${tok}` } : {} });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

/** Reads `name value` lines of /metrics into a map (unlabelled series only). */
export async function metrics(base: string): Promise<Map<string, number>> {
  const { text } = await get(base, '/metrics');
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const sp = line.lastIndexOf(' ');
    m.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return m;
}

/** Polls `probe` until it returns a value (not undefined); fails the test after `boundMs`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, boundMs = 60_000): Promise<T> {
  const end = Date.now() + boundMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`still waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
