/**
 * Knobs of the benchmark and gate scripts, read from the environment once at start-up.
 * An invalid value stops the script with a message naming the variable (never a silent default).
 */

export class KnobError extends Error {
  readonly code = 'BENCH_BAD_KNOB';
}

export function num(name: string, def: number, opts: { min?: number; max?: number; integer?: boolean } = {}, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return def;
  const v = Number(raw);
  if (!Number.isFinite(v)) throw new KnobError(`${name}: expected a number, got ${JSON.stringify(raw)}`);
  if (opts.integer && !Number.isInteger(v)) throw new KnobError(`${name}: expected an integer, got ${raw}`);
  if (opts.min !== undefined && v < opts.min) throw new KnobError(`${name}: must be >= ${opts.min}, got ${raw}`);
  if (opts.max !== undefined && v > opts.max) throw new KnobError(`${name}: must be <= ${opts.max}, got ${raw}`);
  return v;
}

export function str(name: string, def: string, env: NodeJS.ProcessEnv = process.env): string {
  const raw = env[name];
  return raw === undefined || raw === '' ? def : raw;
}

export function flag(name: string, def: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new KnobError(`${name}: expected 1/0 (or true/false), got ${JSON.stringify(raw)}`);
}

/** Runs a script's main, turning a KnobError into one line and exit code 2. */
export function runMain(name: string, main: () => Promise<number | void>): void {
  main().then(
    (code) => {
      process.exitCode = code ?? 0;
    },
    (err: unknown) => {
      if (err instanceof KnobError) {
        console.error(`[${name}] ${err.message}`);
        process.exitCode = 2;
        return;
      }
      console.error(`[${name}]`, err);
      process.exitCode = 1;
    },
  );
}

/** True when the module at `metaUrl` is the script node was started with. */
export function isMain(metaUrl: string): boolean {
  const arg = process.argv[1];
  if (arg === undefined) return false;
  return new URL(metaUrl).pathname === arg || new URL(metaUrl).pathname === `${arg}.js`;
}
