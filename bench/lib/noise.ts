/**
 * The noise guard: how much the machine's speed moved during a benchmark, and whether that is
 * too much to judge a gate on.
 *
 * Two signals, both recorded in every result:
 * - the CPU-speed probe: a fixed busy loop (integer arithmetic, no allocation), timed before the
 *   first round, between rounds and after the last. On a quiet machine its samples agree within a
 *   few per cent; on this project's shared VMs they have been seen to differ 4× within a minute.
 * - the spread of repeated runs of the same ceiling server (the bare node:http server's
 *   throughput or p99 per round): the same program on the same input should give the same figure.
 *
 * {@link assessNoise} is pure (decides from recorded figures); {@link cpuProbe} and
 * {@link noiseSnapshot} do the measuring.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { num } from './env.js';
import { median, round, spread } from './stats.js';

export interface NoiseLimits {
  /** largest tolerated probe spread (max / min − 1); NOISE_MAX_PROBE_SPREAD */
  maxProbeSpread: number;
  /** largest tolerated spread of the ceiling across rounds; NOISE_MAX_CEILING_SPREAD */
  maxCeilingSpread: number;
  /** fewer measured rounds than this cannot show a spread; GATE_MIN_ROUNDS */
  minRounds: number;
}

export function noiseLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): NoiseLimits {
  return {
    maxProbeSpread: num('NOISE_MAX_PROBE_SPREAD', 0.5, { min: 0 }, env),
    maxCeilingSpread: num('NOISE_MAX_CEILING_SPREAD', 0.6, { min: 0 }, env),
    minRounds: num('GATE_MIN_ROUNDS', 3, { min: 1, integer: true }, env),
  };
}

export interface NoiseInputs {
  /** CPU-probe durations (ms), in the order taken */
  probeMs: number[];
  /** the ceiling's figure per measured round (e.g. bare node:http req/s) */
  ceilings: number[];
}

export interface NoiseAssessment {
  probeSpread: number;
  probeMedianMs: number;
  ceilingSpread: number;
  rounds: number;
  /** non-empty: the run is too noisy (or too short) to judge */
  tooNoisy: string[];
}

export function assessNoise(inp: NoiseInputs, lim: NoiseLimits): NoiseAssessment {
  const probeSpread = spread(inp.probeMs);
  const ceilingSpread = spread(inp.ceilings);
  const tooNoisy: string[] = [];
  if (inp.ceilings.length < lim.minRounds) tooNoisy.push(`only ${inp.ceilings.length} measured round(s): at least ${lim.minRounds} are needed to see the machine's noise (GATE_MIN_ROUNDS)`);
  if (probeSpread > lim.maxProbeSpread) tooNoisy.push(`CPU-speed probe spread ${round(probeSpread, 2)} > ${lim.maxProbeSpread} (NOISE_MAX_PROBE_SPREAD): the machine's speed changed during the run`);
  if (ceilingSpread > lim.maxCeilingSpread) tooNoisy.push(`ceiling spread across rounds ${round(ceilingSpread, 2)} > ${lim.maxCeilingSpread} (NOISE_MAX_CEILING_SPREAD): the same bare server gave different figures`);
  if (inp.probeMs.length === 0) tooNoisy.push('no CPU-speed probe was taken');
  return { probeSpread, probeMedianMs: median(inp.probeMs), ceilingSpread, rounds: inp.ceilings.length, tooNoisy };
}

/** Iterations of the probe loop: ~20–40 ms on this project's VMs in a quiet phase. */
const PROBE_ITERATIONS = 20_000_000;

/** Times a fixed busy loop; returns milliseconds. */
export function cpuProbe(iterations = PROBE_ITERATIONS): number {
  const t0 = performance.now();
  let x = 0x9e3779b9 | 0;
  for (let i = 0; i < iterations; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  const ms = performance.now() - t0;
  if (x === 42) console.error(''); // keeps the loop from being optimised away
  return ms;
}

/** Takes `n` probe samples (the first one also warms the JIT and is discarded). */
export function probeSamples(n = 3): number[] {
  cpuProbe(1_000_000);
  return Array.from({ length: n }, () => round(cpuProbe(), 2));
}

/** Collects probe samples over a whole run. */
export class ProbeLog {
  readonly samples: Array<{ at: string; phase: string; ms: number[] }> = [];

  take(phase: string, n = 3): number[] {
    const ms = probeSamples(n);
    this.samples.push({ at: new Date().toISOString(), phase, ms });
    return ms;
  }

  get all(): number[] {
    return this.samples.flatMap((s) => s.ms);
  }
}

/** Load average, CPU count and the top processes by CPU (ps), for the noise file. */
export function noiseSnapshot(label: string): string {
  let top: string;
  try {
    top = execFileSync('ps', ['-eo', 'pid,pcpu,pmem,etimes,comm', '--sort=-pcpu'], { encoding: 'utf8' }).split('\n').slice(0, 12).join('\n');
  } catch {
    top = '(ps unavailable)';
  }
  return `[${label}] at ${new Date().toISOString()}\ncpus ${cpus().length}\nloadavg ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n${top}\n`;
}

/** The noise lines every summary carries (`key=value`). */
export function noiseLines(a: NoiseAssessment, probe: ProbeLog): string[] {
  return [
    `noise_probe_median_ms=${round(a.probeMedianMs, 2)}`,
    `noise_probe_spread=${round(a.probeSpread, 3)}`,
    `noise_probe_samples_ms=${probe.samples.map((s) => `${s.phase}:${s.ms.join('/')}`).join(' ')}`,
    `noise_ceiling_spread=${round(a.ceilingSpread, 3)}`,
    `noise_rounds=${a.rounds}`,
    `noise_too_noisy=${a.tooNoisy.length > 0 ? 1 : 0}`,
    ...a.tooNoisy.map((r, i) => `noise_reason_${i + 1}=${r}`),
  ];
}
