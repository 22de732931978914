#!/usr/bin/env node
/**
 * `npm run backoffice`: reads the configuration from the environment and runs the back office
 * until SIGTERM or SIGINT, then stops cleanly and exits 0. Prints one machine-readable line
 * `{"msg":"ready","service":"backoffice","httpPort":N}` on stdout when it serves (port 0 = a free
 * port). Started as a child with an IPC channel (the gateway's `npm start`), it also stops when
 * the parent goes away.
 *
 * Without JWT_HS256_SECRET it generates an ephemeral secret and prints an admin token (tokens of
 * the gateway will then not work here: give both the same secret).
 */
import { randomBytes } from 'node:crypto';
import { mintToken } from '../auth/token.js';
import { ConfigError } from '../config/env.js';
import { createLogger } from '../lib/logger.js';
import { loadBackofficeConfig } from './config.js';
import { type RunningBackoffice, startBackoffice } from './service.js';

async function main(): Promise<void> {
  let cfg;
  try {
    cfg = loadBackofficeConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(cfg.logLevel).child({ component: 'backoffice' });

  let bo: RunningBackoffice | undefined;
  let exiting = false;
  const shutdown = (reason: string): void => {
    if (exiting) return;
    exiting = true;
    log.info({ reason }, 'back office: stopping');
    if (bo === undefined) process.exit(0); // still starting: nothing committed is at stake
    bo.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'back office: shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  if (process.send !== undefined) process.once('disconnect', () => shutdown('parent gone'));

  let demoToken: string | undefined;
  if (cfg.auth.secret === undefined) {
    const secret = randomBytes(32).toString('base64url');
    cfg = { ...cfg, auth: { ...cfg.auth, secret } };
    demoToken = await mintToken({ secret, accountId: 'demo', roles: ['admin'], ttlSec: 86_400, issuer: cfg.auth.issuer, audience: cfg.auth.audience });
    log.warn('JWT_HS256_SECRET is not set: using an ephemeral secret for this run only (the gateway will not accept this back office, nor it the gateway\'s tokens)');
  }

  bo = await startBackoffice(cfg, log);
  if (demoToken !== undefined) {
    process.stderr.write(
      `\nBack office admin token (account "demo", valid 24 h, this run only):\n\n${demoToken}\n\n` +
        `Try:\n  curl -sS http://127.0.0.1:${bo.port}/positions -H "Authorization: Bearer ${demoToken}"\n\n`,
    );
  }
  process.stdout.write(JSON.stringify({ msg: 'ready', service: 'backoffice', httpPort: bo.port }) + '\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
