/** The release gate's verdict from its gates' runs: failures win, then inconclusive runs. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type GateRun, judgeRelease, runVerdict } from '../../../bench/lib/gates/release.js';

const run = (gate: string, verdict: GateRun['verdict'], exitCode: number): GateRun => ({ gate, verdict, exitCode });

describe('release gate', () => {
  test('passes only when every gate passed; a warning makes it WARN', () => {
    assert.equal(judgeRelease([run('absolute', 'PASS', 0), run('perf', 'PASS', 0)]).verdict, 'PASS');
    const w = judgeRelease([run('absolute', 'PASS', 0), run('perf', 'WARN', 0)]);
    assert.equal(w.verdict, 'WARN');
    assert.deepEqual(w.reasons, ['perf: WARN']);
  });

  test('one failure fails the release, even beside inconclusive runs', () => {
    const d = judgeRelease([run('absolute', 'INCONCLUSIVE', 3), run('perf', 'FAIL', 1), run('open-loop', 'PASS', 0)]);
    assert.equal(d.verdict, 'FAIL');
    assert.deepEqual(d.reasons, ['perf: FAIL', 'absolute: INCONCLUSIVE']);
  });

  test('an inconclusive gate makes the release inconclusive, never a pass', () => {
    assert.equal(judgeRelease([run('absolute', 'PASS', 0), run('open-loop', 'INCONCLUSIVE', 3)]).verdict, 'INCONCLUSIVE');
  });

  test('a gate that crashed, wrote no verdict or refused a knob is a failure', () => {
    assert.equal(runVerdict(run('perf', null, 1)), 'FAIL');
    assert.equal(runVerdict(run('perf', null, 139)), 'FAIL');
    assert.equal(runVerdict(run('perf', 'PASS', 2)), 'FAIL');
    assert.equal(runVerdict(run('perf', null, 3)), 'INCONCLUSIVE');
    const d = judgeRelease([run('absolute', 'PASS', 0), run('perf', null, 1)]);
    assert.equal(d.verdict, 'FAIL');
    assert.deepEqual(d.reasons, ['perf: wrote no verdict (exit 1)']);
  });

  test('the summary verdict wins over a report-only exit code', () => {
    // the open-loop probe exits 0 unless enforced; its summary still says FAIL
    assert.equal(runVerdict(run('open-loop', 'FAIL', 0)), 'FAIL');
  });

  test('no gate run is not a pass', () => {
    assert.equal(judgeRelease([]).verdict, 'INCONCLUSIVE');
  });
});
