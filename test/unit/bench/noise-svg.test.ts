import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { assessNoise, cpuProbe, noiseLines, ProbeLog } from '../../../bench/lib/noise.js';
import { median, ratios, spread } from '../../../bench/lib/stats.js';
import { busyOthers, parseProcStat } from '../../../bench/lib/quiet.js';
import { chartSvg } from '../../../bench/lib/svg.js';
import { KnobError, num, flag } from '../../../bench/lib/env.js';
import { roundOrder } from '../../../bench/lib/servers.js';

const LIMITS = { maxProbeSpread: 0.5, maxCeilingSpread: 0.6, minRounds: 3 };

describe('statistics and the noise guard', () => {
  test('median, spread and ratios ignore missing figures', () => {
    assert.equal(median([3, NaN, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
    assert.equal(spread([20, 30, 40]), 1);
    assert.ok(Number.isNaN(spread([5])));
    assert.deepEqual(ratios([10, 20, 5], [5, 0, NaN]), [2, NaN, NaN]);
  });

  test('quiet, noisy probe, swinging ceiling, too few rounds', () => {
    assert.deepEqual(assessNoise({ probeMs: [31, 32, 30.5], ceilings: [43476, 45268, 39981] }, LIMITS).tooNoisy, []);
    // recorded on this machine: bare 43 476 / 30 651 / 45 268 req/s (spread 0.48) is still judged
    assert.deepEqual(assessNoise({ probeMs: [31, 32], ceilings: [43476, 30651, 45268] }, LIMITS).tooNoisy, []);
    assert.match(assessNoise({ probeMs: [41.5, 92.2], ceilings: [1, 1, 1] }, LIMITS).tooNoisy.join(), /probe spread/);
    assert.match(assessNoise({ probeMs: [31, 31], ceilings: [11000, 45000, 44000] }, LIMITS).tooNoisy.join(), /ceiling spread/);
    assert.match(assessNoise({ probeMs: [31, 31], ceilings: [44000] }, LIMITS).tooNoisy.join(), /GATE_MIN_ROUNDS/);
    assert.match(assessNoise({ probeMs: [], ceilings: [1, 1, 1] }, LIMITS).tooNoisy.join(), /no CPU-speed probe/);
  });

  test('the probe times a real loop and its lines go into every summary', () => {
    assert.ok(cpuProbe(100_000) > 0);
    const log = new ProbeLog();
    log.take('before', 2);
    assert.equal(log.all.length, 2);
    const lines = noiseLines(assessNoise({ probeMs: log.all, ceilings: [1, 1, 1] }, LIMITS), log);
    assert.ok(lines.some((l) => l.startsWith('noise_probe_samples_ms=before:')));
    assert.ok(lines.includes('noise_rounds=3'));
  });

  test('/proc stat lines (command names with spaces and parentheses) and busy processes', () => {
    assert.deepEqual(parseProcStat('4242 (node (worker) x) S 1 2 3 4 5 6 7 8 9 10 150 25 0 0'), { pid: 4242, comm: 'node (worker) x', ticks: 175 });
    assert.equal(parseProcStat('garbage'), null);
    const s = [{ pid: 1, comm: 'a', pct: 90 }, { pid: 2, comm: 'b', pct: 10 }, { pid: 3, comm: 'me', pct: 99 }];
    assert.deepEqual(busyOthers(s, 35, new Set([3])).map((p) => p.pid), [1]);
  });
});

describe('knobs and rounds', () => {
  test('bad knob values name the variable', () => {
    assert.equal(num('RUNS', 5, { min: 1 }, {}), 5);
    assert.equal(num('RUNS', 5, { min: 1 }, { RUNS: '3' }), 3);
    assert.throws(() => num('RUNS', 5, { min: 1, integer: true }, { RUNS: 'x' }), (e: unknown) => e instanceof KnobError && /RUNS/.test(e.message));
    assert.throws(() => num('RUNS', 5, { min: 1 }, { RUNS: '0' }), /RUNS: must be >= 1/);
    assert.equal(flag('STRICT', false, { STRICT: '1' }), true);
    assert.throws(() => flag('STRICT', false, { STRICT: 'maybe' }), /STRICT/);
  });

  test('round order rotates so no target always runs first', () => {
    assert.deepEqual([0, 1, 2, 3].map((r) => roundOrder(['bare', 'floor', 'gateway'], r)[0]), ['bare', 'floor', 'gateway', 'bare']);
  });
});

describe('SVG charts', () => {
  test('one bar per finite value, labels escaped, log axis', () => {
    const svg = chartSvg(
      [
        { title: 'latency <ms>', unit: 'µs', log: true, groups: ['p50', 'p99'], series: [{ name: 'bare & co', values: [100, 1000] }, { name: 'gateway', values: [120, NaN] }] },
        { title: 'throughput', unit: 'req/s', groups: ['round 1'], series: [{ name: 'bare', values: [40000] }] },
      ],
      'caption',
    );
    assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
    assert.ok(svg.trimEnd().endsWith('</svg>'));
    assert.equal((svg.match(/<title>/g) ?? []).length, 4); // bars: 3 finite values in the first panel, 1 in the second
    assert.match(svg, /latency &lt;ms&gt;/);
    assert.match(svg, /bare &amp; co/);
    assert.match(svg, /\(log\)/);
    assert.ok(!svg.includes('NaN'));
  });
});
