/**
 * The README's first-hour path, run as written: every shell block of README.md marked
 * `<!-- readme-test -->` is run, in order, in one bash script (set -euo pipefail) against a gateway
 * started as the README says (`JWT_HS256_SECRET=secret123`), with only the ports changed
 * (127.0.0.1:8081 → the HTTP port, `--port 9001` → the TCP port). `curl` is wrapped to record
 * every answer; each answer must be 2xx, and where the README shows one (`# 202 {...}` after the
 * command) the status and the body's field names must be the ones shown, with ids of the same form.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, type RunningGateway, startGateway } from '../helpers/gateway.js';

const MARK = '<!-- readme-test -->';
/** Fields an answer carries only in some states (e.g. `receivedAtNs` until an order is durable). */
const OPTIONAL = new Set(['receivedAtNs', 'reason']);

interface Expected {
  /** index of the curl call (0-based, across all blocks) the comment follows */
  call: number;
  status: number;
  body: Record<string, unknown> | null;
}

/** The marked blocks, and the `# NNN {...}` comments after curl commands. */
export function readmeScript(readme: string): { script: string; expected: Expected[]; calls: number } {
  const lines = readme.split('\n');
  const blocks: string[][] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== MARK) continue;
    let j = i + 1;
    while (lines[j]!.trim() === '') j++;
    assert.match(lines[j]!, /^```sh\b/, `line ${j + 1}: a ${MARK} mark must precede a sh block`);
    const body: string[] = [];
    for (j++; !lines[j]!.startsWith('```'); j++) body.push(lines[j]!);
    blocks.push(body);
  }
  const expected: Expected[] = [];
  let calls = 0;
  for (const b of blocks) {
    for (const l of b) {
      const comment = /^#\s*(\d{3})\b\s*(\{.*\})?\s*$/.exec(l.trim());
      if (comment) {
        expected.push({ call: calls - 1, status: Number(comment[1]), body: comment[2] ? (JSON.parse(comment[2]) as Record<string, unknown>) : null });
        continue;
      }
      if (!l.trim().startsWith('#')) calls += (l.replace(/#.*$/, '').match(/(^|[\s($])curl\s/g) ?? []).length;
    }
  }
  return { script: blocks.map((b) => b.join('\n')).join('\n'), expected, calls };
}

/** Ids of the same form: both all digits, or the same prefix up to the first digit. */
function sameForm(a: unknown, b: unknown): boolean {
  if (typeof a !== typeof b) return false;
  if (typeof a !== 'string') return true;
  const form = (s: string) => (/^\d+$/.test(s) ? 'digits' : s.replace(/\d.*$/, ''));
  return form(a) === form(b as string);
}

describe('README first-hour path', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway({ JWT_HS256_SECRET: 'secret123' });
  });
  after(async () => {
    assert.equal(await gw.stop(), 0);
  });

  it('runs every marked README block as written and gets the answers it shows', async () => {
    const { script, expected, calls } = readmeScript(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    assert.ok(calls >= 10, `the README's marked blocks make ${calls} curl calls`);
    const dir = mkdtempSync(join(tmpdir(), 'sy-readme-'));
    const log = join(dir, 'answers');
    const prelude = [
      'set -euo pipefail',
      // Each answer on one line of the log: status, then the body.
      `curl() { local out; out=$(command curl -w '\\n%{http_code}' "$@"); local code=\${out##*$'\\n'}; local body=\${out%$'\\n'*}; printf '%s\\n' "$body"; printf '%s %s\\n' "$code" "$(printf '%s' "$body" | tr '\\n' ' ' | head -c 2000)" >> ${JSON.stringify(log)}; }`,
      `: > ${JSON.stringify(log)}`,
    ].join('\n');
    const body = script.replaceAll('127.0.0.1:8081', `127.0.0.1:${gw.port}`).replaceAll('--port 9001', `--port ${gw.tcpPort}`);
    const run = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const p = spawn('bash', ['-c', `${prelude}\n${body}`], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME ?? dir, SWITCHYARD_SETUP_QUIET: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (out += d));
      p.once('exit', (code) => resolve({ code, out }));
    });
    assert.equal(run.code, 0, `the README's commands failed:\n${run.out.slice(-4000)}`);
    const answers = readFileSync(log, 'utf8').trim().split('\n').map((l) => {
      const sp = l.indexOf(' ');
      return { status: Number(l.slice(0, sp)), body: l.slice(sp + 1) };
    });
    assert.equal(answers.length, calls, 'every curl of the README ran');
    answers.forEach((a, i) => assert.ok(a.status >= 200 && a.status < 300, `curl #${i + 1} answered ${a.status} ${a.body}`));
    for (const e of expected) {
      const a = answers[e.call]!;
      assert.equal(a.status, e.status, `curl #${e.call + 1}: README shows ${e.status}, got ${a.status} ${a.body}`);
      if (e.body === null) continue;
      const got = JSON.parse(a.body) as Record<string, unknown>;
      const shown = Object.keys(e.body);
      for (const k of Object.keys(got)) assert.ok(shown.includes(k), `curl #${e.call + 1}: field ${k} is not shown in the README (${a.body})`);
      for (const k of shown) assert.ok(k in got || OPTIONAL.has(k), `curl #${e.call + 1}: the README shows ${k}, the answer has none (${a.body})`);
      for (const k of shown) if (k in got && /Id$/.test(k)) assert.ok(sameForm(e.body[k], got[k]), `curl #${e.call + 1}: ${k} shown as ${JSON.stringify(e.body[k])}, got ${JSON.stringify(got[k])}`);
    }
  });
});
