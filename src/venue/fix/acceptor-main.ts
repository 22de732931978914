/**
 * `npm run venue`: the exchange simulator as a standalone FIX 4.4 acceptor (fix/acceptor.ts).
 *
 * Configuration (docs/venues.md): `VENUE_FIX_*` for the listener and the session (port 9878 by
 * default), `VENUE_SIM_*` for the simulator, and the gateway's symbol master
 * (`V3_RISK_SYMBOL_LIMITS`) for the reference prices, so the venue quotes the symbols the gateway
 * accepts. A bad value stops the start with a message naming the variable (exit code 2).
 * SIGINT/SIGTERM close the listener and exit 0.
 */
import { ConfigError } from '../../config/env.js';
import { loadConfig } from '../../config/config.js';
import { createLogger } from '../../lib/logger.js';
import { type AcceptorConfig, loadAcceptorConfig } from '../../config/venues.js';
import { FixAcceptor } from './acceptor.js';

async function main(): Promise<void> {
  let cfg: AcceptorConfig;
  let refs: Map<string, number>;
  let level: string;
  try {
    cfg = loadAcceptorConfig(process.env);
    const gw = loadConfig(process.env);
    level = gw.logLevel;
    refs = new Map([...gw.risk.symbols.values()].filter((s) => s.refPrice > 0).map((s) => [s.symbol, s.refPrice]));
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(level).child({ component: 'venue-fix-acceptor' });
  const acceptor = new FixAcceptor(cfg, refs);
  acceptor.on('logon', () => log.info({ counterparty: cfg.link.gatewayCompId }, 'counterparty logged on'));
  acceptor.on('logout', (detail: string | null) =>
    log.info({ counterparty: cfg.link.gatewayCompId, detail, cancelOnDisconnect: cfg.cancelOnDisconnect, openOrders: acceptor.openOrders }, 'counterparty disconnected'),
  );
  const port = await acceptor.listen();
  log.info(
    { port, venueCompId: cfg.link.venueCompId, gatewayCompId: cfg.link.gatewayCompId, dataDir: cfg.link.dataDir, cancelOnDisconnect: cfg.cancelOnDisconnect, symbols: [...refs.keys()] },
    'ready',
  );
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    void acceptor.close().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

await main();
