/**
 * Open-loop load generator CLI (docs/loadgen.md).
 *
 *   node dist/src/loadgen/cli.js --target http --url http://127.0.0.1:8081/v3/orders \
 *     --rate 10000 --duration 60 --connections 16 --accounts 8 --out var/results/loadgen-v3
 *   node dist/src/loadgen/cli.js --target tcp --host 127.0.0.1 --port 9001 --rate 50000 \
 *     --duration 20 --connections 2 --token "$TOKEN"
 */
import { USAGE, UsageError, parseConfig } from './config.js';
import { runLoadgen } from './run.js';
import { formatSummary, writeSummary } from './summary.js';

async function main(): Promise<void> {
  let cfg: Awaited<ReturnType<typeof parseConfig>>;
  try {
    cfg = await parseConfig(process.argv.slice(2), process.env);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`${msg ? `loadgen: ${msg}\n` : ''}${USAGE}`);
    process.exitCode = e instanceof UsageError && msg === '' ? 0 : 2;
    return;
  }
  const summary = await runLoadgen(cfg);
  process.stdout.write(formatSummary(summary));
  if (cfg.out !== null) {
    const files = await writeSummary(cfg.out, summary);
    process.stdout.write(`wrote ${files.json} and ${files.text}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`loadgen: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
