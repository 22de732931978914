/**
 * The services a benchmark starts beside what it measures: a free loopback port, a private
 * `nats-server -js` (its own store directory, removed when stopped) and a scratch PostgreSQL
 * database (dropped when done). Shared by bench:bus, bench:backoffice and bench:backoffice:lag.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** True when something accepts TCP connections on 127.0.0.1:`port`. */
export function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = netConnect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

export interface NatsServer {
  url: string;
  /** where it runs, for the report */
  where: string;
  stop(): Promise<void>;
}

/** A private `nats-server -js` on a free port; throws when it does not come up within 15 s. */
export async function startNatsServer(): Promise<NatsServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sy-bench-nats-'));
  const proc: ChildProcess = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], { stdio: 'ignore' });
  const exited = new Promise((r) => proc.once('exit', r));
  for (let i = 0; i < 300 && !(await answers(port)); i++) await new Promise((r) => setTimeout(r, 50));
  if (!(await answers(port))) {
    proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error('nats-server did not start (is it installed? apt-get install nats-server)');
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    where: `private nats-server on ${port}`,
    async stop() {
      proc.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The shared NATS on 127.0.0.1:4222 when it answers, else a private one. */
export async function natsServer(): Promise<NatsServer> {
  if (await answers(4222)) return { url: 'nats://127.0.0.1:4222', where: '127.0.0.1:4222 (shared)', stop: async () => {} };
  return startNatsServer();
}

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh database `<prefix>_<random>` on the server of `serverUrl`. */
export async function scratchDatabase(serverUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
