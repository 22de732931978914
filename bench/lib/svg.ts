/**
 * Hand-written SVG charts for the comparison results: grouped bar charts (latency percentiles
 * per target, throughput per round), stacked in one file next to the TSV and summary.
 *
 * Hand-written because the whole job is ~150 lines of string building with no dependency,
 * against a plotting library (vega + vega-lite, or d3 + a DOM) of several megabytes for two bar
 * charts; the output is plain SVG 1.1 that browsers and GitHub render.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ROOT } from './common.js';

export interface BarPanel {
  title: string;
  /** axis unit, e.g. "µs" or "req/s" */
  unit: string;
  /** the groups along the x axis (e.g. p50, p99 — or round 1, round 2) */
  groups: string[];
  /** one bar per series in each group: values[series][group] */
  series: Array<{ name: string; values: number[] }>;
  /** logarithmic y axis (latencies spanning decades) */
  log?: boolean;
}

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#9c755f', '#ff9da7', '#bab0ac', '#1b9e77', '#7570b3'];
const W = 760;
const H = 300;
const M = { top: 36, right: 16, bottom: 56, left: 72 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function label(v: number): string {
  if (!Number.isFinite(v)) return 'NA';
  if (v >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (v >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  return v >= 100 ? String(Math.round(v)) : String(Number(v.toPrecision(3)));
}

/** Legend entries laid out left to right, wrapping; returns their positions and the rows used. */
function legendLayout(names: string[]): { at: Array<{ x: number; row: number }>; rows: number } {
  const at: Array<{ x: number; row: number }> = [];
  let x = M.left;
  let row = 0;
  for (const n of names) {
    const w = 24 + n.length * 6.5;
    if (x + w > W - M.right && x > M.left) {
      row++;
      x = M.left;
    }
    at.push({ x, row });
    x += w;
  }
  return { at, rows: row + 1 };
}

/** Height of a panel: the plot plus its legend rows. */
function panelHeight(p: BarPanel): number {
  return H + (legendLayout(p.series.map((s) => s.name)).rows - 1) * 16;
}

/** Tick values for the y axis. */
function ticks(max: number, min: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(min)); 10 ** e <= max * 1.0001; e++) out.push(10 ** e);
    return out;
  }
  const step = 10 ** Math.floor(Math.log10(max / 4 || 1));
  const nice = [1, 2, 5, 10].map((k) => k * step).find((s) => max / s <= 6) ?? step * 10;
  return Array.from({ length: Math.floor(max / nice) + 1 }, (_, i) => i * nice);
}

/** One panel as an SVG group, translated to `y0`; `color` gives each series name its colour. */
export function panelSvg(p: BarPanel, y0: number, color: (name: string) => string = () => PALETTE[0]!): string {
  const vals = p.series.flatMap((s) => s.values).filter((v) => Number.isFinite(v) && v > 0);
  const max = vals.length ? Math.max(...vals) : 1;
  const min = vals.length ? Math.min(...vals) : 1;
  const log = p.log === true && vals.length > 0;
  const lo = log ? 10 ** (Math.ceil(Math.log10(min)) - 1) : 0; // a decade below the smallest bar, so it shows
  const hi = log ? 10 ** Math.ceil(Math.log10(max)) : max * 1.1;
  const ih = H - M.top - M.bottom;
  const iw = W - M.left - M.right;
  const y = (v: number) => M.top + ih - (log ? ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * ih : (v / hi) * ih);
  const gw = iw / Math.max(1, p.groups.length);
  const bw = (gw * 0.8) / Math.max(1, p.series.length);
  const out: string[] = [`<g transform="translate(0,${y0})">`];
  out.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(p.title)}</text>`);
  for (const t of ticks(hi, lo || 1, log)) {
    if (t > hi) continue;
    const ty = y(t).toFixed(1);
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${ty}" y2="${ty}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle" font-size="11">${label(t)}</text>`);
  }
  out.push(`<text transform="translate(14,${M.top + ih / 2}) rotate(-90)" text-anchor="middle" font-size="11">${esc(p.unit)}${log ? ' (log)' : ''}</text>`);
  p.groups.forEach((g, gi) => {
    const gx = M.left + gi * gw + gw * 0.1;
    p.series.forEach((s, si) => {
      const v = s.values[gi] ?? NaN;
      if (!Number.isFinite(v) || v <= 0) return;
      const x = gx + si * bw;
      const top = y(v);
      out.push(`<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(bw * 0.92).toFixed(1)}" height="${(M.top + ih - top).toFixed(1)}" fill="${color(s.name)}"><title>${esc(`${s.name} ${g}: ${label(v)} ${p.unit}`)}</title></rect>`);
      if (bw > 22) out.push(`<text x="${(x + bw * 0.46).toFixed(1)}" y="${(top - 3).toFixed(1)}" text-anchor="middle" font-size="9">${label(v)}</text>`);
    });
    out.push(`<text x="${(gx + gw * 0.4).toFixed(1)}" y="${M.top + ih + 16}" text-anchor="middle" font-size="11">${esc(g)}</text>`);
  });
  out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${M.top + ih}" y2="${M.top + ih}" stroke="#333"/>`);
  const legend = legendLayout(p.series.map((s) => s.name));
  p.series.forEach((s, si) => {
    const { x: lx, row } = legend.at[si]!;
    const ly = H - 20 + row * 16;
    out.push(`<rect x="${lx}" y="${ly}" width="10" height="10" fill="${color(s.name)}"/>`);
    out.push(`<text x="${lx + 14}" y="${ly + 9}" font-size="11">${esc(s.name)}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}

/** Panels stacked vertically in one SVG document, with a caption line at the bottom. */
export function chartSvg(panels: BarPanel[], caption: string): string {
  // One colour per series name across all panels, so "bare" is the same colour everywhere.
  const names = [...new Set(panels.flatMap((p) => p.series.map((s) => s.name)))];
  const color = (n: string) => PALETTE[names.indexOf(n) % PALETTE.length]!;
  const tops: number[] = [];
  let height = 0;
  for (const p of panels) {
    tops.push(height);
    height += panelHeight(p);
  }
  height += 24;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...panels.map((p, i) => panelSvg(p, tops[i]!, color)),
    `<text x="8" y="${height - 8}" font-size="10" fill="#555">${esc(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

/**
 * Writes the chart next to the run's other files; with PUBLISH_CHARTS=1 also as
 * docs/benchmarks/charts/<tool>.svg (the stamp dropped), the stable path BENCHMARKS.md links.
 */
export function writeChart(path: string, panels: BarPanel[], caption: string): void {
  const svg = chartSvg(panels, caption);
  writeFileSync(path, svg);
  if (process.env.PUBLISH_CHARTS === '1') {
    const dir = join(ROOT, 'docs/benchmarks/charts');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, basename(path).replace(/_\d{8}_\d{6}(?=\.svg$)/, '')), svg);
  }
}
