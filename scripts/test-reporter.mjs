// The default reporter of `npm test`: quiet when green, everything when red.
//
//   ..........F.........................   one character per test file as it finishes
//   (at the end, for each failed test:)
//   ✖ test/x.test.ts › suite › test name (123 ms)
//     <the error in full: message, diff, stack, cause>
//     <what that file printed>
//   tests 612 · pass 609 · fail 1 · skipped 2 · todo 0 · files 58 · 84.2 s
//
// Node's test runner drives it (--test-reporter); `npm test -- --tap` or TEST_REPORTER=tap gives
// the raw TAP instead, TEST_REPORTER=spec the spec reporter.
import { relative } from 'node:path';
import { inspect } from 'node:util';

const root = process.cwd();
const rel = (f) => (f ? relative(root, f) : '?');

export default async function* summary(source) {
  const started = Date.now();
  const counts = { tests: 0, pass: 0, fail: 0, skipped: 0, todo: 0 };
  /** per file: names by nesting level (for "suite › test"), output lines, failures */
  const files = new Map();
  const fileOf = (f) => {
    let s = files.get(f);
    if (s === undefined) files.set(f, (s = { path: [], output: [], failures: [], done: false, ms: 0 }));
    return s;
  };
  let column = 0;
  const progress = (ch) => {
    column++;
    return column % 72 === 0 ? `${ch}\n` : ch;
  };

  for await (const e of source) {
    const d = e.data ?? {};
    switch (e.type) {
      case 'test:start':
        if (d.file) fileOf(d.file).path[d.nesting] = d.name;
        break;
      case 'test:stdout':
      case 'test:stderr':
        if (d.file) fileOf(d.file).output.push(d.message);
        break;
      case 'test:complete': {
        // the file's own entry (its process ended): its duration, and a failure outside any test
        // (a crash at load, a non-zero exit)
        if (!(d.nesting === 0 && d.name === d.file)) break;
        // With several files in flight, a file's own entry can come before its tests' entries:
        // failures are reported at the end, when every entry is in.
        const f = fileOf(d.file);
        f.done = true;
        f.ms = d.details?.duration_ms ?? 0;
        f.passed = d.details?.passed !== false;
        f.error = d.details?.error;
        yield progress(f.passed ? '.' : 'F');
        break;
      }
      case 'test:pass':
      case 'test:fail': {
        if (d.nesting === 0 && d.name === d.file) break; // see test:complete
        const f = d.file ? fileOf(d.file) : null;
        if (d.details?.type === 'suite') {
          // a suite fails when a test in it does (already counted) or in a before/after hook
          const err = d.details?.error;
          if (e.type === 'test:fail' && err?.failureType !== 'subtestsFailed') {
            counts.fail++;
            f?.failures.push({ name: [...(f.path.slice(0, d.nesting)), d.name].join(' › '), ms: d.details?.duration_ms, error: err });
          }
          break;
        }
        counts.tests++;
        if (d.skip !== undefined && d.skip !== false) counts.skipped++;
        else if (d.todo !== undefined && d.todo !== false) counts.todo++;
        else if (e.type === 'test:pass') counts.pass++;
        else {
          counts.fail++;
          f?.failures.push({ name: [...(f?.path.slice(0, d.nesting) ?? []), d.name].join(' › '), ms: d.details?.duration_ms, error: d.details?.error });
        }
        break;
      }
      case 'test:diagnostic':
        // the runner's own notes (e.g. a file that never finished); tests' diagnostics are kept with their file
        if (d.nesting === 0 && !d.file && !/^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /.test(d.message)) yield `\n# ${d.message}\n`;
        break;
      default:
        break;
    }
  }
  for (const [file, f] of files) {
    if (f.done && !f.passed && f.failures.length === 0) {
      counts.fail++;
      f.failures.push({ name: '(the file itself: it failed outside any test)', ms: f.ms, error: f.error });
    }
    if (f.failures.length > 0) yield report(file, f);
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const slowest = [...files.entries()].filter(([, f]) => f.done).sort((a, b) => b[1].ms - a[1].ms).slice(0, 5);
  let out = column % 72 === 0 ? '\n' : '\n\n';
  if (slowest.length > 0) out += `slowest files: ${slowest.map(([p, f]) => `${rel(p)} ${(f.ms / 1000).toFixed(1)} s`).join(', ')}\n`;
  const mark = counts.fail > 0 ? '✖' : '✔';
  out += `${mark} tests ${counts.tests} · pass ${counts.pass} · fail ${counts.fail} · skipped ${counts.skipped} · todo ${counts.todo} · files ${files.size} · ${secs} s\n`;
  if (counts.fail > 0) out += `failed: ${[...files.entries()].filter(([, f]) => f.failures.length > 0).map(([p]) => rel(p)).join(', ')}  (raw TAP: npm test -- --tap <files>)\n`;
  yield out;
}

function report(file, f) {
  let s = '\n';
  for (const x of f.failures) {
    s += `\n✖ ${rel(file)} › ${x.name}${x.ms !== undefined ? ` (${Math.round(x.ms)} ms)` : ''}\n`;
    const err = x.error?.cause ?? x.error;
    s += indent(inspect(err, { depth: 6, colors: false, breakLength: 120 })) + '\n';
  }
  if (f.output.length > 0) {
    const lines = f.output.join('').split('\n');
    const tail = lines.slice(-60);
    s += `  --- output of ${rel(file)}${lines.length > tail.length ? ` (last ${tail.length} of ${lines.length} lines)` : ''}:\n${indent(tail.join('\n'))}\n`;
  }
  return s + '\n';
}

function indent(text) {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
