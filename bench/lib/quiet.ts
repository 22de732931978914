/**
 * Which processes use the CPU right now (from /proc, over a sampling interval — `ps`'s %CPU is a
 * lifetime average), and waiting for a quiet machine before a comparison (the original's
 * `_when_quiet` variant, which watched Spotlight and Chrome on macOS; here: any process not ours).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { num, flag } from './env.js';
import { sleep } from './proc.js';

export interface ProcCpu {
  pid: number;
  comm: string;
  /** CPU share over the interval, per cent of one core */
  pct: number;
}

/** pid, command name and CPU ticks (utime + stime) from one /proc/<pid>/stat line. */
export function parseProcStat(line: string): { pid: number; comm: string; ticks: number } | null {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const f = line.slice(close + 2).split(' ');
  const ticks = Number(f[11]) + Number(f[12]);
  const pid = Number(line.slice(0, open).trim());
  if (!Number.isFinite(ticks) || !Number.isInteger(pid)) return null;
  return { pid, comm: line.slice(open + 1, close), ticks };
}

function readAll(): Map<number, { comm: string; ticks: number }> {
  const out = new Map<number, { comm: string; ticks: number }>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return out; // not Linux
  }
  for (const p of pids) {
    try {
      const s = parseProcStat(readFileSync(`/proc/${p}/stat`, 'utf8'));
      if (s !== null) out.set(s.pid, { comm: s.comm, ticks: s.ticks });
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

/** CPU use of every process over `ms`, busiest first (clock ticks of 1/100 s). */
export async function sampleCpu(ms: number): Promise<ProcCpu[]> {
  const a = readAll();
  await sleep(ms);
  const b = readAll();
  const out: ProcCpu[] = [];
  for (const [pid, v] of b) {
    const before = a.get(pid);
    if (before === undefined) continue;
    out.push({ pid, comm: v.comm, pct: ((v.ticks - before.ticks) / (ms / 1000)) });
  }
  return out.sort((x, y) => y.pct - x.pct);
}

/** The processes above `threshold` % that are not this benchmark (nor a gateway or wrk it runs). */
export function busyOthers(sample: ProcCpu[], threshold: number, ownPids: ReadonlySet<number>): ProcCpu[] {
  return sample.filter((p) => p.pct >= threshold && !ownPids.has(p.pid));
}

/**
 * Waits until QUIET_POLLS (5) consecutive 2 s samples show no other process at or above
 * QUIET_CPU_THRESHOLD (20 %), for at most QUIET_MAX_WAIT_SEC (300). Returns true when quiet,
 * or when the wait timed out with RUN_ON_TIMEOUT=1; false otherwise (the caller exits 3).
 */
export async function waitForQuiet(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const threshold = num('QUIET_CPU_THRESHOLD', 20, { min: 0 }, env);
  const polls = num('QUIET_POLLS', 5, { min: 1, integer: true }, env);
  const maxWait = num('QUIET_MAX_WAIT_SEC', 300, { min: 0 }, env);
  const runOnTimeout = flag('RUN_ON_TIMEOUT', false, env);
  const own = new Set([process.pid]);
  const t0 = Date.now();
  let streak = 0;
  while ((Date.now() - t0) / 1000 < maxWait) {
    const busy = busyOthers(await sampleCpu(2000), threshold, own);
    streak = busy.length === 0 ? streak + 1 : 0;
    console.error(`[quiet] ${busy.length === 0 ? `quiet (${streak}/${polls})` : `busy: ${busy.slice(0, 3).map((p) => `${p.comm}[${p.pid}] ${p.pct.toFixed(0)}%`).join(', ')}`}`);
    if (streak >= polls) return true;
  }
  console.error(`[quiet] no quiet phase within ${maxWait} s${runOnTimeout ? '; running anyway (RUN_ON_TIMEOUT=1)' : ' (RUN_ON_TIMEOUT=1 runs anyway)'}`);
  return runOnTimeout;
}
