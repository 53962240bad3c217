import os from 'node:os';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ErrorClass, ErrorCode, Stage } from '../domain/errors.js';

/*
 * The worker's metrics, under the seeds' names (SPEC §5), kept in two shapes at once:
 * - Prometheus, in a registry of our own (never prom-client's global one, so two workers in one
 *   process or a test never share counters), scraped from GET /metrics;
 * - a stream of events to sinks (the CloudWatch EMF emitter, ./emf.ts), which turns them into
 *   per-interval deltas and timing samples.
 *
 * Seed name          → Prometheus name                          type       labels
 * FilesProcessed     → filesearch_files_processed_total         counter    outcome, type
 * ProcessingTime     → filesearch_processing_time_seconds       histogram  —  (per message, successful ones)
 * StageTime          → filesearch_stage_time_seconds            histogram  stage (download|extract|ocr|index)
 * ProcessingErrors   → filesearch_processing_errors_total       counter    code, error_class, stage
 * DLQMessagesSent    → filesearch_dlq_messages_sent_total       counter    reason
 * MessagesRequeued   → filesearch_messages_requeued_total       counter    reason
 * MemoryUtilization  → filesearch_memory_utilization_percent    gauge      —
 * HealthCheckStatus  → filesearch_health_check_status           gauge      —  (1 healthy, 0 not)
 * WorkerRestart      → filesearch_worker_restart_total          counter    —
 * SpotInterruption   → filesearch_spot_interruption_total       counter    —
 * plus prom-client's default process metrics, prefixed filesearch_ (filesearch_process_cpu_seconds_total, …).
 * Every help text starts with the seed name, so a scrape can be read against the spec.
 */

export const StageNames = { Download: 'download', Extract: 'extract', Ocr: 'ocr', Index: 'index' } as const;
export type StageName = (typeof StageNames)[keyof typeof StageNames];

export type ProcessedOutcome = 'indexed' | 'removed' | 'ignored';

/** Counters as CloudWatch sees them (one number per interval). */
export type CountName = 'FilesProcessed' | 'ProcessingErrors' | 'DLQMessagesSent' | 'MessagesRequeued' | 'WorkerRestart' | 'SpotInterruption';
/** Timings as CloudWatch sees them (milliseconds); the stage timings get one name each. */
export type TimingName = 'ProcessingTime' | 'DownloadTime' | 'ExtractTime' | 'OcrTime' | 'IndexTime';

/** Receives every recorded event; must not throw (it runs on the worker's hot path). */
export interface MetricsSink {
  /** `label` summarises the Prometheus labels (e.g. 'indexed:pdf'); undefined for unlabelled counters. */
  count(name: CountName, label: string | undefined): void;
  timing(name: TimingName, milliseconds: number): void;
  /** Each failure with its object key (the dashboard's recent failures); optional. */
  failed?(event: FailedEvent): void;
}

export interface ProcessedEvent {
  readonly outcome: ProcessedOutcome;
  /** Detected MIME type or extension family ('application/pdf', 'text'); 'unknown' when absent. */
  readonly type?: string;
  /** Receive-to-settle time of the message. */
  readonly seconds: number;
  readonly stages?: { readonly downloadMs?: number; readonly extractMs?: number; readonly ocrMs?: number; readonly indexMs?: number };
}

export interface FailedEvent {
  readonly code: ErrorCode;
  readonly errorClass: ErrorClass;
  readonly stage: Stage;
  /** The object key, when the failure is about one file. */
  readonly key?: string;
}

export interface MemorySample {
  readonly rssBytes: number;
  readonly limitBytes: number;
}

export interface WorkerMetricsOptions {
  /** prom-client's default process metrics (CPU, heap, event loop lag, GC); default true. */
  readonly defaultMetrics?: boolean;
  /** Injectable for tests; default `processMemory`. */
  readonly memory?: () => MemorySample;
  /** Distinct values kept per label before further ones become 'other' (bounds series count). */
  readonly maxLabelValues?: number;
}

const SECONDS_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const STAGE_TIMINGS: readonly (readonly [keyof NonNullable<ProcessedEvent['stages']>, StageName, TimingName])[] = [
  ['downloadMs', 'download', 'DownloadTime'],
  ['extractMs', 'extract', 'ExtractTime'],
  ['ocrMs', 'ocr', 'OcrTime'],
  ['indexMs', 'index', 'IndexTime'],
];

export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly filesProcessed: Counter<'outcome' | 'type'>;
  private readonly processingTime: Histogram;
  private readonly stageTime: Histogram<'stage'>;
  private readonly processingErrors: Counter<'code' | 'error_class' | 'stage'>;
  private readonly dlqMessagesSent: Counter<'reason'>;
  private readonly messagesRequeued: Counter<'reason'>;
  private readonly memoryUtilization: Gauge;
  private readonly healthCheckStatus: Gauge;
  private readonly workerRestart: Counter;
  private readonly spotInterruptionCounter: Counter;
  private readonly sinks = new Set<MetricsSink>();
  private readonly labels: LabelGuard;
  private readonly memory: () => MemorySample;
  private memoryPercent = 0;
  private healthy = false;

  constructor(options: WorkerMetricsOptions = {}) {
    const registers = [this.registry];
    this.memory = options.memory ?? processMemory;
    this.labels = new LabelGuard(options.maxLabelValues ?? 50);
    this.filesProcessed = new Counter({
      name: 'filesearch_files_processed_total',
      help: 'FilesProcessed: messages settled without failure, by outcome (indexed|removed|ignored) and detected type',
      labelNames: ['outcome', 'type'],
      registers,
    });
    this.processingTime = new Histogram({
      name: 'filesearch_processing_time_seconds',
      help: 'ProcessingTime: seconds from receive to settle per successfully processed message',
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.stageTime = new Histogram({
      name: 'filesearch_stage_time_seconds',
      help: 'StageTime: seconds spent per pipeline stage (download|extract|ocr|index) per message',
      labelNames: ['stage'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.processingErrors = new Counter({
      name: 'filesearch_processing_errors_total',
      help: 'ProcessingErrors: failures by error code, class (transient|permanent|fatal) and stage',
      labelNames: ['code', 'error_class', 'stage'],
      registers,
    });
    this.dlqMessagesSent = new Counter({
      name: 'filesearch_dlq_messages_sent_total',
      help: 'DLQMessagesSent: messages sent to the dead-letter queue, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.messagesRequeued = new Counter({
      name: 'filesearch_messages_requeued_total',
      help: 'MessagesRequeued: messages released back to the queue for another attempt, by reason',
      labelNames: ['reason'],
      registers,
    });
    const sample = (): number => this.sampleMemory();
    this.memoryUtilization = new Gauge({
      name: 'filesearch_memory_utilization_percent',
      help: "MemoryUtilization: this process's RSS as a percentage of the memory available to it (cgroup limit, else host total)",
      registers,
      collect() {
        sample();
      },
    });
    this.healthCheckStatus = new Gauge({
      name: 'filesearch_health_check_status',
      help: 'HealthCheckStatus: 1 when the worker reports itself healthy, 0 otherwise',
      registers,
    });
    this.healthCheckStatus.set(0);
    this.workerRestart = new Counter({
      name: 'filesearch_worker_restart_total',
      help: 'WorkerRestart: starts that followed a run of this worker on this host which did not exit cleanly',
      registers,
    });
    this.spotInterruptionCounter = new Counter({
      name: 'filesearch_spot_interruption_total',
      help: 'SpotInterruption: EC2 Spot interruption notices received',
      registers,
    });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'filesearch_' });
  }

  /** A message settled without failure. */
  processed(event: ProcessedEvent): void {
    const type = this.labels.value('type', event.type ?? 'unknown');
    this.filesProcessed.inc({ outcome: event.outcome, type });
    this.emitCount('FilesProcessed', `${event.outcome}:${type}`);
    if (Number.isFinite(event.seconds) && event.seconds >= 0) {
      this.processingTime.observe(event.seconds);
      this.emitTiming('ProcessingTime', event.seconds * 1000);
    }
    for (const [field, stage, timing] of STAGE_TIMINGS) {
      const ms = event.stages?.[field];
      if (ms === undefined || !Number.isFinite(ms) || ms < 0) continue;
      this.stageTime.observe({ stage }, ms / 1000);
      this.emitTiming(timing, ms);
    }
  }

  failed(event: FailedEvent): void {
    const code = this.labels.value('code', event.code);
    this.processingErrors.inc({ code, error_class: event.errorClass, stage: event.stage });
    this.emitCount('ProcessingErrors', `${event.stage}:${event.errorClass}:${code}`);
    this.emit((sink) => sink.failed?.(event));
  }

  /** `reason` is the DLQ reason attribute (an error code): keep it to a bounded set. */
  deadLettered(reason: string): void {
    const r = this.labels.value('dlq_reason', reason);
    this.dlqMessagesSent.inc({ reason: r });
    this.emitCount('DLQMessagesSent', r);
  }

  requeued(reason: string): void {
    const r = this.labels.value('requeue_reason', reason);
    this.messagesRequeued.inc({ reason: r });
    this.emitCount('MessagesRequeued', r);
  }

  /** Call once at start when the previous run of this worker on this host did not exit cleanly. */
  workerRestarted(): void {
    this.workerRestart.inc();
    this.emitCount('WorkerRestart', undefined);
  }

  spotInterruption(): void {
    this.spotInterruptionCounter.inc();
    this.emitCount('SpotInterruption', undefined);
  }

  setHealthy(healthy: boolean): void {
    this.healthy = healthy;
    this.healthCheckStatus.set(healthy ? 1 : 0);
  }

  /** Reads RSS and the limit now, updates MemoryUtilization and returns it (percent, 0–100+). */
  sampleMemory(): number {
    try {
      const { rssBytes, limitBytes } = this.memory();
      if (limitBytes > 0 && Number.isFinite(rssBytes)) this.memoryPercent = round2((rssBytes / limitBytes) * 100);
    } catch {
      // keep the last value: a metric read must never fail the worker
    }
    this.memoryUtilization.set(this.memoryPercent);
    return this.memoryPercent;
  }

  /** Current gauge values, for the EMF emitter (memory is sampled afresh). */
  gauges(): { MemoryUtilization: number; HealthCheckStatus: number } {
    return { MemoryUtilization: this.sampleMemory(), HealthCheckStatus: this.healthy ? 1 : 0 };
  }

  /** Prometheus text exposition of the whole registry. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Registers a sink for every later event; returns the function that removes it. */
  addSink(sink: MetricsSink): () => void {
    this.sinks.add(sink);
    return () => {
      this.sinks.delete(sink);
    };
  }

  private emitCount(name: CountName, label: string | undefined): void {
    this.emit((sink) => sink.count(name, label));
  }

  private emitTiming(name: TimingName, milliseconds: number): void {
    this.emit((sink) => sink.timing(name, milliseconds));
  }

  private emit(call: (sink: MetricsSink) => void): void {
    for (const sink of this.sinks) {
      try {
        call(sink);
      } catch {
        // a sink's failure is not the message's failure
      }
    }
  }
}

/**
 * RSS of this process (not of the extraction children, which have their own heap cap) against
 * the memory this process may use: the cgroup limit when one is set (containers, systemd
 * MemoryMax=), else the host's total. `process.constrainedMemory()` reports no limit as 0 or as
 * a huge number depending on the cgroup version, hence the min with the host total.
 */
export function processMemory(): MemorySample {
  const total = os.totalmem();
  const constrained = process.constrainedMemory();
  const limitBytes = constrained > 0 ? Math.min(constrained, total) : total;
  return { rssBytes: process.memoryUsage.rss(), limitBytes };
}

/** Keeps label cardinality bounded: values are trimmed, and past `max` distinct ones become 'other'. */
class LabelGuard {
  private readonly seen = new Map<string, Set<string>>();

  constructor(private readonly max: number) {}

  value(label: string, raw: string): string {
    const value = raw.trim().toLowerCase().slice(0, 64) || 'unknown';
    let values = this.seen.get(label);
    if (values === undefined) {
      values = new Set();
      this.seen.set(label, values);
    }
    if (values.has(value)) return value;
    if (values.size >= this.max) return 'other';
    values.add(value);
    return value;
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
