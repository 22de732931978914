/**
 * Operator console settings (src/console/, served at /console):
 *
 *   CONSOLE_ENABLE          1 (default) serves /console; 0 leaves the routes out entirely
 *   CONSOLE_INTERVAL_MS     period of the console stream's samples (default 1000, 100..60000)
 *   CONSOLE_MAX_CLIENTS     open console streams at once (default 8, 1..256); more get 503
 *   CONSOLE_BACKOFFICE_URL  base URL of the back office API for positions and P&L
 *                           (default http://127.0.0.1:8082)
 */
import { bool, ConfigError, type Env, int, str } from './env.js';

export interface ConsoleConfig {
  enabled: boolean;
  intervalMs: number;
  maxClients: number;
  /** no trailing slash */
  backofficeUrl: string;
  /** a console stream ticket is good this long after it is issued, once */
  ticketTtlMs: number;
}

/** How long a stream ticket lives: enough for the browser to open the EventSource it asked for. */
const TICKET_TTL_MS = 30_000;

export function loadConsoleConfig(env: Env): ConsoleConfig {
  const backofficeUrl = str(env, 'CONSOLE_BACKOFFICE_URL', 'http://127.0.0.1:8082').replace(/\/+$/, '');
  let u: URL;
  try {
    u = new URL(backofficeUrl);
  } catch {
    throw new ConfigError('CONSOLE_BACKOFFICE_URL', `expected an http(s) URL, got ${JSON.stringify(backofficeUrl)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError('CONSOLE_BACKOFFICE_URL', `expected an http(s) URL, got ${JSON.stringify(backofficeUrl)}`);
  return {
    enabled: bool(env, 'CONSOLE_ENABLE', true),
    intervalMs: int(env, 'CONSOLE_INTERVAL_MS', 1000, { min: 100, max: 60_000 }),
    maxClients: int(env, 'CONSOLE_MAX_CLIENTS', 8, { min: 1, max: 256 }),
    backofficeUrl,
    ticketTtlMs: TICKET_TTL_MS,
  };
}
