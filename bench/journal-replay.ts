/**
 * Journal replay throughput benchmark.
 *
 *   node dist/bench/journal-replay.js [--records N] [--payload BYTES] [--runs R] [--verify-chain] [--keep]
 *   node --import tsx bench/journal-replay.ts ...
 *
 * Writes N records (default 1,000,000) of ~120-byte payloads with fsync off into a temporary
 * directory, then times R full replays (default 3) with `replayJournal` (checksums and seq
 * continuity checked; HMAC chain too with --verify-chain) and prints records/s and MB/s.
 * The files are in the page cache when replayed (the run just wrote them), so this measures the
 * parsing/CPU side of recovery, not a cold disk.
 *
 * A JSON result is written to var/results/journal-replay-<timestamp>.json (relative to the
 * current directory, or $RESULTS_DIR).
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { JournalWriter } from '../src/journal/writer.js';
import { replayJournal } from '../src/journal/reader.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    payload: { type: 'string', default: '120' },
    runs: { type: 'string', default: '3' },
    'verify-chain': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});

const N = Number(values.records);
const PAYLOAD = Number(values.payload);
const RUNS = Math.max(1, Number(values.runs));
const verifyChain = values['verify-chain'] === true;
if (!Number.isSafeInteger(N) || N < 1 || !Number.isSafeInteger(PAYLOAD) || PAYLOAD < 0) {
  throw new Error('--records and --payload must be positive integers');
}

const keys = { bench: Buffer.from('journal-replay-benchmark-key') };

async function writePhase(dir: string): Promise<number> {
  const w = await JournalWriter.open({ dir, keys, activeKeyId: 'bench', fsync: false, maxBatchDelayUs: 0 });
  const payload = Buffer.alloc(PAYLOAD);
  const t0 = performance.now();
  let last: Promise<void> | null = null;
  for (let i = 1; i <= N; i++) {
    payload.writeUInt32LE(i, 0);
    const r = w.append(i & 0xff, payload);
    // Bound the memory of queued batches.
    if ((i & 0x3fff) === 0) {
      await r.durable;
      last = null;
    } else {
      last = r.durable;
    }
  }
  if (last !== null) await last;
  await w.close();
  return performance.now() - t0;
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) total += statSync(join(dir, name)).size;
  return total;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-journal-bench-'));
  try {
    const writeMs = await writePhase(dir);
    const bytes = dirBytes(dir);
    console.log(
      `wrote ${N} records (${PAYLOAD} B payload, ${(bytes / 1e6).toFixed(1)} MB) in ${writeMs.toFixed(0)} ms ` +
        `(${Math.round(N / (writeMs / 1000))} appends/s, fsync off)`,
    );

    const runs: Array<{ ms: number; recordsPerSec: number; mbPerSec: number }> = [];
    for (let r = 0; r < RUNS; r++) {
      let sink = 0;
      const t0 = performance.now();
      const res = await replayJournal(
        dir,
        (rec) => {
          sink += rec.payload.length + rec.type;
        },
        verifyChain ? { verifyChain: true, keys } : {},
      );
      const ms = performance.now() - t0;
      if (res.records !== N || sink === 0) throw new Error(`replay delivered ${res.records} records, expected ${N}`);
      const run = { ms, recordsPerSec: N / (ms / 1000), mbPerSec: bytes / 1e6 / (ms / 1000) };
      runs.push(run);
      console.log(
        `replay ${r + 1}/${RUNS}: ${ms.toFixed(0)} ms, ${Math.round(run.recordsPerSec).toLocaleString('en-US')} records/s, ` +
          `${run.mbPerSec.toFixed(0)} MB/s${verifyChain ? ' (chain verified)' : ''}`,
      );
    }
    const sorted = [...runs].sort((a, b) => a.ms - b.ms);
    const median = sorted[Math.floor(sorted.length / 2)];
    console.log(
      `median: ${Math.round(median.recordsPerSec).toLocaleString('en-US')} records/s, ${median.mbPerSec.toFixed(0)} MB/s ` +
        `(target >= 500,000 records/s)`,
    );

    const resultsDir = process.env.RESULTS_DIR ?? join(process.cwd(), 'var', 'results');
    mkdirSync(resultsDir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const file = join(resultsDir, `journal-replay-${stamp}.json`);
    writeFileSync(
      file,
      `${JSON.stringify(
        {
          bench: 'journal-replay',
          at: new Date().toISOString(),
          node: process.version,
          cpus: cpus().length,
          records: N,
          payloadBytes: PAYLOAD,
          journalBytes: bytes,
          verifyChain,
          writeMs,
          runs,
          median,
          targetRecordsPerSec: 500_000,
          pass: median.recordsPerSec >= 500_000,
        },
        null,
        2,
      )}\n`,
    );
    console.log(`result: ${file}`);
  } finally {
    if (values.keep === true) console.log(`journal kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
