/**
 * Venue configuration: the router's settings (the original Kotlin gateway's `SOR_*` names) and one
 * settings block per venue (`VENUE_<NAME>_*`, NAME upper-cased). Parsed once, at start-up; every
 * reader throws a {@link ConfigError} naming the variable, nothing falls back silently.
 *
 *   SOR_VENUES          comma list of venue names                      default `sim`
 *   SOR_DEFAULT_VENUE   venue of a cancel whose order's venue is unknown  default: first of SOR_VENUES
 *   SOR_SYMBOL_ROUTES   `SYM=venue,...` (`SYM:venue` too); `*=venue` routes every other symbol
 *   VENUE_<NAME>_KIND   `sim` | `fix`                                  default `sim`
 *
 * The Kotlin simulator's `EXCHANGE_SIM_*` settings and `SOR_ROUTES` are refused by name (the
 * simulator has other knobs; the route list's name is `SOR_SYMBOL_ROUTES`), so that a setting
 * meant for the original is never silently ignored. docs/venues.md lists every variable.
 */
import { ConfigError, type Env, bool, int, list, num, oneOf, raw, str } from './env.js';

export type VenueKind = 'sim' | 'fix';

/** The embedded exchange simulator's model (see sim/exchange.ts). */
export interface SimSettings {
  /** PRNG seed: same seed, same clock, same orders ⇒ same reports */
  seed: number;
  /** order/cancel/status arrival latency, µs */
  latencyUs: number;
  /** extra delay of TRADE reports after the match, µs */
  fillLatencyUs: number;
  /** percentage of new orders the venue rejects (0..100) */
  rejectPct: number;
  /** distance between the liquidity provider's best bid and best ask, ticks (>= 1) */
  lpSpreadTicks: number;
  /** price levels quoted per side */
  lpLevels: number;
  /** ticks between two quoted levels */
  lpLevelStepTicks: number;
  /** quantity quoted per level: the most one level fills per refresh (partial-fill knob) */
  lpDepth: number;
  /** reference-price random walk: largest step, ticks */
  walkStepTicks: number;
  /** reference-price random walk: period, ms (the liquidity provider requotes each period) */
  walkIntervalMs: number;
}

export interface FixLinkSettings {
  host: string;
  port: number;
  /** the gateway's CompID (SenderCompID of the initiator, TargetCompID of the acceptor) */
  gatewayCompId: string;
  /** the venue's CompID */
  venueCompId: string;
  heartbeatSec: number;
  /** directory of the session's persisted sequence numbers and sent messages */
  dataDir: string;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /**
   * <prefix>FAILPOINT (tests): '' or 'drop-new' — the gateway's side of the link drops every new
   * order without sending it, as when the gateway dies before the bytes leave
   */
  failpoint: '' | 'drop-new';
}

export type VenueSettings =
  | { name: string; kind: 'sim'; sim: SimSettings }
  | { name: string; kind: 'fix'; fix: FixLinkSettings };

export interface RouterSettings {
  venues: readonly string[];
  defaultVenue: string;
  /** explicit symbol → venue routes; `*` is the catch-all */
  routes: ReadonlyMap<string, string>;
}

export interface VenuesConfig {
  router: RouterSettings;
  venues: readonly VenueSettings[];
}

const VENUE_NAME_RE = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;
const ROUTE_SYMBOL_RE = /^([A-Z0-9_.-]{1,8}|\*)$/;
const COMP_ID_RE = /^[\x21-\x7e]{1,64}$/;

const KOTLIN_SIM_PREFIXES = ['EXCHANGE_SIM_DELAY_MS', 'EXCHANGE_SIM_PARTIAL_STEPS', 'EXCHANGE_SIM_REJECT_ALL'];

/** `VENUE_<NAME>_` for a venue name. */
export function venuePrefix(name: string): string {
  return `VENUE_${name.toUpperCase()}_`;
}

export function parseRouterSettings(env: Env): RouterSettings {
  if (raw(env, 'SOR_ROUTES') !== undefined) {
    throw new ConfigError('SOR_ROUTES', 'not a setting: symbol routes are SOR_SYMBOL_ROUTES (the original gateway\'s name), e.g. "AAPL=sim,*=sim"');
  }
  const names = list(env, 'SOR_VENUES');
  const venues = names.length === 0 ? ['sim'] : names;
  if (venues.length === 1 && venues[0] === 'none') return { venues: [], defaultVenue: '', routes: new Map() };
  const seen = new Set<string>();
  for (const v of venues) {
    if (!VENUE_NAME_RE.test(v)) {
      throw new ConfigError('SOR_VENUES', `bad venue name ${JSON.stringify(v)}: a letter then letters, digits or _ (at most 32)`);
    }
    const key = v.toUpperCase();
    if (seen.has(key)) throw new ConfigError('SOR_VENUES', `venue ${JSON.stringify(v)} listed twice (names are case-insensitive)`);
    seen.add(key);
  }
  const defaultVenue = str(env, 'SOR_DEFAULT_VENUE', venues[0]!);
  if (!venues.includes(defaultVenue)) {
    throw new ConfigError('SOR_DEFAULT_VENUE', `${JSON.stringify(defaultVenue)} is not one of SOR_VENUES (${venues.join(',')})`);
  }
  const routes = new Map<string, string>();
  for (const entry of list(env, 'SOR_SYMBOL_ROUTES')) {
    const m = /^([^=:]+)[=:](.+)$/.exec(entry);
    const symbol = m?.[1]!.trim().toUpperCase() ?? '';
    const venue = m?.[2]!.trim() ?? '';
    if (!m || !ROUTE_SYMBOL_RE.test(symbol) || venue === '') {
      throw new ConfigError('SOR_SYMBOL_ROUTES', `bad entry ${JSON.stringify(entry)}; expected SYMBOL=venue or *=venue`);
    }
    if (!venues.includes(venue)) {
      throw new ConfigError('SOR_SYMBOL_ROUTES', `entry ${JSON.stringify(entry)} names a venue not in SOR_VENUES (${venues.join(',')})`);
    }
    if (routes.has(symbol)) throw new ConfigError('SOR_SYMBOL_ROUTES', `symbol ${symbol} routed twice`);
    routes.set(symbol, venue);
  }
  return { venues, defaultVenue, routes };
}

/** The simulator's settings under a prefix (`VENUE_SIM_` for the venue named `sim`). */
export function parseSimSettings(env: Env, prefix: string): SimSettings {
  const p = (s: string): string => prefix + s;
  const lpSpreadTicks = int(env, p('LP_SPREAD_TICKS'), 2, { min: 1, max: 1_000_000 });
  return {
    seed: int(env, p('SEED'), 1, { min: 0, max: 0xffff_ffff }),
    latencyUs: int(env, p('LATENCY_US'), 100, { min: 0, max: 60_000_000 }),
    fillLatencyUs: int(env, p('FILL_LATENCY_US'), 0, { min: 0, max: 60_000_000 }),
    rejectPct: num(env, p('REJECT_PCT'), 0, { min: 0, max: 100 }),
    lpSpreadTicks,
    lpLevels: int(env, p('LP_LEVELS'), 5, { min: 0, max: 1000 }),
    lpLevelStepTicks: int(env, p('LP_LEVEL_STEP_TICKS'), 1, { min: 1, max: 1_000_000 }),
    lpDepth: int(env, p('LP_DEPTH'), 100, { min: 1, max: 0xffff_ffff }),
    walkStepTicks: int(env, p('WALK_STEP_TICKS'), 1, { min: 0, max: 1_000_000 }),
    walkIntervalMs: int(env, p('WALK_INTERVAL_MS'), 100, { min: 1, max: 3_600_000 }),
  };
}

/**
 * The FIX link's settings under a prefix. The acceptor (`npm run venue`) and a gateway venue of
 * kind `fix` named `fix` read the same variables (`VENUE_FIX_*`), each from its side of the link.
 */
export function parseFixLinkSettings(env: Env, prefix: string, defaultDataDir: string): FixLinkSettings {
  const p = (s: string): string => prefix + s;
  const compId = (name: string, def: string): string => {
    const v = str(env, name, def);
    if (!COMP_ID_RE.test(v)) throw new ConfigError(name, `bad CompID ${JSON.stringify(v)}: 1-64 printable ASCII characters, no spaces`);
    return v;
  };
  const gatewayCompId = compId(p('GATEWAY_COMP_ID'), 'SWITCHYARD');
  const venueCompId = compId(p('VENUE_COMP_ID'), 'SIMVENUE');
  if (gatewayCompId === venueCompId) throw new ConfigError(p('VENUE_COMP_ID'), `must differ from ${p('GATEWAY_COMP_ID')}`);
  const reconnectMinMs = int(env, p('RECONNECT_MIN_MS'), 200, { min: 10, max: 600_000 });
  const reconnectMaxMs = int(env, p('RECONNECT_MAX_MS'), 5_000, { min: 10, max: 600_000 });
  if (reconnectMaxMs < reconnectMinMs) {
    throw new ConfigError(p('RECONNECT_MAX_MS'), `must be >= ${p('RECONNECT_MIN_MS')} (${reconnectMinMs}), got ${reconnectMaxMs}`);
  }
  return {
    host: str(env, p('HOST'), '127.0.0.1'),
    port: int(env, p('PORT'), 9878, { min: 0, max: 65_535 }),
    gatewayCompId,
    venueCompId,
    heartbeatSec: int(env, p('HEARTBEAT_SEC'), 30, { min: 1, max: 3600 }),
    dataDir: str(env, p('DATA_DIR'), defaultDataDir),
    reconnectMinMs,
    reconnectMaxMs,
    failpoint: oneOf(env, p('FAILPOINT'), '', ['', 'drop-new'] as const),
  };
}

function refuseKotlinSimulatorSettings(env: Env): void {
  for (const key of Object.keys(env)) {
    if (env[key] === undefined) continue;
    for (const prefix of KOTLIN_SIM_PREFIXES) {
      if (key === prefix || key.startsWith(prefix + '_')) {
        throw new ConfigError(
          key,
          'the Kotlin simulator\'s setting is not supported: the simulator is configured with VENUE_<NAME>_LATENCY_US, VENUE_<NAME>_LP_DEPTH, VENUE_<NAME>_REJECT_PCT (docs/venues.md)',
        );
      }
    }
  }
}

/**
 * Every venue's settings. `dataDir` is the gateway's data directory: a FIX venue keeps its
 * session files under `<dataDir>/venue/<name>` unless `VENUE_<NAME>_DATA_DIR` says otherwise.
 */
export function loadVenuesConfig(env: Env, dataDir: string): VenuesConfig {
  refuseKotlinSimulatorSettings(env);
  const router = parseRouterSettings(env);
  if (router.venues.length === 0) return { router, venues: [] };
  const venues = router.venues.map((name): VenueSettings => {
    const prefix = venuePrefix(name);
    const kind = oneOf<VenueKind>(env, prefix + 'KIND', 'sim', ['sim', 'fix']);
    if (kind === 'sim') return { name, kind, sim: parseSimSettings(env, prefix) };
    return { name, kind, fix: parseFixLinkSettings(env, prefix, `${dataDir}/venue/${name}`) };
  });
  return { router, venues };
}

/** Settings of the standalone FIX acceptor (`npm run venue`, fix/acceptor-main.ts). */
export interface AcceptorConfig {
  link: FixLinkSettings;
  sim: SimSettings;
  /** cancel the session's open orders when its connection drops */
  cancelOnDisconnect: boolean;
}

export function loadAcceptorConfig(env: Env): AcceptorConfig {
  refuseKotlinSimulatorSettings(env);
  return {
    link: parseFixLinkSettings(env, 'VENUE_FIX_', './var/venue-fix'),
    sim: parseSimSettings(env, 'VENUE_SIM_'),
    cancelOnDisconnect: bool(env, 'VENUE_FIX_CANCEL_ON_DISCONNECT', true),
  };
}
