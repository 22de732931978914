/**
 * Offline journal verification.
 *
 *   node dist/src/cli/journal-verify.js --dir <journal dir> --keys id1:secret,id2:base64:AAAA
 *       [--from-seq N] [--limit N] [--keys-env VAR]
 *
 * Prints one JSON object: { ok, checked, lastSeq, error, anchor } where `error` is null or
 * { kind, seq, segment, offset, message } and `anchor` is the last valid record on disk
 * ({ seq, atMs, keyId, hash } or null). Exit status: 0 when ok, 1 when not, 2 on a usage error.
 *
 * Secrets on a command line are visible to other local users (ps); `--keys-env VAR` reads the
 * same syntax from an environment variable instead (e.g. `--keys-env AUDIT_HMAC_KEYS`).
 */
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseKeySpec } from '../lib/key-spec.js';
import { readAnchor, verifyJournal } from '../journal/verify.js';

const USAGE =
  'usage: journal-verify --dir <journal dir> (--keys id:secret[,id:base64:...] | --keys-env VAR) [--from-seq N] [--limit N]';

function fail(message: string): never {
  process.stderr.write(`journal-verify: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function intArg(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) fail(`--${name} must be an integer`);
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) fail(`--${name} must be >= ${min}`);
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        dir: { type: 'string' },
        keys: { type: 'string' },
        'keys-env': { type: 'string' },
        'from-seq': { type: 'string' },
        limit: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values.dir === undefined) fail('--dir is required');
  let isDir = false;
  try {
    isDir = statSync(values.dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) fail(`${values.dir} is not a directory`);
  let spec = values.keys;
  if (values['keys-env'] !== undefined) {
    if (spec !== undefined) fail('give either --keys or --keys-env');
    spec = process.env[values['keys-env']];
    if (spec === undefined) fail(`environment variable ${values['keys-env']} is not set`);
  }
  if (spec === undefined) fail('--keys or --keys-env is required');
  let keys: Map<string, Buffer>;
  try {
    keys = parseKeySpec(spec);
  } catch (err) {
    fail((err as Error).message);
  }
  if (keys.size === 0) fail('no keys given');

  const fromSeq = intArg('from-seq', values['from-seq'], 0);
  const limit = intArg('limit', values.limit, 1);
  const result = await verifyJournal(values.dir, keys, { fromSeq, limit });
  const anchor = await readAnchor(values.dir);
  process.stdout.write(`${JSON.stringify({ ...result, anchor })}\n`);
  process.exitCode = result.ok ? 0 : 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`journal-verify: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
