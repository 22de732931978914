#!/usr/bin/env node
// Runs every test file under test/ (or the paths given) with node's test runner and the TS loader.
// Node 20's --test does not expand globs itself.
//
//   npm test                         summary: a dot per file, failures in full, counts at the end
//   npm test -- --tap [paths]        the raw TAP stream (also TEST_REPORTER=tap; =spec for spec)
//   TEST_CONCURRENCY=1 npm test      one file at a time (default 3)
//
// Test files run in parallel, each in its own process: every test starts its gateways on free
// ports with their own temporary data directories, its PostgreSQL databases under unique names
// and its NATS servers on free ports, so no two files share state.
import { readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function collect(p, out) {
  if (statSync(p).isDirectory()) {
    for (const e of readdirSync(p).sort()) collect(join(p, e), out);
  } else if (p.endsWith('.test.ts')) {
    out.push(relative(root, p));
  }
  return out;
}

const args = process.argv.slice(2);
let reporter = process.env.TEST_REPORTER ?? 'summary';
const roots = [];
for (const a of args) {
  if (a === '--tap') reporter = 'tap';
  else if (a === '--spec') reporter = 'spec';
  else roots.push(a);
}
if (!['summary', 'tap', 'spec', 'dot'].includes(reporter)) {
  console.error(`TEST_REPORTER must be summary, tap, spec or dot, got ${JSON.stringify(reporter)}`);
  process.exit(2);
}
const concurrency = Number(process.env.TEST_CONCURRENCY ?? 3);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error(`TEST_CONCURRENCY must be an integer >= 1, got ${JSON.stringify(process.env.TEST_CONCURRENCY)}`);
  process.exit(2);
}
const files = (roots.length ? roots : ['test']).flatMap((r) => collect(join(root, r), []));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const reporterArg = reporter === 'summary' ? join(root, 'scripts', 'test-reporter.mjs') : reporter;
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, `--test-reporter=${reporterArg}`, '--test-reporter-destination=stdout', ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(r.status ?? 1);
