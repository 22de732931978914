/** Shared bits of the benchmark scripts. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (benchmarks run from dist/bench/). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
}

/**
 * Writes a benchmark's report as var/results/bench-<name>-<timestamp>.{json,txt} (the JSON of
 * `summary`, the text of `lines`), prints the text and where it went. Returns the base path.
 */
export function writeReport(name: string, summary: unknown, lines: readonly string[]): string {
  const dir = join(ROOT, 'var/results');
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `bench-${name}-${timestamp()}`);
  writeFileSync(`${base}.json`, JSON.stringify(summary, null, 2));
  writeFileSync(`${base}.txt`, lines.join('\n') + '\n');
  console.log(lines.join('\n'));
  console.log(`\nresults: ${base}.{json,txt}`);
  return base;
}

/**
 * Reads the `name value` lines of a gateway's /metrics: the unlabelled ones, or with
 * `labelled` every series (keyed by `name{labels}`).
 */
export async function scrape(port: number, labelled = false): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '' || (!labelled && line.includes('{'))) continue;
    const sp = line.lastIndexOf(' ');
    m.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return m;
}

/**
 * VARIANT_ENV="NAME=value,NAME2=value" (benchmarks that run an A/B variant of the gateway in
 * every round): the variables, or null when unset.
 */
export function variantEnv(): Record<string, string> | null {
  const spec = process.env.VARIANT_ENV;
  if (!spec) return null;
  return Object.fromEntries(
    spec.split(',').map((kv) => {
      const i = kv.indexOf('=');
      if (i <= 0) throw new Error(`VARIANT_ENV: expected NAME=value, got ${JSON.stringify(kv)}`);
      return [kv.slice(0, i).trim(), kv.slice(i + 1)];
    }),
  );
}
