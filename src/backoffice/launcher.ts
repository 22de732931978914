/**
 * The back office as a child process of `npm start` (the gateway's launcher, src/main.ts), so a
 * newcomer sees positions move after the first fill without starting anything else.
 *
 * A child, not in-process: the back office is its own service (its own event loop, PGlite's
 * WebAssembly heap, PostgreSQL round trips), and nothing it does may take a turn of the event
 * loop that serves orders. It is the same program as `npm run backoffice` (main.ts), started with:
 *
 *   JWT_HS256_SECRET       the gateway's secret (also an ephemeral one), so one token serves both
 *   GATEWAY_DATA_DIR       the gateway's data directory (PGlite lives under it by default)
 *   BACKOFFICE_GATEWAY_URL the gateway's own HTTP port, unless set (BUS_KIND=none: its event feed)
 *   everything else        inherited (BUS_KIND, NATS_URL, BACKOFFICE_*), so it follows JetStream
 *                          when the gateway publishes there
 *
 * Its stdout lines (JSON logs) are passed on, except its machine-readable ready line, which the
 * launcher reads instead (scripts wait for the gateway's). It stops with the gateway (SIGTERM,
 * then SIGKILL after a bound), and by itself when the gateway process is gone (IPC disconnect).
 * If it fails or exits, the gateway keeps running: order entry does not depend on it.
 *
 * Owner: the launcher's event loop.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';

export interface BackofficeChildOptions {
  /** the secret the gateway verifies tokens with */
  secret: string;
  dataDir: string;
  /** the gateway's base URL, for its event feed */
  gatewayUrl: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** how long stop() waits after SIGTERM before SIGKILL */
  stopTimeoutMs: number;
}

export interface BackofficeChild {
  readonly proc: ChildProcess;
  /** resolves with the back office's URL once it serves, or null if it exited first */
  readonly ready: Promise<string | null>;
  stop(): Promise<void>;
}

const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'main.js');

export function startBackofficeChild(o: BackofficeChildOptions): BackofficeChild {
  const env: NodeJS.ProcessEnv = {
    ...o.env,
    JWT_HS256_SECRET: o.secret,
    GATEWAY_DATA_DIR: o.dataDir,
    BACKOFFICE_GATEWAY_URL: o.env.BACKOFFICE_GATEWAY_URL ?? o.gatewayUrl,
  };
  const proc = fork(MAIN, [], { env, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    proc.once('exit', (code, signal) => {
      exited = true;
      if (!stopping) o.log.error({ code, signal }, 'back office exited; the gateway keeps running (start it with npm run backoffice)');
      resolve();
    }),
  );
  let stopping = false;
  const ready = new Promise<string | null>((resolve) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (line.includes('"msg":"ready"') && line.includes('"service":"backoffice"')) {
        const port = (JSON.parse(line) as { httpPort: number }).httpPort;
        const host = o.env.BACKOFFICE_HOST === undefined || o.env.BACKOFFICE_HOST === '0.0.0.0' ? '127.0.0.1' : o.env.BACKOFFICE_HOST;
        resolve(`http://${host}:${port}`);
      } else process.stdout.write(line + '\n');
    });
    void exit.then(() => resolve(null));
  });
  return {
    proc,
    ready,
    async stop(): Promise<void> {
      stopping = true;
      if (exited) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => {
        o.log.error({ timeoutMs: o.stopTimeoutMs }, 'back office did not stop in time: killed');
        proc.kill('SIGKILL');
      }, o.stopTimeoutMs);
      timer.unref();
      await exit;
      clearTimeout(timer);
    },
  };
}
