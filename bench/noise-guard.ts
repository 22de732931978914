/**
 * `npm run bench:noise` / `make perf-noise-guard`: the original's perf_noise_guard.sh — a snapshot
 * of load, the busiest processes (sampled over SAMPLE_SEC, 2 s, from /proc) and the CPU-speed
 * probe, to var/results/perf_noise_guard_<stamp>.txt (or the path given as argument). STRICT=1
 * exits 1 when any process other than this one (and wrk or a gateway, by name) uses at least
 * CPU_THRESHOLD (35) % of a core.
 */
import { writeFileSync } from 'node:fs';
import { flag, num, runMain } from './lib/env.js';
import { noiseSnapshot, probeSamples } from './lib/noise.js';
import { busyOthers, sampleCpu } from './lib/quiet.js';
import { resultBase } from './lib/results.js';
import { spread } from './lib/stats.js';

runMain('bench:noise', async () => {
  const strict = flag('STRICT', false);
  const threshold = num('CPU_THRESHOLD', 35, { min: 0 });
  const sampleSec = num('SAMPLE_SEC', 2, { min: 0.1 });
  const out = process.argv[2] ?? `${resultBase('perf_noise_guard')}.txt`;
  const probe = probeSamples(5);
  const sample = await sampleCpu(sampleSec * 1000);
  const ignored = sample.filter((p) => p.comm === 'wrk' || p.comm.startsWith('gateway')).map((p) => p.pid);
  const busy = busyOthers(sample, threshold, new Set([process.pid, ...ignored]));
  const lines = [
    noiseSnapshot('perf_noise_guard'),
    `cpu over ${sampleSec} s (% of one core):`,
    ...sample.slice(0, 10).map((p) => `  ${String(p.pid).padStart(7)} ${p.pct.toFixed(1).padStart(6)} % ${p.comm}`),
    `cpu_probe_ms=${probe.join(',')}`,
    `cpu_probe_spread=${spread(probe).toFixed(3)}`,
    `cpu_threshold=${threshold}`,
    `busy_processes=${busy.map((p) => `${p.comm}[${p.pid}]:${p.pct.toFixed(0)}%`).join(',') || 'none'}`,
    `noise_guard=${busy.length === 0 ? 'quiet' : 'busy'}`,
  ];
  writeFileSync(out, lines.join('\n') + '\n');
  console.log(lines.join('\n'));
  console.log(`written: ${out}`);
  return strict && busy.length > 0 ? 1 : 0;
});
