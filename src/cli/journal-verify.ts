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
 * same syntax from an environment variable instead (e.g. `--keys-env AUDIT_HMAC_KEYS`), and
 * `--key-file PATH` from a file.
 *
 *   npm run journal-verify -- --data-dir <GATEWAY_DATA_DIR>
 *
 * checks the durable journal of a gateway's data directory with the keys that gateway uses: the
 * key generated into the data directory (`audit-hmac.key`, the default set-up) plus
 * AUDIT_HMAC_KEYS when that is set, unless keys are given explicitly.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseKeySpec } from '../lib/key-spec.js';
import { readAnchor, verifyJournal } from '../journal/verify.js';

const USAGE =
  'usage: journal-verify (--data-dir <GATEWAY_DATA_DIR> | --dir <journal dir>) [--keys id:secret[,id:base64:...] | --keys-env VAR | --key-file PATH] [--from-seq N] [--limit N]';

/** The key file the gateway generates into its data directory when no key is configured (durable/keys.ts). */
const GENERATED_KEY_FILE = 'audit-hmac.key';

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

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    fail(`cannot read ${path}: ${(err as Error).message}`);
  }
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        dir: { type: 'string' },
        'data-dir': { type: 'string' },
        'key-file': { type: 'string' },
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
  const dataDir = values['data-dir'];
  if ((values.dir === undefined) === (dataDir === undefined)) fail('give one of --data-dir or --dir');
  const dir = values.dir ?? join(dataDir!, 'journal');
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) fail(`${dir} is not a directory`);
  const given = [values.keys, values['keys-env'], values['key-file']].filter((v) => v !== undefined).length;
  if (given > 1) fail('give at most one of --keys, --keys-env or --key-file');
  const specs: string[] = [];
  if (values.keys !== undefined) specs.push(values.keys);
  if (values['keys-env'] !== undefined) {
    const v = process.env[values['keys-env']];
    if (v === undefined) fail(`environment variable ${values['keys-env']} is not set`);
    specs.push(v);
  }
  if (values['key-file'] !== undefined) specs.push(readKeyFile(values['key-file']));
  if (given === 0) {
    if (dataDir === undefined) fail('--keys, --keys-env or --key-file is required with --dir');
    // The gateway's own keys: the generated key file and AUDIT_HMAC_KEYS, as it loads them.
    const file = join(dataDir, GENERATED_KEY_FILE);
    if (existsSync(file)) specs.push(readKeyFile(file));
    if (process.env.AUDIT_HMAC_KEYS) specs.push(process.env.AUDIT_HMAC_KEYS);
    if (specs.length === 0) fail(`no keys: ${file} does not exist and AUDIT_HMAC_KEYS is not set`);
  }
  const keys = new Map<string, Buffer>();
  for (const spec of specs) {
    try {
      for (const [id, secret] of parseKeySpec(spec)) keys.set(id, secret);
    } catch (err) {
      fail((err as Error).message);
    }
  }
  if (keys.size === 0) fail('no keys given');

  const fromSeq = intArg('from-seq', values['from-seq'], 0);
  const limit = intArg('limit', values.limit, 1);
  const result = await verifyJournal(dir, keys, { fromSeq, limit });
  const anchor = await readAnchor(dir);
  process.stdout.write(`${JSON.stringify({ ...result, anchor })}\n`);
  process.exitCode = result.ok ? 0 : 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`journal-verify: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
