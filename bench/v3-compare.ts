/**
 * `npm run bench:v3:compare`: "baseline vs injected" — how a heavier risk stage moves the /v3
 * acknowledgement tail (the original's run_pure_hft_phase2_compare.sh).
 *
 * Cases: baseline = V3_RISK_PROFILE=light, V3_RISK_LOOPS=16, margin legacy;
 *        injected = V3_RISK_PROFILE=medium, V3_RISK_LOOPS=8192, margin legacy.
 * Each run: fresh gateway, wrk on /v3/orders (DURATION s, CONNECTIONS, THREADS), scrape /metrics.
 * WARMUP_RUNS per case are run first and excluded; the summary holds medians of measured runs.
 * The bare node:http ceiling is measured in the same run for reference.
 * Writes var/results/pure_hft_phase2_compare_<ts>.{tsv,summary.txt,noise.txt}.
 *
 * Env: RUNS (5), WARMUP_RUNS (1), DURATION (8), CONNECTIONS (50), THREADS (1).
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mintToken } from '../src/auth/token.js';
import { ROOT, scrape, timestamp } from './lib/common.js';
import { median, startNode } from './lib/proc.js';
import { ensureWrk, runWrk, writeOrderScript } from './lib/wrk.js';

const RUNS = Number(process.env.RUNS ?? 5);
const WARMUP_RUNS = Number(process.env.WARMUP_RUNS ?? 1);
const DURATION = Number(process.env.DURATION ?? 8);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const THREADS = Number(process.env.THREADS ?? 1);
const SECRET = 'bench-secret';

const CASES: Record<string, Record<string, string>> = {
  baseline: { V3_RISK_PROFILE: 'light', V3_RISK_LOOPS: '16', V3_RISK_MARGIN_MODE: 'legacy' },
  injected: { V3_RISK_PROFILE: 'medium', V3_RISK_LOOPS: '8192', V3_RISK_MARGIN_MODE: 'legacy' },
};

const COLUMNS = [
  'case', 'run', 'warmup', 'rps', 'live_ack_p99_us', 'accepted_p99_us', 'risk_p99_us', 'risk_position_p99_us', 'risk_margin_p99_us',
  'risk_limits_p99_us', 'parse_p99_us', 'enqueue_p99_us', 'serialize_p99_us', 'profile_level', 'loops', 'margin_mode',
  'accepted', 'soft', 'killed', 'accept_ratio', 'accepted_rps',
] as const;
type Row = Record<(typeof COLUMNS)[number], string | number>;

async function runCase(name: string, run: number, warmup: boolean, script: string): Promise<Row> {
  const gw = await startNode([join(ROOT, 'dist/src/main.js')], {
    GATEWAY_PORT: '0', GATEWAY_TCP_PORT: '0', GATEWAY_HOST: '127.0.0.1', JWT_HS256_SECRET: SECRET, LOG_LEVEL: 'warn', KAFKA_ENABLE: '0',
    FASTPATH_DRAIN_ENABLE: '1', ...CASES[name],
  });
  try {
    const wrk = await runWrk({ url: `http://127.0.0.1:${gw.port}/v3/orders`, script, threads: THREADS, connections: CONNECTIONS, durationSec: DURATION });
    const m = await scrape(gw.port);
    const g = (k: string) => m.get(k) ?? NaN;
    const acc = g('gateway_v3_accepted_total');
    const soft = g('gateway_v3_rejected_soft_total');
    const killed = g('gateway_v3_rejected_killed_total');
    const ratio = acc + soft + killed > 0 ? acc / (acc + soft + killed) : 0;
    return {
      case: name, run, warmup: warmup ? 1 : 0, rps: Math.round(wrk.rps),
      live_ack_p99_us: g('gateway_live_ack_p99_us'), accepted_p99_us: g('gateway_live_ack_accepted_p99_us'),
      risk_p99_us: g('gateway_v3_stage_risk_p99_us'), risk_position_p99_us: g('gateway_v3_stage_risk_position_p99_us'),
      risk_margin_p99_us: g('gateway_v3_stage_risk_margin_p99_us'), risk_limits_p99_us: g('gateway_v3_stage_risk_limits_p99_us'),
      parse_p99_us: g('gateway_v3_stage_parse_p99_us'), enqueue_p99_us: g('gateway_v3_stage_enqueue_p99_us'),
      serialize_p99_us: g('gateway_v3_stage_serialize_p99_us'), profile_level: g('gateway_v3_risk_profile_level'),
      loops: g('gateway_v3_risk_profile_loops'), margin_mode: g('gateway_v3_risk_margin_mode'),
      accepted: acc, soft, killed, accept_ratio: Number(ratio.toFixed(4)), accepted_rps: Math.round(wrk.rps * ratio),
    };
  } finally {
    await gw.stop();
  }
}

async function bareRps(script: string): Promise<number> {
  const bare = await startNode([join(ROOT, 'dist/bench/bare-server.js')], { PORT: '0' });
  try {
    return (await runWrk({ url: `http://127.0.0.1:${bare.port}/v3/orders`, script, threads: THREADS, connections: CONNECTIONS, durationSec: DURATION })).rps;
  } finally {
    await bare.stop();
  }
}

function noiseSnapshot(): string {
  let top = '';
  try {
    top = execFileSync('ps', ['-eo', 'pid,pcpu,pmem,comm', '--sort=-pcpu'], { encoding: 'utf8' }).split('\n').slice(0, 12).join('\n');
  } catch {
    top = '(ps unavailable)';
  }
  return `at ${new Date().toISOString()}\nloadavg ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n${top}\n`;
}

async function main(): Promise<void> {
  ensureWrk();
  mkdirSync(join(ROOT, 'var/results'), { recursive: true });
  const ts = timestamp();
  const base = join(ROOT, `var/results/pure_hft_phase2_compare_${ts}`);
  let noise = noiseSnapshot();
  const token = await mintToken({ secret: SECRET, accountId: 'benchacct_1', ttlSec: 86_400 });
  const script = join(ROOT, 'var/results/.wrk_compare.lua');
  writeOrderScript(script, token, '/v3/orders');

  const rows: Row[] = [];
  for (let i = 0; i < WARMUP_RUNS + RUNS; i++) {
    for (const name of Object.keys(CASES)) {
      const row = await runCase(name, i + 1, i < WARMUP_RUNS, script);
      rows.push(row);
      console.error(`[compare] ${name} run ${i + 1}${i < WARMUP_RUNS ? ' (warm-up)' : ''}: ${row.rps} req/s, accepted p99 ${row.accepted_p99_us} us, risk p99 ${row.risk_p99_us} us`);
    }
  }
  const ceiling = await bareRps(script);
  noise += '\n' + noiseSnapshot();

  writeFileSync(`${base}.tsv`, [COLUMNS.join('\t'), ...rows.map((r) => COLUMNS.map((c) => r[c]).join('\t'))].join('\n') + '\n');
  const measured = (name: string) => rows.filter((r) => r.case === name && r.warmup === 0);
  const med = (name: string, col: (typeof COLUMNS)[number]) => median(measured(name).map((r) => Number(r[col])));
  const cols: Array<(typeof COLUMNS)[number]> = ['rps', 'accepted_rps', 'accept_ratio', 'live_ack_p99_us', 'accepted_p99_us', 'risk_p99_us', 'risk_position_p99_us', 'risk_limits_p99_us', 'parse_p99_us', 'enqueue_p99_us', 'serialize_p99_us'];
  const lines = [
    `pure_hft_phase2_compare ${ts}: RUNS=${RUNS} WARMUP_RUNS=${WARMUP_RUNS} duration=${DURATION}s connections=${CONNECTIONS} (medians of measured runs)`,
    `bare node:http ceiling in the same run: ${ceiling.toFixed(0)} req/s`,
    '',
    `${'metric'.padEnd(22)}${'baseline'.padStart(12)}${'injected'.padStart(12)}${'delta'.padStart(12)}`,
    ...cols.map((c) => {
      const b = med('baseline', c);
      const j = med('injected', c);
      return `${c.padEnd(22)}${String(b).padStart(12)}${String(j).padStart(12)}${String(Number((j - b).toFixed(4))).padStart(12)}`;
    }),
  ];
  writeFileSync(`${base}.summary.txt`, lines.join('\n') + '\n');
  writeFileSync(`${base}.noise.txt`, noise);
  console.log(lines.join('\n'));
  console.log(`\nresults: ${base}.{tsv,summary.txt,noise.txt}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
