/**
 * Doc check: every `gateway_*` metric name that README.md, BENCHMARKS.md and docs/*.md mention
 * exists in /metrics of a started gateway (embedded venue on, so its metrics exist too), so a
 * renamed or imagined metric in the docs is caught. Lines that list the original's metrics and
 * say they are "not exported" or have "no meaning" here are not checked.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { get, ROOT, type RunningGateway, startGateway } from '../helpers/gateway.js';

interface Mention {
  name: string;
  /** a prefix (`gateway_v3_`): some metric must start with it */
  prefix: boolean;
  where: string;
}

/** The metric names a markdown text mentions, with `a/b/c`, `{x,y}` and `p*` shorthands spelled out. */
export function mentionedMetrics(file: string, text: string): Mention[] {
  const out: Mention[] = [];
  text.split('\n').forEach((line, i) => {
    // Lines that list the original's metrics which are not exported here, saying so.
    if (/no meaning|not exported/.test(line)) return;
    const where = `${file}:${i + 1}`;
    for (const m of line.matchAll(/gateway_[a-z0-9_*]+(?:\{[a-z0-9_,]*\}[a-z0-9_*]*)?(?:\/[a-z0-9_*]+)*(\.[a-z]+)?/g)) {
      if (m[1] !== undefined && /^\.(sh|lua|py|json|rs|txt)$/.test(m[1])) continue; // a script's file name
      let tok = m[0].replace(/\.[a-z]+$/, '');
      const names: string[] = [];
      // gateway_x_p50/p99/p999_us → gateway_x_p50_us, gateway_x_p99_us, gateway_x_p999_us
      if (tok.includes('/')) {
        const parts = tok.split('/');
        const first = parts[0]!;
        const cut = first.lastIndexOf('_');
        const prefix = first.slice(0, cut + 1);
        const last = parts[parts.length - 1]!;
        const suffix = last.includes('_') ? last.slice(last.indexOf('_')) : '';
        const alts = [first.slice(cut + 1), ...parts.slice(1, -1), last.slice(0, last.length - suffix.length)];
        for (const a of alts) names.push(prefix + a + suffix);
      } else names.push(tok);
      for (let n of names) {
        const brace = /\{([a-z0-9_,]*)\}/.exec(n);
        const expanded = brace === null ? [n] : brace[1]!.includes(',') ? brace[1]!.split(',').map((a) => n.replace(brace[0], a)) : [n.replace(brace[0], '')];
        for (n of expanded) {
          n = n.replace(/_p\*_/, '_p50_').replace(/\*$/, '');
          out.push({ name: n, prefix: n.endsWith('_') || m[0].endsWith('*'), where });
        }
      }
    }
  });
  return out;
}

function docs(): Array<[string, string]> {
  const files: Array<[string, string]> = [
    ['README.md', readFileSync(join(ROOT, 'README.md'), 'utf8')],
    ['BENCHMARKS.md', readFileSync(join(ROOT, 'BENCHMARKS.md'), 'utf8')],
  ];
  for (const f of readdirSync(join(ROOT, 'docs')).filter((x) => x.endsWith('.md')).sort()) files.push([`docs/${f}`, readFileSync(join(ROOT, 'docs', f), 'utf8')]);
  return files;
}

describe('metric names in the docs', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway({ SOR_VENUES: 'sim' });
  });
  after(async () => {
    assert.equal(await gw.stop(), 0);
  });

  it('expands the shorthands the docs use', () => {
    const names = mentionedMetrics('x.md', 'a `gateway_ack_p50/p99/p999_us`, `gateway_latency_{mean,p95}_ns`, `gateway_orders{status}`, gateway_rust.sh').map((m) => m.name);
    assert.deepEqual(names, ['gateway_ack_p50_us', 'gateway_ack_p99_us', 'gateway_ack_p999_us', 'gateway_latency_mean_ns', 'gateway_latency_p95_ns', 'gateway_orders']);
  });

  it('every gateway_* name mentioned exists in /metrics', async () => {
    const text = (await get(gw.base, '/metrics')).text;
    // Every registered family, with or without series yet (labelled families have none until used).
    const have = new Set(text.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]!));
    const missing: string[] = [];
    for (const [file, body] of docs()) {
      for (const m of mentionedMetrics(file, body)) {
        const wild = m.name.includes('*') ? new RegExp(`^${m.name.replaceAll('*', '[a-z0-9_]+')}$`) : null;
        const ok = m.prefix ? [...have].some((h) => h.startsWith(m.name)) : wild !== null ? [...have].some((h) => wild.test(h)) : have.has(m.name);
        if (!ok) missing.push(`${m.where} ${m.name}${m.prefix ? '*' : ''}`);
      }
    }
    assert.deepEqual(missing, [], `metrics named in the docs but not exported:\n${missing.join('\n')}`);
  });
});
