import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/config/env.js';
import { loadAcceptorConfig, loadVenuesConfig, parseRouterSettings } from '../../../src/config/venues.js';
import { VenueRouter, javaStringHash } from '../../../src/venue/router.js';

function throwsNaming(fn: () => unknown, variable: string): void {
  assert.throws(fn, (e: unknown) => e instanceof ConfigError && e.variable === variable);
}

describe('router settings (SOR_*)', () => {
  it('defaults to one venue named sim of kind sim', () => {
    const c = loadVenuesConfig({}, '/data');
    assert.deepEqual(c.router.venues, ['sim']);
    assert.equal(c.router.defaultVenue, 'sim');
    assert.equal(c.venues.length, 1);
    assert.equal(c.venues[0]!.kind, 'sim');
  });

  it('parses venues, the default venue and symbol routes (= or :, * catch-all)', () => {
    const s = parseRouterSettings({ SOR_VENUES: 'simA, simB,lse', SOR_DEFAULT_VENUE: 'simB', SOR_SYMBOL_ROUTES: 'aapl=simA, BTC:lse,*=simB' });
    assert.deepEqual(s.venues, ['simA', 'simB', 'lse']);
    assert.equal(s.defaultVenue, 'simB');
    assert.deepEqual([...s.routes], [['AAPL', 'simA'], ['BTC', 'lse'], ['*', 'simB']]);
  });

  it('refuses bad values, naming the variable', () => {
    throwsNaming(() => parseRouterSettings({ SOR_VENUES: 'a,b c' }), 'SOR_VENUES');
    throwsNaming(() => parseRouterSettings({ SOR_VENUES: 'a,A' }), 'SOR_VENUES');
    throwsNaming(() => parseRouterSettings({ SOR_VENUES: 'a', SOR_DEFAULT_VENUE: 'b' }), 'SOR_DEFAULT_VENUE');
    throwsNaming(() => parseRouterSettings({ SOR_VENUES: 'a', SOR_SYMBOL_ROUTES: 'AAPL=b' }), 'SOR_SYMBOL_ROUTES');
    throwsNaming(() => parseRouterSettings({ SOR_SYMBOL_ROUTES: 'AAPL' }), 'SOR_SYMBOL_ROUTES');
    throwsNaming(() => parseRouterSettings({ SOR_SYMBOL_ROUTES: 'AAPL=sim,AAPL=sim' }), 'SOR_SYMBOL_ROUTES');
    throwsNaming(() => parseRouterSettings({ SOR_ROUTES: 'AAPL:sim' }), 'SOR_ROUTES');
    throwsNaming(() => loadVenuesConfig({ EXCHANGE_SIM_DELAY_MS: '5' }, '/d'), 'EXCHANGE_SIM_DELAY_MS');
    throwsNaming(() => loadVenuesConfig({ EXCHANGE_SIM_REJECT_ALL_SIMA: '1' }, '/d'), 'EXCHANGE_SIM_REJECT_ALL_SIMA');
  });
});

describe('per-venue settings (VENUE_<NAME>_*)', () => {
  it('reads sim settings under the venue name and validates them', () => {
    const c = loadVenuesConfig({ SOR_VENUES: 'sim,simB', VENUE_SIM_SEED: '9', VENUE_SIMB_LATENCY_US: '7', VENUE_SIMB_REJECT_PCT: '2.5' }, '/d');
    const [a, b] = c.venues;
    assert.ok(a!.kind === 'sim' && b!.kind === 'sim');
    if (a!.kind === 'sim' && b!.kind === 'sim') {
      assert.equal(a!.sim.seed, 9);
      assert.equal(b!.sim.seed, 1);
      assert.equal(b!.sim.latencyUs, 7);
      assert.equal(b!.sim.rejectPct, 2.5);
    }
    throwsNaming(() => loadVenuesConfig({ VENUE_SIM_REJECT_PCT: '101' }, '/d'), 'VENUE_SIM_REJECT_PCT');
    throwsNaming(() => loadVenuesConfig({ VENUE_SIM_LP_SPREAD_TICKS: '0' }, '/d'), 'VENUE_SIM_LP_SPREAD_TICKS');
    throwsNaming(() => loadVenuesConfig({ VENUE_SIM_KIND: 'kafka' }, '/d'), 'VENUE_SIM_KIND');
  });

  it('reads fix settings, the data directory under the gateway\'s by default', () => {
    const c = loadVenuesConfig({ SOR_VENUES: 'x', VENUE_X_KIND: 'fix', VENUE_X_PORT: '1234', VENUE_X_GATEWAY_COMP_ID: 'GW' }, '/data');
    const v = c.venues[0]!;
    assert.equal(v.kind, 'fix');
    if (v.kind === 'fix') {
      assert.equal(v.fix.port, 1234);
      assert.equal(v.fix.host, '127.0.0.1');
      assert.equal(v.fix.gatewayCompId, 'GW');
      assert.equal(v.fix.venueCompId, 'SIMVENUE');
      assert.equal(v.fix.dataDir, '/data/venue/x');
    }
    throwsNaming(() => loadVenuesConfig({ SOR_VENUES: 'x', VENUE_X_KIND: 'fix', VENUE_X_VENUE_COMP_ID: 'SWITCHYARD' }, '/d'), 'VENUE_X_VENUE_COMP_ID');
    throwsNaming(() => loadVenuesConfig({ SOR_VENUES: 'x', VENUE_X_KIND: 'fix', VENUE_X_RECONNECT_MIN_MS: '500', VENUE_X_RECONNECT_MAX_MS: '100' }, '/d'), 'VENUE_X_RECONNECT_MAX_MS');
  });

  it('the acceptor reads VENUE_FIX_* and the simulator\'s VENUE_SIM_*', () => {
    const c = loadAcceptorConfig({ VENUE_FIX_PORT: '0', VENUE_SIM_SEED: '4', VENUE_FIX_CANCEL_ON_DISCONNECT: 'false' });
    assert.equal(c.link.port, 0);
    assert.equal(c.sim.seed, 4);
    assert.equal(c.cancelOnDisconnect, false);
    assert.equal(loadAcceptorConfig({}).link.port, 9878);
    assert.equal(loadAcceptorConfig({}).cancelOnDisconnect, true);
  });
});

describe('venue router', () => {
  it('routes explicit symbols, then the catch-all', () => {
    const r = new VenueRouter(parseRouterSettings({ SOR_VENUES: 'a,b', SOR_SYMBOL_ROUTES: 'AAPL=b,*=a' }));
    assert.equal(r.venueFor('AAPL'), 'b');
    assert.equal(r.venueFor('MSFT'), 'a');
  });

  it('without a catch-all, hashes the symbol over the sorted venues as the original did', () => {
    // "AAPL".hashCode() in Java: ((65·31 + 65)·31 + 80)·31 + 76
    assert.equal(javaStringHash('AAPL'), 2001436);
    assert.equal(javaStringHash('hello world'), 1794106052);
    assert.equal(javaStringHash('polygenelubricants'), -2147483648);
    const r = new VenueRouter(parseRouterSettings({ SOR_VENUES: 'z,y,x' }));
    const sorted = ['x', 'y', 'z'];
    for (const sym of ['AAPL', 'MSFT', 'NVDA', 'BTC', 'ETH', 'SOL']) {
      assert.equal(r.venueFor(sym), sorted[(javaStringHash(sym) & 0x7fffffff) % 3]);
      assert.equal(r.venueFor(sym), r.venueFor(sym));
    }
    const one = new VenueRouter(parseRouterSettings({}));
    assert.equal(one.venueFor('ANY'), 'sim');
  });

  it('sends a cancel to the venue that holds the order, else the default venue', () => {
    const r = new VenueRouter(parseRouterSettings({ SOR_VENUES: 'a,b', SOR_DEFAULT_VENUE: 'b' }));
    assert.equal(r.venueOfOrder('a'), 'a');
    assert.equal(r.venueOfOrder(null), 'b');
    assert.equal(r.venueOfOrder('gone'), 'b');
    assert.equal(r.isVenue('a'), true);
    assert.equal(r.isVenue('gone'), false);
  });

  it('misuse throws', () => {
    assert.throws(() => new VenueRouter({ venues: [], defaultVenue: 'a', routes: new Map() }));
    assert.throws(() => new VenueRouter({ venues: ['a'], defaultVenue: 'a', routes: new Map([['X', 'b']]) }));
  });
});
