#!/usr/bin/env node
/**
 * `npm start`: reads the configuration from the environment and runs the gateway until SIGTERM
 * or SIGINT, then shuts down gracefully (stop accepting, drain, exit 0). Beside it, unless
 * BACKOFFICE_ENABLE=0, the back office runs as a child process (backoffice/launcher.ts) with
 * the gateway's secret and data directory; it stops with the gateway.
 */
import { randomBytes } from 'node:crypto';
import { startGateway } from './app.js';
import { mintToken } from './auth/token.js';
import { ConfigError } from './config/env.js';
import { loadConfig } from './config/config.js';
import { loadBackofficeConfig } from './backoffice/config.js';
import { type BackofficeChild, startBackofficeChild } from './backoffice/launcher.js';
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
  if (cfg.backoffice.enabled) {
    // its settings are checked before anything starts, as the gateway's own
    try {
      loadBackofficeConfig();
    } catch (err) {
      if (err instanceof ConfigError) {
        console.error(`configuration error: ${err.message} (or BACKOFFICE_ENABLE=0 to run the gateway alone)`);
        process.exit(2);
      }
      throw err;
    }
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
  let backoffice: BackofficeChild | undefined;
  if (cfg.backoffice.enabled) {
    const host = cfg.host === '0.0.0.0' || cfg.host === '::' ? '127.0.0.1' : cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
    backoffice = startBackofficeChild({
      secret,
      dataDir: cfg.dataDir,
      gatewayUrl: `http://${host}:${gw.httpPort}`,
      host: cfg.host,
      env: process.env,
      log,
      stopTimeoutMs: cfg.backoffice.stopTimeoutMs,
    });
    void backoffice.ready.then((url) => {
      if (url === null) return;
      log.info({ url, pid: backoffice!.proc.pid, input: cfg.bus.kind === 'nats' ? 'JetStream' : 'gateway event feed' }, `back office listening at ${url} (same tokens as the gateway; BACKOFFICE_ENABLE=0 turns it off)`);
      if (demoToken !== undefined) process.stderr.write(`Back office: ${url}/positions  (same token)\n\n`);
    });
  } else log.info('BACKOFFICE_ENABLE=0: the back office is not started (npm run backoffice runs it alone)');
  if (demoToken !== undefined) {
    process.stderr.write(
      `\nDemo token for account "demo" (admin, valid 24 h, this run only):\n\n${demoToken}\n\n` +
        `Try (copy and paste):\n  TOKEN=${demoToken}\n  curl -sS -X POST http://127.0.0.1:${gw.httpPort}/v3/orders \\\n` +
        `    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\\n` +
        `    -d '{"symbol":"AAPL","side":"BUY","type":"LIMIT","qty":100,"price":15000,"timeInForce":"GTC","clientOrderId":"demo-1"}'\n\n` +
        (cfg.console.enabled ? `Operator console: http://127.0.0.1:${gw.httpPort}/console/ (paste the token above)\n\n` : '') +
        `The README's examples mint tokens with the secret secret123; to follow them as written, start with:\n` +
        `  JWT_HS256_SECRET=secret123 npm start\n\n`,
    );
  }
  // Handlers first: whoever reads the ready line may signal at once.
  const shutdown = (signal: string): void => {
    log.info({ signal }, 'signal received');
    Promise.all([gw.stop(), backoffice?.stop()]).then(
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
