/**
 * Main-thread side of the open-loop generator: runs the sender on its own worker thread and
 * returns what it measured. Tokens are minted here (HS256, `sub` = `accountId` = the account,
 * as the original's open-loop script did) from the gateway's secret.
 */
import { Worker } from 'node:worker_threads';
import { mintToken } from '../../../src/auth/token.js';
import type { SenderConfig, SenderResult } from './sender.js';

export type { SenderConfig, SenderResult } from './sender.js';

/** Accounts `<prefix>_1 … <prefix>_n` (the original's `openloop_1..N`). */
export async function accountTokens(secret: string, prefix: string, n: number, ttlSec = 86_400): Promise<string[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => mintToken({ secret, accountId: `${prefix}_${i + 1}`, ttlSec })));
}

export function runGenerator(cfg: SenderConfig): Promise<SenderResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url.endsWith('.ts') ? './sender-worker.ts' : './sender-worker.js', import.meta.url), { workerData: cfg });
    let done = false;
    w.once('message', (m: { result?: SenderResult; error?: string }) => {
      done = true;
      if (m.result) resolve(m.result);
      else reject(new Error(m.error ?? 'open-loop sender failed'));
      void w.terminate();
    });
    w.once('error', (e) => {
      if (!done) reject(e);
    });
    w.once('exit', (code) => {
      if (!done) reject(new Error(`open-loop sender thread exited with ${code}`));
    });
  });
}

export function newRunId(): string {
  return `ol${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 3).toString(36)}`;
}
