/**
 * Prometheus exposition (prom-client registry). The hot path never touches prom-client: it bumps
 * plain counters and records into HDR histograms; every metric here is a read callback evaluated
 * at scrape time.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import { type LatencyHistogram, PROM_BUCKETS_SEC } from '../lib/latency.js';

type Labels = Record<string, string>;
type MetricType = 'gauge' | 'counter' | 'histogram';

interface MetricValue {
  value: number;
  labels?: Labels;
  metricName?: string;
}

/** Minimal object that prom-client's Registry accepts as a metric. */
interface ScrapedMetric {
  name: string;
  help: string;
  type: MetricType;
  aggregator: 'sum' | 'max' | 'omit';
  get(): { name: string; help: string; type: MetricType; aggregator: string; values: MetricValue[] };
  reset(): void;
}

export class MetricsRegistry {
  readonly prom = new Registry();

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.prom });
  }

  private add(name: string, help: string, type: MetricType, values: () => MetricValue[]): void {
    const metric: ScrapedMetric = {
      name,
      help,
      type,
      aggregator: type === 'gauge' ? 'max' : 'sum',
      get: () => ({ name, help, type, aggregator: metric.aggregator, values: values() }),
      reset: () => {},
    };
    this.prom.registerMetric(metric as never);
  }

  gauge(name: string, help: string, read: () => number): void {
    this.add(name, help, 'gauge', () => [{ value: read() }]);
  }

  counter(name: string, help: string, read: () => number): void {
    this.add(name, help, 'counter', () => [{ value: read() }]);
  }

  /** A labelled family; `read` returns one entry per label set. */
  family(name: string, help: string, type: 'gauge' | 'counter', read: () => Array<[Labels, number]>): void {
    this.add(name, help, type, () => read().map(([labels, value]) => ({ labels, value })));
  }

  /** Exposes p50/p99/p999 of a latency histogram as the original's `<prefix>_p50_us` style gauges. */
  percentiles(prefix: string, help: string, h: LatencyHistogram, ps: ReadonlyArray<[string, number]> = DEFAULT_PS): void {
    for (const [suffix, p] of ps) this.gauge(`${prefix}_${suffix}_us`, `${help} (${suffix}, microseconds)`, () => h.percentileUs(p));
  }

  /**
   * A real Prometheus histogram (seconds) derived from HDR histograms at scrape time, so that it
   * can be aggregated across instances with histogram_quantile(). One series per label set.
   */
  histogram(name: string, help: string, series: ReadonlyArray<[Labels, LatencyHistogram]>): void {
    this.add(name, help, 'histogram', () => {
      const out: MetricValue[] = [];
      for (const [labels, h] of series) {
        const { cumulative, sumSec, count } = h.prometheus(PROM_BUCKETS_SEC);
        PROM_BUCKETS_SEC.forEach((le, i) => out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: String(le) }, value: cumulative[i]! }));
        out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count });
        out.push({ metricName: `${name}_sum`, labels, value: sumSec });
        out.push({ metricName: `${name}_count`, labels, value: count });
      }
      return out;
    });
  }

  async text(): Promise<string> {
    return this.prom.metrics();
  }

  get contentType(): string {
    return this.prom.contentType;
  }
}

const DEFAULT_PS: ReadonlyArray<[string, number]> = [
  ['p50', 50],
  ['p99', 99],
];
