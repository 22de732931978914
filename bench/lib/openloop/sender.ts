/**
 * The open-loop sender: pre-encoded requests written on raw keep-alive sockets at intended
 * times, answers framed by a minimal response parser, latencies recorded from the intended send
 * time (coordinated-omission correction, as src/loadgen/ does and docs/loadgen.md explains).
 *
 * Owning thread: a dedicated worker thread (sender-worker.ts), so that nothing else of the
 * benchmark — result handling, child processes, the main thread's GC — shares its event loop.
 * `runSender` also runs inline for comparison (bench/openloop-calibrate.ts).
 *
 * Timing: request i is intended at start + i / rate. The loop sleeps with setTimeout while the
 * next send is more than SPIN_BELOW_US away and polls with setImmediate (I/O still runs) for the
 * last stretch, because timers are only millisecond-accurate. Every request whose time has come
 * is dispatched at once; its dispatch lateness is the generator's own send lag. HTTP/1.1 does not
 * pipeline here: each connection carries one request at a time, and a request due while every
 * connection is busy waits in a FIFO, as with any client connection pool. That wait is part of
 * its latency (it is from the intended time) and is reported apart as `queueWaitUs`.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { build, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import { RequestEncoder } from './request-encoder.js';
import { ResponseParser } from './response-parser.js';
import { TICK_WORKER_SOURCE } from './tick-worker.js';

export interface SenderConfig {
  host: string;
  port: number;
  path: string;
  tokens: string[];
  runId: string;
  ratePerSec: number;
  durationSec: number;
  warmupSec: number;
  connections: number;
  drainTimeoutSec: number;
  /**
   * `timer`: a clock thread (tick-worker.ts) sleeps until each send time and wakes this thread;
   * `spin`: this thread polls with setImmediate when the next send is closer than spinBelowUs.
   */
  mode: 'timer' | 'spin';
  /** spin mode: poll with setImmediate when the next send is closer than this (µs) */
  spinBelowUs: number;
  /** the order sent (request-encoder.ts); default `limit` */
  order?: 'limit' | 'market';
}

export interface LatencyStats {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export interface SenderResult {
  targetRps: number;
  scheduled: number;
  sent: number;
  completed: number;
  accepted: number;
  timedOut: number;
  errors: number;
  byStatus: Record<string, number>;
  byReason: Record<string, number>;
  offeredRps: number;
  completedRps: number;
  /** latency from intended send time, all answers / accepted (2xx) only, µs */
  latencyUs: LatencyStats;
  acceptedLatencyUs: LatencyStats;
  /** the generator's own lateness in dispatching requests against the schedule, µs */
  sendLagUs: LatencyStats;
  /** wait for a free connection after dispatch, µs */
  queueWaitUs: LatencyStats;
  reconnects: number;
  /** HdrHistogram, compressed base64, ns */
  histograms: { all: string; sendLag: string };
}

export function newHistogram(): Histogram {
  return build({ useWebAssembly: false, bitBucketSize: 32, lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
}

export function stats(h: Histogram): LatencyStats {
  if (h.totalCount === 0) return { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
  const us = (ns: number) => Math.round(ns) / 1000;
  return { count: h.totalCount, p50: us(h.getValueAtPercentile(50)), p90: us(h.getValueAtPercentile(90)), p99: us(h.getValueAtPercentile(99)), p999: us(h.getValueAtPercentile(99.9)), max: us(h.maxValue), mean: us(h.mean) };
}

interface Conn {
  sock: Socket | null;
  /** index of the request on the wire, −1 when idle */
  current: number;
  parser: ResponseParser;
}

/** Atomics.waitAsync (Node ≥ 16; not in TypeScript's ES2022 lib). */
interface WaitAsync {
  waitAsync(a: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
}

const nowNs = (): number => performance.now() * 1e6;
const rec = (h: Histogram, ns: number): void => h.recordValue(Math.max(1, Math.round(ns)));

export function runSender(cfg: SenderConfig): Promise<SenderResult> {
  const enc = new RequestEncoder({ host: cfg.host, port: cfg.port, path: cfg.path, tokens: cfg.tokens, runId: cfg.runId, order: cfg.order });
  const intervalNs = 1e9 / cfg.ratePerSec;
  const warmup = Math.floor(cfg.ratePerSec * cfg.warmupSec);
  const total = warmup + Math.floor(cfg.ratePerSec * cfg.durationSec);
  const all = newHistogram();
  const acc = newHistogram();
  const lag = newHistogram();
  const qwait = newHistogram();
  const byStatus = new Map<string, number>();
  const byReason = new Map<string, number>();
  const dispatchedAt = new Float64Array(total);
  let start = 0;
  let next = 0;
  let sent = 0;
  let completed = 0;
  let accepted = 0;
  let timedOut = 0;
  let errors = 0;
  let reconnects = 0;
  let lastSendNs = 0;
  let lastDoneNs = 0;
  let outstanding = 0;
  let draining = false;
  let finished = false;
  let started = false;
  let up = 0;
  const queue: number[] = [];
  let qHead = 0;
  const free: Conn[] = [];
  const conns: Conn[] = [];
  const intended = (i: number): number => start + i * intervalNs;
  const count = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);

  return new Promise<SenderResult>((resolve, reject) => {
    const finish = (): void => {
      if (finished) return;
      finished = true;
      stopClock();
      for (const c of conns) c.sock?.destroy();
      const t0 = intended(warmup);
      const measured = total - warmup;
      const sendWindow = lastSendNs > t0 ? (lastSendNs - t0 + intervalNs) / 1e9 : 0;
      const doneWindow = lastDoneNs > t0 ? (lastDoneNs - t0) / 1e9 : 0;
      resolve({
        targetRps: cfg.ratePerSec,
        scheduled: measured,
        sent,
        completed,
        accepted,
        timedOut,
        errors,
        byStatus: Object.fromEntries(byStatus),
        byReason: Object.fromEntries(byReason),
        offeredRps: sendWindow > 0 ? Math.round((sent / sendWindow) * 10) / 10 : 0,
        completedRps: doneWindow > 0 ? Math.round((completed / doneWindow) * 10) / 10 : 0,
        latencyUs: stats(all),
        acceptedLatencyUs: stats(acc),
        sendLagUs: stats(lag),
        queueWaitUs: stats(qwait),
        reconnects,
        histograms: { all: encodeIntoCompressedBase64(all), sendLag: encodeIntoCompressedBase64(lag) },
      });
    };

    const settle = (i: number, status: string, reason: string | null, ok: boolean): void => {
      outstanding--;
      const t = nowNs();
      if (i >= warmup) {
        completed++;
        lastDoneNs = t;
        const l = t - intended(i);
        rec(all, l);
        if (ok) {
          accepted++;
          rec(acc, l);
        }
        count(byStatus, status);
        if (reason !== null) count(byReason, reason);
      }
      if (draining && outstanding === 0) finish();
    };

    const write = (c: Conn, i: number): void => {
      c.current = i;
      if (i >= warmup) rec(qwait, nowNs() - dispatchedAt[i]!);
      c.sock!.write(enc.encode(i));
    };

    const release = (c: Conn): void => {
      c.current = -1;
      if (qHead < queue.length) {
        write(c, queue[qHead++]!);
        if (qHead > 4096 && qHead * 2 > queue.length) {
          queue.splice(0, qHead);
          qHead = 0;
        }
      } else free.push(c);
    };

    const open = (c: Conn): void => {
      const s = connect({ host: cfg.host, port: cfg.port, noDelay: true });
      c.sock = s;
      s.on('connect', () => {
        if (c.sock !== s) return;
        release(c);
        if (!started && ++up === cfg.connections) {
          started = true;
          start = nowNs() + 20e6;
          startClock();
        }
      });
      s.on('data', (d: Buffer) => {
        try {
          c.parser.feed(d);
        } catch {
          s.destroy();
        }
      });
      s.on('error', (e) => {
        if (started || finished) return; // counted when the connection closes
        finished = true;
        for (const cc of conns) cc.sock?.destroy();
        reject(Object.assign(new Error(`open-loop sender: cannot connect to ${cfg.host}:${cfg.port}: ${e.message}`), { cause: e }));
      });
      s.on('close', () => {
        if (c.sock !== s) return;
        c.sock = null;
        const i = c.current;
        const k = free.indexOf(c);
        if (k >= 0) free.splice(k, 1);
        if (i >= 0) {
          c.current = -1;
          errors += i >= warmup ? 1 : 0;
          settle(i, 'ERROR', 'ECONNRESET', false);
        }
        if (!finished) {
          reconnects++;
          c.parser = newParser(c);
          setTimeout(() => !finished && open(c), 10);
        }
      });
    };

    const newParser = (c: Conn): ResponseParser =>
      new ResponseParser((status, body) => {
        const i = c.current;
        if (i < 0) return; // an answer nobody asked for: ignore
        const ok = status >= 200 && status < 300;
        let reason: string | null = null;
        if (!ok && body !== null) {
          const m = /"(?:reason|error)":"([^"]{1,64})"/.exec(body.toString('utf8'));
          reason = m ? m[1]! : null;
        }
        settle(i, String(status), reason, ok);
        release(c);
      });

    const dispatch = (i: number, t: number): void => {
      dispatchedAt[i] = t;
      outstanding++;
      if (i >= warmup) {
        sent++;
        lastSendNs = t;
        rec(lag, t - intended(i));
      }
      const c = free.pop();
      if (c !== undefined) write(c, i);
      else queue.push(i);
    };

    const spinNs = cfg.spinBelowUs * 1000;
    const pump = (): void => {
      if (finished) return;
      let t = nowNs();
      while (next < total && intended(next) <= t) {
        dispatch(next++, t);
        t = nowNs();
      }
      if (next >= total) return startDrain();
      if (cfg.mode === 'timer') return void waitTick();
      const wait = intended(next) - t;
      if (wait > spinNs) setTimeout(pump, Math.floor((wait - spinNs / 2) / 1e6));
      else setImmediate(pump);
    };

    // Timer mode: the clock thread publishes how many requests are due; wake on each change.
    const tickCell = new Int32Array(new SharedArrayBuffer(8));
    let seen = 0;
    const waitTick = (): void => {
      const w = (Atomics as unknown as WaitAsync).waitAsync(tickCell, 0, seen);
      if (w.async) void w.value.then(onTick);
      else setImmediate(onTick);
    };
    const onTick = (): void => {
      seen = Atomics.load(tickCell, 0);
      pump();
    };
    const startClock = (): void => {
      if (cfg.mode !== 'timer') return void setTimeout(pump, 15);
      const clock = new Worker(TICK_WORKER_SOURCE, {
        eval: true,
        workerData: { sab: tickCell.buffer, startAbsMs: performance.timeOrigin + start / 1e6, intervalMs: intervalNs / 1e6, total },
      });
      clock.on('error', (e) => {
        if (!finished) {
          finished = true;
          reject(e);
        }
      });
      stopClock = () => {
        Atomics.store(tickCell, 1, 1);
        void clock.terminate();
      };
      waitTick();
    };
    let stopClock = (): void => undefined;

    const startDrain = (): void => {
      draining = true;
      if (outstanding === 0) return finish();
      setTimeout(() => {
        if (finished) return;
        const deadline = nowNs();
        const pending = [...conns.filter((c) => c.current >= 0).map((c) => c.current), ...queue.slice(qHead)];
        for (const i of pending) {
          if (i < warmup) continue;
          timedOut++;
          rec(all, deadline - intended(i));
          count(byStatus, 'TIMEOUT');
        }
        finish();
      }, cfg.drainTimeoutSec * 1000);
    };

    // Connect everything first; the schedule starts 20 ms after the last connection is up.
    for (let k = 0; k < cfg.connections; k++) {
      const c: Conn = { sock: null, current: -1, parser: null as unknown as ResponseParser };
      c.parser = newParser(c);
      conns.push(c);
      open(c);
    }
  });
}
