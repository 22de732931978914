/** Starting and stopping the processes a benchmark measures. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface Started {
  proc: ChildProcess;
  port: number;
  tcpPort: number;
  stop(): Promise<number | null>;
}

/**
 * Spawns `node <args>` and waits for a stdout line `{"msg":"ready","httpPort":N}`.
 * A gateway (`dist/src/main.js`) started without GATEWAY_DATA_DIR gets a fresh temporary data
 * directory, removed when it exits: runs never replay each other's journals.
 */
export function startNode(args: string[], env: Record<string, string>, nodeFlags: string[] = []): Promise<Started> {
  let tempDir: string | null = null;
  if (args[0]?.endsWith(join('dist', 'src', 'main.js')) && env.GATEWAY_DATA_DIR === undefined) {
    tempDir = mkdtempSync(join(tmpdir(), 'sy-bench-data-'));
    env = { ...env, GATEWAY_DATA_DIR: tempDir };
  }
  // benchmarks measure the gateway alone: no back office beside it unless asked for
  if (args[0]?.endsWith(join('dist', 'src', 'main.js')) && env.BACKOFFICE_ENABLE === undefined) env = { ...env, BACKOFFICE_ENABLE: '0' };
  const proc = spawn(process.execPath, [...nodeFlags, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
  if (tempDir !== null) {
    const dir = tempDir;
    void exited.then(() => rmSync(dir, { recursive: true, force: true }));
  }
  return new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (!line.includes('"msg":"ready"')) return;
      const ready = JSON.parse(line) as { httpPort: number; tcpPort?: number };
      resolve({
        proc,
        port: ready.httpPort,
        tcpPort: ready.tcpPort ?? 0,
        stop: () => {
          proc.kill('SIGTERM');
          return exited;
        },
      });
    });
    void exited.then((code) => reject(new Error(`${args.join(' ')} exited with ${code} before it was ready`)));
  });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU time (user, system; seconds) of each thread of a process, from /proc (Linux). */
export type ThreadCpu = Map<number, { user: number; sys: number }>;

export function threadCpu(pid: number): ThreadCpu {
  const out: ThreadCpu = new Map();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out; // not Linux, or gone
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime (fields 14 and 15 of stat) in clock ticks of 1/100 s
      out.set(Number(tid), { user: Number(f[11]) / 100, sys: Number(f[12]) / 100 });
    } catch {
      // thread ended meanwhile
    }
  }
  return out;
}

/**
 * CPU microseconds per request between two readings: the main thread (user and system) and all
 * other threads together (workers, GC helpers, libuv pool).
 */
export function cpuPerRequest(pid: number, before: ThreadCpu, after: ThreadCpu, requests: number): { mainUserUs: number; mainSysUs: number; otherUs: number } {
  let mainUser = 0;
  let mainSys = 0;
  let other = 0;
  for (const [tid, a] of after) {
    const b = before.get(tid) ?? { user: 0, sys: 0 };
    if (tid === pid) {
      mainUser = a.user - b.user;
      mainSys = a.sys - b.sys;
    } else {
      other += a.user - b.user + (a.sys - b.sys);
    }
  }
  const per = (s: number) => (requests > 0 ? Math.round((s * 1e7) / requests) / 10 : 0);
  return { mainUserUs: per(mainUser), mainSysUs: per(mainSys), otherUs: per(other) };
}
