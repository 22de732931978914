/**
 * Summary of a load-generator run: a JSON document (machine-readable, with the encoded HDR
 * histograms for later merging or plotting) and a text rendering for people.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import type { LatencyRecorder } from './recorder.js';
import type { OpenLoopSchedule } from './schedule.js';

export interface LatencyStats {
  count: number;
  /** microseconds */
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  p9999: number;
  max: number;
  mean: number;
}

export interface LoadgenSummary {
  schema: 'switchyard_loadgen_v1';
  label: string | null;
  target: string;
  startedAt: string;
  config: Record<string, string | number | boolean | null>;
  /** recorded period only (warm-up excluded) */
  requests: {
    scheduled: number;
    sent: number;
    completed: number;
    accepted: number;
    timedOut: number;
    warmupSent: number;
  };
  rates: {
    /** configured requests per second */
    target: number;
    /** recorded sends / time from the first intended send to the last actual send (+1 interval) */
    offered: number;
    /** recorded completions / time from the first intended send to the last completion */
    completed: number;
  };
  /** latency from intended send time, microseconds */
  latencyUs: { all: LatencyStats; accepted: LatencyStats };
  /** lateness of sends against the schedule, microseconds */
  sendLagUs: LatencyStats;
  byStatus: Record<string, number>;
  byReason: Record<string, number>;
  /** times the outstanding cap delayed a send */
  capWaits: number;
  warnings: string[];
  /** HdrHistogram compressed base64 (values in ns) */
  histograms: { all: string; accepted: string; sendLag: string };
}

const round3 = (v: number): number => Math.round(v * 1000) / 1000;

export function latencyStats(h: Histogram): LatencyStats {
  if (h.totalCount === 0) return { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, p9999: 0, max: 0, mean: 0 };
  const us = (ns: number): number => round3(ns / 1000);
  return {
    count: h.totalCount,
    p50: us(h.getValueAtPercentile(50)),
    p90: us(h.getValueAtPercentile(90)),
    p99: us(h.getValueAtPercentile(99)),
    p999: us(h.getValueAtPercentile(99.9)),
    p9999: us(h.getValueAtPercentile(99.99)),
    max: us(h.maxValue),
    mean: us(h.mean),
  };
}

function sorted(m: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

export interface SummaryInput {
  label: string | null;
  target: string;
  startedAt: Date;
  config: Record<string, string | number | boolean | null>;
  schedule: OpenLoopSchedule;
  recorder: LatencyRecorder;
}

export function buildSummary(inp: SummaryInput): LoadgenSummary {
  const { schedule: s, recorder: r } = inp;
  const scheduled = s.total - s.warmupCount;
  const t0 = s.measuredStartNs;
  const sendWindowS = r.sent > 0 ? (r.lastSendNs - t0 + s.intervalNs) / 1e9 : 0;
  const doneWindowS = r.completed > 0 ? (r.lastCompletionNs - t0) / 1e9 : 0;
  const lag = latencyStats(r.sendLag);
  const warnings: string[] = [];
  const offered = sendWindowS > 0 ? round3(r.sent / sendWindowS) : 0;
  if (lag.p99 > 1000) {
    warnings.push(
      `send lag p99 is ${lag.p99} µs (> 1 ms): the generator (or the CPU it shares) was late against the ` +
        'schedule; the lag is included in the latencies, so part of the tail is the generator\'s',
    );
  }
  if (r.sent > 0 && offered < 0.99 * s.ratePerSec) {
    warnings.push(`offered rate ${offered}/s is below the target ${s.ratePerSec}/s: the load asked for was not applied`);
  }
  if (r.timedOut > 0) warnings.push(`${r.timedOut} requests had no answer by the end of the drain period (counted as TIMEOUT)`);
  if (r.capWaits > 0) warnings.push(`the outstanding-request cap delayed sends ${r.capWaits} times`);
  const errors = (r.byStatus.get('ERROR') ?? 0);
  if (errors > 0) warnings.push(`${errors} requests failed at the transport level (status ERROR)`);
  return {
    schema: 'switchyard_loadgen_v1',
    label: inp.label,
    target: inp.target,
    startedAt: inp.startedAt.toISOString(),
    config: inp.config,
    requests: {
      scheduled,
      sent: r.sent,
      completed: r.completed,
      accepted: r.acceptedCount,
      timedOut: r.timedOut,
      warmupSent: r.warmupSent,
    },
    rates: {
      target: s.ratePerSec,
      offered,
      completed: doneWindowS > 0 ? round3(r.completed / doneWindowS) : 0,
    },
    latencyUs: { all: latencyStats(r.all), accepted: latencyStats(r.accepted) },
    sendLagUs: lag,
    byStatus: sorted(r.byStatus),
    byReason: sorted(r.byReason),
    capWaits: r.capWaits,
    warnings,
    histograms: {
      all: encodeIntoCompressedBase64(r.all),
      accepted: encodeIntoCompressedBase64(r.accepted),
      sendLag: encodeIntoCompressedBase64(r.sendLag),
    },
  };
}

export function formatSummary(s: LoadgenSummary): string {
  const lines: string[] = [];
  const row = (name: string, st: LatencyStats): string =>
    [name.padEnd(10), String(st.count).padStart(9), ...[st.p50, st.p90, st.p99, st.p999, st.p9999, st.max, st.mean].map((v) => v.toFixed(1).padStart(10))].join(' ');
  lines.push(`switchyard loadgen — ${s.target}${s.label ? ` (${s.label})` : ''} — ${s.startedAt}`);
  lines.push(`config: ${Object.entries(s.config).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  lines.push('');
  lines.push(`requests: scheduled ${s.requests.scheduled}, sent ${s.requests.sent}, completed ${s.requests.completed}, accepted ${s.requests.accepted}, timed out ${s.requests.timedOut} (warm-up ${s.requests.warmupSent} not recorded)`);
  lines.push(`rate/s:   target ${s.rates.target}, offered ${s.rates.offered}, completed ${s.rates.completed}`);
  lines.push('');
  lines.push('latency from intended send time (µs)');
  lines.push(['', 'count', 'p50', 'p90', 'p99', 'p99.9', 'p99.99', 'max', 'mean'].map((h, i) => (i === 0 ? h.padEnd(10) : h.padStart(i === 1 ? 9 : 10))).join(' '));
  lines.push(row('all', s.latencyUs.all));
  lines.push(row('accepted', s.latencyUs.accepted));
  lines.push(row('send lag', s.sendLagUs));
  lines.push('');
  lines.push(`by status: ${Object.entries(s.byStatus).map(([k, v]) => `${k}=${v}`).join(' ') || '-'}`);
  lines.push(`by reason: ${Object.entries(s.byReason).map(([k, v]) => `${k}=${v}`).join(' ') || '-'}`);
  for (const w of s.warnings) lines.push(`WARNING: ${w}`);
  return lines.join('\n') + '\n';
}

/**
 * Writes `<base>.json` and `<base>.txt`. A path ending in `.json` names the JSON file and the
 * text goes next to it with `.txt`; any other path is used as the base.
 */
export async function writeSummary(outPath: string, s: LoadgenSummary): Promise<{ json: string; text: string }> {
  const base = outPath.endsWith('.json') ? outPath.slice(0, -5) : outPath;
  const json = `${base}.json`;
  const text = `${base}.txt`;
  await mkdir(dirname(json), { recursive: true });
  await writeFile(json, JSON.stringify(s, null, 2) + '\n');
  await writeFile(text, formatSummary(s));
  return { json, text };
}
