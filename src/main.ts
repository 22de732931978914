#!/usr/bin/env node
/**
 * `npm start`: reads the configuration from the environment and runs the gateway until SIGTERM
 * or SIGINT, then shuts down gracefully (stop accepting, drain, exit 0).
 */
import { randomBytes } from 'node:crypto';
import { startGateway } from './app.js';
import { mintToken } from './auth/token.js';
import { ConfigError } from './config/env.js';
import { loadConfig } from './config/config.js';
import { createLogger } from './lib/logger.js';
import { PortUnavailableError } from './lib/port-probe.js';

async function main(): Promise<void> {
  let cfg;
  try {
    cfg = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(cfg.logLevel);
  // The original's variables that mean nothing here: named once each, never ignored silently.
  for (const w of cfg.compatWarnings) log.warn(w);

  let secret = cfg.auth.secret;
  let demoToken: string | undefined;
  if (secret === undefined) {
    secret = randomBytes(32).toString('base64url');
    demoToken = await mintToken({ secret, accountId: 'demo', roles: ['admin'], ttlSec: 86_400, issuer: cfg.auth.issuer, audience: cfg.auth.audience });
    log.warn('JWT_HS256_SECRET is not set: using an ephemeral secret for this run only (tokens die with the process)');
  }

  let gw;
  try {
    gw = await startGateway({ ...cfg, auth: { ...cfg.auth, secret } }, log);
  } catch (err) {
    if (err instanceof PortUnavailableError) {
      console.error(`gateway not started: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  if (demoToken !== undefined) {
    process.stderr.write(
      `\nDemo token for account "demo" (admin, valid 24 h, this run only):\n\n${demoToken}\n\n` +
        `Try (copy and paste):\n  TOKEN=${demoToken}\n  curl -sS -X POST http://127.0.0.1:${gw.httpPort}/v3/orders \\\n` +
        `    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\\n` +
        `    -d '{"symbol":"AAPL","side":"BUY","type":"LIMIT","qty":100,"price":15000,"timeInForce":"GTC","clientOrderId":"demo-1"}'\n\n` +
        `The README's examples mint tokens with the secret secret123; to follow them as written, start with:\n` +
        `  JWT_HS256_SECRET=secret123 npm start\n\n`,
    );
  }
  // Handlers first: whoever reads the ready line may signal at once.
  const shutdown = (signal: string): void => {
    log.info({ signal }, 'signal received');
    gw.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  // Machine-readable line for scripts and tests that start the gateway with port 0.
  process.stdout.write(JSON.stringify({ msg: 'ready', httpPort: gw.httpPort, tcpPort: gw.tcpPort }) + '\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
