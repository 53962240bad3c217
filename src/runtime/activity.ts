import type { FailedEvent, MetricsSink, TimingName } from './metrics.js';

/**
 * What the dashboard needs from a worker beyond its counters: the latest per-stage timings and
 * the latest failures. Fed as a metrics sink (it sees exactly what Prometheus and EMF see), kept
 * in small rings, and published in the worker's state file for `filesearch serve` to merge.
 */

export type ActivityStage = 'download' | 'extract' | 'ocr' | 'index';

export interface ActivityFailure {
  /** ISO time. */
  readonly at: string;
  readonly key?: string;
  readonly reason: string;
  readonly errorClass: string;
  readonly stage: string;
}

export interface ActivitySnapshot {
  /** The latest samples per stage, milliseconds, oldest first. */
  readonly stages: Partial<Record<ActivityStage, readonly number[]>>;
  /** Newest last. */
  readonly failures: readonly ActivityFailure[];
}

const STAGE_OF: Partial<Record<TimingName, ActivityStage>> = {
  DownloadTime: 'download',
  ExtractTime: 'extract',
  OcrTime: 'ocr',
  IndexTime: 'index',
};

export interface ActivityOptions {
  readonly samplesPerStage?: number;
  readonly failures?: number;
  readonly now?: () => number;
}

export class ActivityRecorder implements MetricsSink {
  private readonly samples = new Map<ActivityStage, Ring<number>>();
  private readonly failures: Ring<ActivityFailure>;
  private readonly samplesPerStage: number;
  private readonly now: () => number;

  constructor(options: ActivityOptions = {}) {
    this.samplesPerStage = options.samplesPerStage ?? 200;
    this.failures = new Ring(options.failures ?? 20);
    this.now = options.now ?? Date.now;
  }

  count(): void {
    // Counters reach the dashboard through the worker's stats; nothing to keep here.
  }

  timing(name: TimingName, milliseconds: number): void {
    const stage = STAGE_OF[name];
    if (stage === undefined) return;
    let ring = this.samples.get(stage);
    if (ring === undefined) {
      ring = new Ring(this.samplesPerStage);
      this.samples.set(stage, ring);
    }
    ring.push(Math.round(milliseconds * 10) / 10);
  }

  failed(event: FailedEvent): void {
    const key = event.key === undefined ? {} : { key: event.key.slice(0, 1_024) };
    this.failures.push({ at: new Date(this.now()).toISOString(), ...key, reason: event.code, errorClass: event.errorClass, stage: event.stage });
  }

  snapshot(): ActivitySnapshot {
    const stages: Partial<Record<ActivityStage, readonly number[]>> = {};
    for (const [stage, ring] of this.samples) stages[stage] = ring.values();
    return { stages, failures: this.failures.values() };
  }
}

/** A fixed-size ring: pushing past capacity drops the oldest. */
class Ring<T> {
  private readonly items: T[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Oldest first. */
  values(): T[] {
    if (this.items.length < this.capacity) return [...this.items];
    return [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
  }
}
