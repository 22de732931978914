/**
 * `npm run bench:capacity` / `make pure-hft-capacity-sweep`: /v3 capacity, rebuilt from the
 * original's run_pure_hft_capacity_sweep.sh as an open-loop sweep. Rates rise level by level
 * (LEVELS, default 2500,5000,10000,20000,40000; the original's `10k:40:4` form is accepted, its
 * connection count used and its wrk thread count ignored); at each level a bare node:http server
 * and a fresh gateway are driven at the same rate (order alternating), and the sweep stops at the
 * first level where the gateway's p99 exceeds P99_RATIO_MAX (1.5) × the bare p99, or it rejects
 * or kills, or the bare server itself cannot take the rate. The knee is the last holding rate
 * (bench/lib/gates/capacity.ts). DURATION (20 s) per level, WARMUP (5 s), LOAD_WORKERS (16),
 * LOAD_ACCOUNTS (16). CONTINUE_AFTER_KNEE=1 measures every level anyway (the knee is unchanged).
 *
 * Writes var/results/pure_hft_capacity_sweep_<stamp>.{tsv,summary.txt,noise.txt,svg}. Report only.
 */
import { writeFileSync } from 'node:fs';
import { findKnee, parseLevels, type CapacityLevel } from './lib/gates/capacity.js';
import { fmt } from './lib/gates/verdict.js';
import { flag, num, runMain, str } from './lib/env.js';
import { noiseLimitsFromEnv, noiseLines, noiseSnapshot, ProbeLog, assessNoise } from './lib/noise.js';
import { describeRun, generatorRun, metric, openLoopLoadFromEnv, openLoopRound } from './lib/openloop-round.js';
import { resultBase, tsv, writeText } from './lib/results.js';
import { writeChart } from './lib/svg.js';

runMain('bench:capacity', async () => {
  const levels = parseLevels(str('LEVELS', '2500,5000,10000,20000,40000'));
  const base0 = openLoopLoadFromEnv({ rate: levels[0]!.rate, durationSec: 20 });
  const p99Max = num('P99_RATIO_MAX', 1.5, { min: 0 });
  const continueAfter = flag('CONTINUE_AFTER_KNEE', false);
  const t = { offeredRatioMin: num('TARGET_OFFERED_RPS_RATIO_MIN', 0.99, { min: 0 }), lagMaxFraction: num('GENERATOR_LAG_MAX_FRACTION', 0.1, { min: 0 }) };
  const base = resultBase('pure_hft_capacity_sweep');
  const probe = new ProbeLog();
  let noise = noiseSnapshot('before');
  probe.take('before');
  const measured: CapacityLevel[] = [];
  const table: Array<Record<string, unknown>> = [];
  for (const [i, lv] of levels.entries()) {
    const load = { ...base0, rate: lv.rate, connections: lv.connections ?? base0.connections };
    const order = i % 2 === 0 ? (['bare', 'gateway'] as const) : (['gateway', 'bare'] as const);
    const got: Record<string, Awaited<ReturnType<typeof openLoopRound>>> = {};
    for (const kind of order) {
      got[kind] = await openLoopRound(kind, load);
      console.error(`[bench:capacity] ${lv.rate}/s ${describeRun(kind, got[kind]!.gen)}`);
    }
    const gw = got.gateway!;
    const level: CapacityLevel = { rate: lv.rate, bare: generatorRun(got.bare!.gen), gateway: generatorRun(gw.gen), killed: metric(gw.metrics, 'gateway_v3_rejected_killed_total') };
    measured.push(level);
    probe.take(`after-${lv.rate}`);
    const j = findKnee(measured, p99Max, t).levels.at(-1)!;
    table.push({
      rate: lv.rate, connections: load.connections, outcome: j.outcome, bare_p50_us: level.bare.p50Us, bare_p99_us: level.bare.p99Us, gateway_p50_us: level.gateway.p50Us,
      gateway_p99_us: level.gateway.p99Us, p99_ratio: j.p99Ratio, accepted_ratio: j.acceptedRatio, killed: level.killed, gateway_offered_rps: level.gateway.offeredRps,
      gateway_completed_rps: gw.gen.completedRps, bare_lag_p99_us: level.bare.sendLagP99Us, gateway_lag_p99_us: level.gateway.sendLagP99Us,
      live_ack_accepted_p99_us: metric(gw.metrics, 'gateway_live_ack_accepted_p99_us'), why: j.why.join('; ') || '-',
    });
    console.error(`[bench:capacity] ${lv.rate}/s: ${j.outcome}${j.why.length ? ` (${j.why.join('; ')})` : ''}`);
    if (j.outcome !== 'holds' && !continueAfter) break;
  }
  noise += '\n' + noiseSnapshot('after');
  const knee = findKnee(measured, p99Max, t);
  const na = assessNoise({ probeMs: probe.all, ceilings: [] }, { ...noiseLimitsFromEnv(), minRounds: 0 });
  const lines = [
    'pure_hft_capacity_sweep',
    `date=${base.slice(-15)}`,
    `levels=${levels.map((l) => l.rate).join(',')}`,
    `duration_sec=${base0.durationSec}`,
    `p99_ratio_max=${p99Max}`,
    `knee_rps=${fmt(knee.knee)}`,
    `ended_by=${knee.endedBy}`,
    ...knee.levels.map((l) => `level_${l.rate}=${l.outcome} p99_ratio=${fmt(l.p99Ratio)} accepted_ratio=${fmt(l.acceptedRatio)}${l.why.length ? ` (${l.why.join('; ')})` : ''}`),
    ...noiseLines(na, probe),
  ];
  writeText(`${base}.summary.txt`, lines);
  writeFileSync(`${base}.tsv`, tsv(Object.keys(table[0]!), table));
  writeFileSync(`${base}.noise.txt`, noise + '\n' + noiseLines(na, probe).join('\n') + '\n');
  writeChart(
    `${base}.svg`,
    [
      { title: 'client p99 by offered rate (open loop, from intended send time)', unit: 'µs', log: true, groups: table.map((r) => `${r.rate}/s`), series: [
        { name: 'bare node:http p99', values: table.map((r) => Number(r.bare_p99_us)) },
        { name: 'gateway /v3 p99', values: table.map((r) => Number(r.gateway_p99_us)) },
        { name: 'generator lag p99 (gateway run)', values: table.map((r) => Number(r.gateway_lag_p99_us)) },
      ] },
      { title: 'gateway completed rate by level', unit: 'req/s', groups: table.map((r) => `${r.rate}/s`), series: [{ name: 'completed', values: table.map((r) => Number(r.gateway_completed_rps)) }] },
    ],
    `pure_hft_capacity_sweep ${base.slice(-15)}: knee ${fmt(knee.knee)}/s (ended by ${knee.endedBy}); probe spread ${fmt(na.probeSpread)}`,
  );
  console.log(lines.join('\n'));
  if (na.tooNoisy.length > 0) console.log(`NOTE: the machine was noisy during the sweep (${na.tooNoisy.join('; ')}): the knee is indicative only`);
});
