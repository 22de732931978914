/**
 * Test set-up for the back office: a fresh PostgreSQL database per test run (starting the local
 * server when it is not answering), PGlite in a temporary directory, a private nats-server, the
 * compiled back office as a child process, and waiting on conditions.
 */
import { type ChildProcess, execSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import { answers, freePort, type ScratchDatabase, scratchDatabase } from '../../../bench/lib/services.js';
import { ROOT } from '../../helpers/gateway.js';

export { ROOT };
export const SECRET = 'backoffice-test-secret';

export const PG_ADMIN_URL = process.env.BACKOFFICE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function quietLog(): Logger {
  return pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
}

async function pgAnswers(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

/**
 * Null when PostgreSQL answers (started here with the machine's command if it was down), else the
 * reason it cannot be used.
 */
export async function ensurePostgres(): Promise<string | null> {
  if (await pgAnswers()) return null;
  try {
    const version = readdirSync('/etc/postgresql')[0];
    execSync(`pg_ctlcluster --skip-systemctl-redirect ${version} main start`, { stdio: 'ignore', timeout: 60_000 });
  } catch (err) {
    return `PostgreSQL at ${PG_ADMIN_URL} is not answering and could not be started: ${(err as Error).message}`;
  }
  for (let i = 0; i < 60; i++) {
    if (await pgAnswers()) return null;
    await new Promise((r) => setTimeout(r, 500));
  }
  return `PostgreSQL at ${PG_ADMIN_URL} did not come up`;
}

/** A new empty database; `drop()` removes it. */
export function createDatabase(): Promise<ScratchDatabase> {
  return scratchDatabase(PG_ADMIN_URL, `bo_test_${process.pid}`);
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export { freePort };

/** Polls `check` until it returns a value other than undefined/false (or throws after `timeoutMs`). */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface NatsServer {
  url: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
  /** start again on the same port and store */
  restart(): Promise<void>;
}

/** A private JetStream server on a free port with its own store. */
export async function startNats(port?: number): Promise<NatsServer> {
  const p = port ?? (await freePort());
  const dir = tempDir('sy-bo-nats-');
  let proc: ChildProcess | null = null;
  const start = async (): Promise<void> => {
    proc = spawn('/usr/sbin/nats-server', ['-js', '-a', '127.0.0.1', '-p', String(p), '-sd', dir.path], { stdio: 'ignore' });
    await waitFor('nats-server', () => answers(p), 30_000);
  };
  const stop = async (): Promise<void> => {
    const pr = proc;
    proc = null;
    if (pr === null || pr.exitCode !== null) return;
    const exited = new Promise((r) => pr.once('exit', r));
    pr.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url: `nats://127.0.0.1:${p}`,
    port: p,
    dir: dir.path,
    async stop() {
      await stop();
      dir.remove();
    },
    async restart() {
      await stop();
      await start();
    },
  };
}

export interface BackofficeProcess {
  proc: ChildProcess;
  port: number;
  base: string;
  output: string[];
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
  kill(): Promise<void>;
}

/** The compiled back office (dist/src/backoffice/main.js) as a child process on a free port. */
export async function startBackofficeProcess(env: Record<string, string>): Promise<BackofficeProcess> {
  const proc = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'backoffice', 'main.js')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, BACKOFFICE_PORT: '0', BACKOFFICE_HOST: '127.0.0.1', JWT_HS256_SECRET: SECRET, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  createInterface({ input: proc.stderr! }).on('line', (l) => output.push(l));
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      output.push(line);
      if (line.includes('"msg":"ready"')) resolve((JSON.parse(line) as { httpPort: number }).httpPort);
    });
    void exited.then((code) => reject(new Error(`back office exited with ${code} before ready:\n${output.join('\n')}`)));
  });
  return {
    proc,
    port,
    base: `http://127.0.0.1:${port}`,
    output,
    exited,
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

export async function getJson(base: string, path: string, token?: string): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(base + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json, headers: res.headers };
}
