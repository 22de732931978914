/**
 * Environment parsing primitives. Every reader either returns a valid value or throws a
 * {@link ConfigError} naming the variable: nothing falls back silently to a default when a value
 * is present but wrong.
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Returns the trimmed value, or undefined when unset or blank. */
export function raw(env: Env, name: string): string | undefined {
  const v = env[name];
  if (v === undefined) return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

export function str(env: Env, name: string, def: string): string {
  return raw(env, name) ?? def;
}

export interface IntOpts {
  min?: number;
  max?: number;
}

export function int(env: Env, name: string, def: number, opts: IntOpts = {}): number {
  const v = raw(env, name);
  if (v === undefined) return def;
  if (!/^-?\d+$/.test(v)) throw new ConfigError(name, `expected an integer, got ${JSON.stringify(v)}`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new ConfigError(name, `integer out of range: ${v}`);
  checkRange(name, n, opts);
  return n;
}

export function num(env: Env, name: string, def: number, opts: IntOpts = {}): number {
  const v = raw(env, name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) {
    throw new ConfigError(name, `expected a number, got ${JSON.stringify(v)}`);
  }
  checkRange(name, n, opts);
  return n;
}

function checkRange(name: string, n: number, { min, max }: IntOpts): void {
  if (min !== undefined && n < min) throw new ConfigError(name, `must be >= ${min}, got ${n}`);
  if (max !== undefined && n > max) throw new ConfigError(name, `must be <= ${max}, got ${n}`);
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

export function bool(env: Env, name: string, def: boolean): boolean {
  const v = raw(env, name);
  if (v === undefined) return def;
  const l = v.toLowerCase();
  if (TRUE.has(l)) return true;
  if (FALSE.has(l)) return false;
  throw new ConfigError(name, `expected one of 1/true/yes/on or 0/false/no/off, got ${JSON.stringify(v)}`);
}

export function oneOf<T extends string>(env: Env, name: string, def: T, allowed: readonly T[]): T {
  const v = raw(env, name);
  if (v === undefined) return def;
  const l = v.toLowerCase() as T;
  if (!allowed.includes(l)) {
    throw new ConfigError(name, `expected one of ${allowed.join('|')}, got ${JSON.stringify(v)}`);
  }
  return l;
}

export function list(env: Env, name: string): string[] {
  const v = raw(env, name);
  if (v === undefined) return [];
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
