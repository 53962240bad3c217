import { systemClock, type Clock } from '../ports/clock.port.js';
import type { Logger } from './logger.js';
import type { CountName, MetricsSink, TimingName, WorkerMetrics } from './metrics.js';

/*
 * CloudWatch Embedded Metric Format: every interval (and on flush/close) ONE JSON line whose `_aws`
 * directive tells CloudWatch Logs to extract the seeds' metrics from the same object
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
 * - Counters are the deltas since the previous line (Count), zeros included, so "no DLQ sends"
 *   is a data point rather than missing data.
 * - Timings are the interval's samples in milliseconds as an EMF value array (CloudWatch computes
 *   avg/max/percentiles from it). The spec allows 100 values per array: past that we send 100
 *   evenly spaced order statistics (the first is the minimum, the last the maximum).
 * - Gauges (MemoryUtilization, HealthCheckStatus) are read at flush time.
 * - `Breakdown` (not a metric, searchable in Logs Insights) carries the label detail that
 *   Prometheus has as labels; it is not extracted, so it costs no custom metrics.
 */

export const DEFAULT_EMF_NAMESPACE = 'FileSearch/Worker';
export const DEFAULT_EMF_INTERVAL_MS = 60_000;
/** Per the spec: at most 100 values in a metric's value array, 100 metrics per directive. */
export const EMF_MAX_VALUES = 100;

const COUNT_NAMES: readonly CountName[] = ['FilesProcessed', 'ProcessingErrors', 'DLQMessagesSent', 'MessagesRequeued', 'WorkerRestart', 'SpotInterruption'];
const TIMING_NAMES: readonly TimingName[] = ['ProcessingTime', 'DownloadTime', 'ExtractTime', 'OcrTime', 'IndexTime'];
const BREAKDOWN_NAMES: readonly CountName[] = ['FilesProcessed', 'ProcessingErrors', 'DLQMessagesSent', 'MessagesRequeued'];

export type EmfUnit = 'Count' | 'Milliseconds' | 'Percent' | 'None';

export interface EmfMetricDefinition {
  readonly Name: string;
  readonly Unit: EmfUnit;
}

export interface EmfRecord {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly [{ readonly Namespace: string; readonly Dimensions: readonly (readonly string[])[]; readonly Metrics: readonly EmfMetricDefinition[] }];
  };
  readonly [member: string]: unknown;
}

export type EmfOutput = ((line: string) => void) | { write(chunk: string): unknown };

export interface EmfEmitterOptions {
  readonly metrics: Pick<WorkerMetrics, 'addSink' | 'gauges'>;
  /** Destination of the lines: a function or a stream (kept apart from pino's buffered logger). */
  readonly output: EmfOutput;
  /** The value of the WorkerId dimension: keep it stable per machine (instance id or host name). */
  readonly workerId: string;
  readonly namespace?: string;
  readonly intervalMs?: number;
  readonly clock?: Clock;
  readonly logger?: Pick<Logger, 'warn'>;
  /** Raw timing samples kept per interval and name (reservoir sampling past it); default 10,000. */
  readonly maxSamples?: number;
  /** 0..1, injectable for tests of the reservoir. */
  readonly random?: () => number;
}

interface Window {
  counts: Map<CountName, number>;
  breakdown: Map<CountName, Map<string, number>>;
  timings: Map<TimingName, { samples: number[]; seen: number }>;
}

export class EmfEmitter implements MetricsSink {
  private readonly namespace: string;
  private readonly intervalMs: number;
  private readonly clock: Clock;
  private readonly maxSamples: number;
  private readonly random: () => number;
  private window: Window = emptyWindow();
  private detach: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private warned = false;

  constructor(private readonly options: EmfEmitterOptions) {
    this.namespace = options.namespace ?? DEFAULT_EMF_NAMESPACE;
    if (this.namespace.length < 1 || this.namespace.length > 255) throw new RangeError('EMF namespace must be 1–255 characters');
    if (options.workerId.length < 1) throw new RangeError('EMF WorkerId must not be empty');
    this.intervalMs = options.intervalMs ?? DEFAULT_EMF_INTERVAL_MS;
    if (!(this.intervalMs > 0)) throw new RangeError('EMF interval must be positive');
    this.clock = options.clock ?? systemClock;
    this.maxSamples = options.maxSamples ?? 10_000;
    this.random = options.random ?? Math.random;
  }

  /** Subscribes to the metrics and starts the interval timer (unref'd: it never keeps the process up). */
  start(): void {
    if (this.detach !== undefined || this.closing !== undefined) return;
    this.detach = this.options.metrics.addSink(this);
    this.timer = setInterval(() => this.flush(), this.intervalMs);
    this.timer.unref();
  }

  count(name: CountName, label: string | undefined): void {
    const w = this.window;
    w.counts.set(name, (w.counts.get(name) ?? 0) + 1);
    if (label === undefined) return;
    let labels = w.breakdown.get(name);
    if (labels === undefined) {
      labels = new Map();
      w.breakdown.set(name, labels);
    }
    labels.set(label, (labels.get(label) ?? 0) + 1);
  }

  timing(name: TimingName, milliseconds: number): void {
    let t = this.window.timings.get(name);
    if (t === undefined) {
      t = { samples: [], seen: 0 };
      this.window.timings.set(name, t);
    }
    t.seen += 1;
    if (t.samples.length < this.maxSamples) {
      t.samples.push(milliseconds);
      return;
    }
    // Algorithm R: every sample of the interval has the same chance to be kept.
    const slot = Math.floor(this.random() * t.seen);
    if (slot < this.maxSamples) t.samples[slot] = milliseconds;
  }

  /** Writes one line with everything since the previous flush, then starts a new interval. Never throws. */
  flush(): void {
    const window = this.window;
    this.window = emptyWindow();
    let line: string;
    try {
      line = JSON.stringify(buildEmfRecord({ window, gauges: this.options.metrics.gauges(), namespace: this.namespace, workerId: this.options.workerId, timestamp: this.clock.now() }));
    } catch (error) {
      this.warnOnce(error);
      return;
    }
    try {
      const { output } = this.options;
      if (typeof output === 'function') output(line + '\n');
      else output.write(line + '\n');
    } catch (error) {
      this.warnOnce(error);
    }
  }

  /** Stops the timer, writes the last interval and unsubscribes. Idempotent. */
  close(): Promise<void> {
    this.closing ??= Promise.resolve().then(() => {
      if (this.timer !== undefined) clearInterval(this.timer);
      this.timer = undefined;
      this.detach?.();
      this.detach = undefined;
      this.flush();
    });
    return this.closing;
  }

  private warnOnce(error: unknown): void {
    if (this.warned) return;
    this.warned = true;
    this.options.logger?.warn({ event: 'emf_write_failed', error: error instanceof Error ? error.message : String(error) });
  }
}

function emptyWindow(): Window {
  return { counts: new Map(), breakdown: new Map(), timings: new Map() };
}

function buildEmfRecord(input: {
  window: Window;
  gauges: { MemoryUtilization: number; HealthCheckStatus: number };
  namespace: string;
  workerId: string;
  timestamp: number;
}): EmfRecord {
  const { window } = input;
  const metrics: EmfMetricDefinition[] = [];
  const values: Record<string, number | number[]> = {};
  for (const name of COUNT_NAMES) {
    metrics.push({ Name: name, Unit: 'Count' });
    values[name] = window.counts.get(name) ?? 0;
  }
  for (const name of TIMING_NAMES) {
    const samples = window.timings.get(name)?.samples;
    if (samples === undefined || samples.length === 0) continue; // an empty value array is not a value
    metrics.push({ Name: name, Unit: 'Milliseconds' });
    values[name] = compress(samples, EMF_MAX_VALUES).map(round3);
  }
  metrics.push({ Name: 'MemoryUtilization', Unit: 'Percent' }, { Name: 'HealthCheckStatus', Unit: 'None' });
  values['MemoryUtilization'] = input.gauges.MemoryUtilization;
  values['HealthCheckStatus'] = input.gauges.HealthCheckStatus;
  const breakdown: Record<string, Record<string, number>> = {};
  for (const name of BREAKDOWN_NAMES) {
    const labels = window.breakdown.get(name);
    if (labels !== undefined) breakdown[name] = Object.fromEntries(labels);
  }
  return {
    _aws: {
      Timestamp: Math.trunc(input.timestamp),
      CloudWatchMetrics: [{ Namespace: input.namespace, Dimensions: [['WorkerId']], Metrics: metrics }],
    },
    WorkerId: input.workerId,
    ...values,
    Breakdown: breakdown,
  };
}

/** At most `max` values: the samples themselves, or `max` evenly spaced order statistics (min and max kept). */
export function compress(samples: readonly number[], max: number): number[] {
  if (samples.length <= max) return [...samples];
  const sorted = [...samples].sort((a, b) => a - b);
  const out: number[] = [];
  for (let i = 0; i < max; i++) out.push(sorted[Math.round((i * (sorted.length - 1)) / (max - 1))] as number);
  return out;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
