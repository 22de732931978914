/**
 * Result files under var/results/: the original's names (`<name>_<YYYYmmdd_HHMMSS>.<ext>`),
 * `key=value` summaries (its scripts read them with `awk -F=`), TSV tables.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './common.js';

export function resultsDir(): string {
  const dir = process.env.OUT_DIR ?? join(ROOT, 'var/results');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The original's stamp format: 20261204_053412 (UTC). */
export function stamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '_').replace(/\..*/, '');
}

/** Base path `<OUT_DIR>/<name>_<stamp>`; files are `<base>.<ext>`. */
export function resultBase(name: string): string {
  return join(resultsDir(), `${name}_${stamp()}`);
}

export function writeText(path: string, lines: string[]): void {
  writeFileSync(path, lines.join('\n') + '\n');
}

export function tsv(columns: readonly string[], rows: ReadonlyArray<Record<string, unknown>>): string {
  const cell = (v: unknown) => (typeof v === 'number' ? (Number.isFinite(v) ? String(Math.round(v * 1000) / 1000) : 'NA') : String(v ?? 'NA'));
  return [columns.join('\t'), ...rows.map((r) => columns.map((c) => cell(r[c])).join('\t'))].join('\n') + '\n';
}
