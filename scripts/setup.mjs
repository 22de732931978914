#!/usr/bin/env node
// Installs dependencies and compiles the TypeScript sources when they are missing or stale.
// Runs before `npm start`, `npm test` and the benchmark scripts, so a fresh clone needs no other step.
import { existsSync, statSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.env.SWITCHYARD_SETUP_QUIET === '1';

function run(cmd, args) {
  if (!quiet) console.error(`[setup] ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'] });
  if (r.status !== 0) {
    console.error(`[setup] ${cmd} ${args.join(' ')} failed with exit code ${r.status}`);
    process.exit(r.status ?? 1);
  }
}

function newestMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const p = join(dir, entry.name);
    const t = entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

const stamp = join(root, 'dist', '.tsbuildinfo');
const sources = Math.max(
  newestMtime(join(root, 'src')),
  newestMtime(join(root, 'bench')),
  newestMtime(join(root, 'packages')),
  statSync(join(root, 'tsconfig.json')).mtimeMs,
);
if (!existsSync(stamp) || statSync(stamp).mtimeMs < sources) {
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'tsconfig.json']);
}

// The operator console's front end (console/ → dist/console, served at /console by the gateway).
const consoleIndex = join(root, 'dist', 'console', 'index.html');
const consoleSources = Math.max(newestMtime(join(root, 'console')), statSync(lock).mtimeMs);
if (!existsSync(consoleIndex) || statSync(consoleIndex).mtimeMs < consoleSources) {
  run(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'console/vite.config.ts']);
}
