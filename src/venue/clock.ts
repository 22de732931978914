/**
 * The real clock of the venue layer, in epoch microseconds with sub-millisecond resolution. Only
 * the edges use it (the simulator's worker, the FIX acceptor); the simulator's core takes the time
 * as an argument.
 */
export function epochUs(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}
