/**
 * Durable-path (`POST /orders`) experiments, the original's WAL tooling rebuilt:
 *
 *   --ab     `npm run bench:fdatasync-ab` / `make fdatasync-ab`: sync profiles × group-commit cases,
 *            RUNS (3). Profiles: fdatasync (AUDIT_SYNC_METHOD=fdatasync: write, then fdatasync),
 *            open_dsync (AUDIT_SYNC_METHOD=open_dsync: segments opened O_DSYNC, the default) and
 *            off (AUDIT_FDATASYNC=0, the no-sync reference). Cases: baseline_w200_b64,
 *            tuned_w200_b128, stress_w5000_b1. Writes fdatasync_ab_<stamp>.*.
 *   --sweep  `npm run bench:group-commit` / `make durability-tuning-scan` (also
 *            `fdatasync-adaptive-sweep`: this gateway has no adaptive batching, the fixed grid is
 *            its sweep): cases baseline_w200_b64, tuned_w150_b64, tuned_w100_b64, tuned_w200_b128,
 *            tuned_w100_b128, stress_w5000_b1 (or CASES="name:wait_us:batch,..."), RUNS (1), then
 *            the durability criteria of CAND_CASE (tuned_w150_b64) against baseline_w200_b64
 *            (bench/lib/gates/durability.ts). Writes durability_tuning_scan_<stamp>.*.
 *
 * A case name wW_bB sets AUDIT_FDATASYNC_MAX_WAIT_US=W and AUDIT_FDATASYNC_MAX_BATCH=B. Each run
 * starts with the bare node:http ceiling, then every profile × case in rotating order: a fresh
 * gateway on a fresh data directory, WARMUP s of wrk, histograms reset, DURATION s of wrk on
 * /orders (CONNECTIONS, THREADS; a new order per request), /metrics scraped. Medians per
 * profile × case; files .tsv, .summary.txt, .noise.txt, .svg. Exit code (--sweep with
 * ENFORCE_GATE=1): 0 PASS, 1 FAIL, 3 INCONCLUSIVE; otherwise 0 (report only).
 */
import { writeFileSync } from 'node:fs';
import { dominantInterval, judgeDurability, parseCases, type SweepCase } from './lib/gates/durability.js';
import { checkLines, fmt } from './lib/gates/verdict.js';
import { flag, num, runMain, str } from './lib/env.js';
import { assessNoise, noiseLimitsFromEnv, noiseLines, noiseSnapshot, ProbeLog } from './lib/noise.js';
import { resultBase, tsv, writeText } from './lib/results.js';
import { benchToken, orderScript, wrkRound, type WrkLoad } from './lib/rounds.js';
import { metric, roundOrder } from './lib/servers.js';
import { median, round } from './lib/stats.js';
import { writeChart } from './lib/svg.js';
import { ensureWrk } from './lib/wrk.js';

const PROFILES: Record<string, Record<string, string>> = {
  fdatasync: { AUDIT_FDATASYNC: '1', AUDIT_SYNC_METHOD: 'fdatasync' },
  open_dsync: { AUDIT_FDATASYNC: '1', AUDIT_SYNC_METHOD: 'open_dsync' },
  off: { AUDIT_FDATASYNC: '0' },
};

runMain('bench:durable-sweep', async () => {
  const ab = process.argv.includes('--ab');
  const name = ab ? 'fdatasync_ab' : 'durability_tuning_scan';
  const cases = parseCases(str('CASES', ab ? 'baseline_w200_b64,tuned_w200_b128,stress_w5000_b1' : 'baseline_w200_b64,tuned_w150_b64,tuned_w100_b64,tuned_w200_b128,tuned_w100_b128,stress_w5000_b1'));
  const profiles = ab ? Object.keys(PROFILES) : ['default'];
  const runs = num('RUNS', ab ? 3 : 1, { min: 1, integer: true });
  const load: WrkLoad = {
    path: '/orders',
    durationSec: num('DURATION', 10, { min: 1, integer: true }),
    warmupSec: num('WARMUP', 2, { min: 0, integer: true }),
    connections: num('CONNECTIONS', 64, { min: 1, integer: true }),
    threads: num('THREADS', 1, { min: 1, integer: true }),
  };
  const candName = str('CAND_CASE', 'tuned_w150_b64');
  ensureWrk();
  const base = resultBase(name);
  const script = orderScript(name, await benchToken('bench-durable'), '/orders');
  const probe = new ProbeLog();
  let noise = noiseSnapshot('before');
  probe.take('before');
  const rows: Array<Record<string, string | number>> = [];
  const bares: number[] = [];
  const combos = profiles.flatMap((p) => cases.map((c) => ({ profile: p, c })));
  for (let run = 0; run < runs; run++) {
    const bare = await wrkRound('bare', load, script);
    bares.push(bare.wrk.rps);
    console.error(`[${name}] run ${run + 1}/${runs} bare node:http: ${bare.wrk.rps.toFixed(0)} req/s`);
    for (const { profile, c } of roundOrder(combos, run)) {
      const env = { ...(PROFILES[profile] ?? {}), AUDIT_FDATASYNC_MAX_WAIT_US: String(c.waitUs), AUDIT_FDATASYNC_MAX_BATCH: String(c.batch), SNAPSHOT_EVERY_RECORDS: '0' };
      const r = await wrkRound('gateway', load, script, env);
      const g = (k: string) => metric(r.metrics, k);
      const all = r.wrk.requests;
      const row = {
        profile, case: c.name, run: run + 1, rps: r.wrk.rps, bare_rps: bare.wrk.rps, ratio_vs_bare: r.wrk.rps / bare.wrk.rps, acc_p99_us: r.wrk.p99Us,
        ack_p99_us: g('gateway_ack_p99_us'), wal_enqueue_p99_us: g('gateway_wal_enqueue_p99_us'), fdatasync_p99_us: g('gateway_fdatasync_p99_us'),
        durable_ack_p99_us: g('gateway_durable_ack_p99_us'), durable_notify_p99_us: g('gateway_durable_notify_p99_us'), wal_age_ms: g('gateway_wal_age_ms'),
        queue_full_total: g('gateway_reject_queue_full_total'), rejected_rate: all > 0 ? r.wrk.non2xx / all : NaN, batch_records_p50: g('gateway_wal_batch_records_p50'),
        dominant_interval_p99: dominantInterval({ walEnqueueP99Us: g('gateway_wal_enqueue_p99_us'), fdatasyncP99Us: g('gateway_fdatasync_p99_us'), durableNotifyP99Us: g('gateway_durable_notify_p99_us') }),
      };
      rows.push(row);
      console.error(`[${name}] run ${run + 1}/${runs} ${profile} ${c.name}: ${row.rps.toFixed(0)} acks/s (${round(row.ratio_vs_bare, 2)} of bare), client p99 ${row.acc_p99_us.toFixed(0)} us, durable ack p99 ${row.durable_ack_p99_us} us, sync p99 ${row.fdatasync_p99_us} us`);
    }
    probe.take(run + 1 < runs ? `after-run-${run + 1}` : 'after');
  }
  noise += '\n' + noiseSnapshot('after');
  const limits = noiseLimitsFromEnv();
  const med = (p: string, c: string, k: string) => median(rows.filter((r) => r.profile === p && r.case === c).map((r) => Number(r[k])));
  const cols = ['rps', 'ratio_vs_bare', 'acc_p99_us', 'wal_enqueue_p99_us', 'fdatasync_p99_us', 'durable_ack_p99_us', 'durable_notify_p99_us', 'wal_age_ms', 'queue_full_total', 'batch_records_p50'];
  const lines = [
    name,
    `date=${base.slice(-15)}`,
    `runs=${runs}`,
    `duration_sec=${load.durationSec}`,
    `connections=${load.connections}`,
    `bare_rps_per_run=${bares.map((b) => Math.round(b)).join(',')}`,
    `profile\tcase\t${cols.join('\t')}`,
    ...combos.map(({ profile, c }) => `${profile}\t${c.name}\t${cols.map((k) => fmt(round(med(profile, c.name, k), 3))).join('\t')}`),
  ];
  let exit = 0;
  if (!ab) {
    const pick = (n: string): SweepCase | null => {
      if (!cases.some((c) => c.name === n)) return null;
      return { name: n, rps: med('default', n, 'rps'), accP99Us: med('default', n, 'acc_p99_us'), durableAckP99Us: med('default', n, 'durable_ack_p99_us'), queueFullTotal: med('default', n, 'queue_full_total'), rejectedRate: med('default', n, 'rejected_rate') };
    };
    const b = pick('baseline_w200_b64');
    const cand = pick(candName);
    if (b !== null && cand !== null) {
      // Missing counters (NaN) would fail the queue_full checks: a gateway without the counter never fills a queue.
      for (const sc of [b, cand]) if (!Number.isFinite(sc.queueFullTotal)) sc.queueFullTotal = 0;
      const d = judgeDurability(b, cand, probe.all, bares, { ...limits, minRounds: Math.min(limits.minRounds, runs) });
      lines.push(`durability_criteria candidate=${candName} baseline=baseline_w200_b64`, ...checkLines(d), ...noiseLines(d.noise, probe));
      if (flag('ENFORCE_GATE', false) || process.argv.includes('--enforce')) exit = d.verdict === 'PASS' ? 0 : d.verdict === 'INCONCLUSIVE' ? 3 : 1;
    } else lines.push(`durability_criteria=skipped (needs baseline_w200_b64 and CAND_CASE=${candName} among the cases)`);
  } else {
    lines.push(...noiseLines(assessNoise({ probeMs: probe.all, ceilings: bares }, limits), probe));
  }
  writeText(`${base}.summary.txt`, lines);
  writeFileSync(`${base}.tsv`, tsv(Object.keys(rows[0]!), rows));
  writeFileSync(`${base}.noise.txt`, noise);
  const series = combos.map(({ profile, c }) => ({ name: ab ? `${profile} ${c.name}` : c.name, profile, c }));
  writeChart(
    `${base}.svg`,
    [
      { title: 'p99 by interval (median of runs)', unit: 'µs', log: true, groups: ['client p99', 'durable ack p99', 'sync p99'], series: series.map((s) => ({ name: s.name, values: ['acc_p99_us', 'durable_ack_p99_us', 'fdatasync_p99_us'].map((k) => med(s.profile, s.c.name, k)) })) },
      { title: 'durable acks/s per run', unit: 'req/s', groups: Array.from({ length: runs }, (_, i) => `run ${i + 1}`), series: [
        { name: 'bare node:http', values: bares },
        ...series.map((s) => ({ name: s.name, values: Array.from({ length: runs }, (_, i) => Number(rows.find((r) => r.profile === s.profile && r.case === s.c.name && r.run === i + 1)?.rps ?? NaN)) })),
      ] },
    ],
    `${name} ${base.slice(-15)}; bare spread ${fmt(round(assessNoise({ probeMs: probe.all, ceilings: bares }, limits).ceilingSpread))}`,
  );
  console.log(lines.join('\n'));
  console.log(`\nresults: ${base}.{tsv,summary.txt,noise.txt,svg}`);
  return exit;
});
