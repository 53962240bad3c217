import { analyzeDlq, type DlqAnalysis } from '../app/analyze-dlq.js';
import type { PreflightReport } from '../app/preflight.js';
import { describeError } from '../domain/errors.js';
import type { Queue } from '../ports/queue.port.js';
import type { SearchIndex } from '../ports/search-index.port.js';
import type { ActivityStage } from '../runtime/activity.js';
import type { Logger } from '../runtime/logger.js';
import type { WorkerState } from '../runtime/worker-state.js';
import type { DashboardResponse, DlqView, FailureView, PartError, PreflightView, StageView, ThroughputPoint, ThroughputView, WorkerView } from './api-types.js';

/**
 * The dashboard's view of the pipeline. Depths and the document count are read per request; the
 * throughput history is built here by sampling the state files of this host's workers every two
 * seconds (deltas of their counters into 10-second buckets, one hour kept), so it outlives the
 * workers that produced it. The DLQ breakdown reads the DLQ (every message received, tallied,
 * released), so it is cached and refreshed only when the depth changed, at most every
 * `dlqRefreshMs`; pre-flight runs at start and on request.
 */

export interface DashboardDeps {
  readonly mode: 'embedded' | 'aws';
  readonly queue: Pick<Queue, 'name' | 'depth'>;
  readonly dlq: Pick<Queue, 'depth' | 'receive' | 'changeVisibilityBatch'>;
  readonly index: Pick<SearchIndex, 'count'>;
  readonly readWorkers: () => Promise<WorkerState[]>;
  /** Last states of workers that exited cleanly (their final seconds). */
  readonly readFinished?: () => Promise<WorkerState[]>;
  readonly preflight: () => Promise<PreflightReport>;
  readonly logger: Pick<Logger, 'warn'>;
  readonly now?: () => number;
  readonly sampleIntervalMs?: number;
  readonly bucketSeconds?: number;
  readonly historySeconds?: number;
  /** Minimum time between two reads of the DLQ for its breakdown. */
  readonly dlqRefreshMs?: number;
  /** Bound on each backend call made for a request. */
  readonly partTimeoutMs?: number;
  /** Requests within this long share one read of the backends (several open tabs). */
  readonly shareMs?: number;
}

type Counters = Pick<WorkerState['stats'], 'indexed' | 'removed' | 'ignored' | 'deadLettered' | 'released'>;

interface Bucket {
  t: number;
  indexed: number;
  ignored: number;
  deadLettered: number;
  released: number;
}

const MAX_FAILURES = 50;
const STAGES: readonly ActivityStage[] = ['download', 'extract', 'ocr', 'index'];

export class DashboardModel {
  private readonly now: () => number;
  private readonly bucketMs: number;
  private readonly historyMs: number;
  private readonly startedAt: number;
  private readonly buckets: Bucket[] = [];
  private readonly totals = { indexed: 0, ignored: 0, deadLettered: 0, released: 0 };
  private readonly seen = new Map<string, Counters>();
  /** Workers whose final state was counted. */
  private readonly done = new Set<string>();
  private workers: WorkerState[] = [];
  private failures: FailureView[] = [];
  private stages: Partial<Record<ActivityStage, number[]>> = {};
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;
  private dlqBreakdown: { depth: number; analysis: DlqAnalysis; at: number } | undefined;
  private dlqRefreshing: Promise<void> | undefined;
  private preflightView: PreflightView | undefined;
  private preflightRunning: Promise<PreflightView> | undefined;
  private latest: { readonly at: number; readonly response: Promise<DashboardResponse> } | undefined;

  constructor(private readonly deps: DashboardDeps) {
    this.now = deps.now ?? Date.now;
    this.bucketMs = (deps.bucketSeconds ?? 10) * 1000;
    this.historyMs = (deps.historySeconds ?? 3600) * 1000;
    this.startedAt = this.now();
  }

  /** First sample now, then every `sampleIntervalMs`; pre-flight in the background. */
  async start(): Promise<void> {
    await this.sample();
    this.timer = setInterval(() => void this.sample(), this.deps.sampleIntervalMs ?? 2_000);
    this.timer.unref();
    void this.recheck().catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([this.sampling, this.dlqRefreshing, this.preflightRunning]);
  }

  /** Reads the workers' state files and adds what they settled since the last sample. */
  sample(): Promise<void> {
    this.sampling ??= this.readSample().finally(() => {
      this.sampling = undefined;
    });
    return this.sampling;
  }

  private async readSample(): Promise<void> {
    let states: WorkerState[];
    let finished: WorkerState[];
    try {
      [states, finished] = await Promise.all([this.deps.readWorkers(), this.deps.readFinished?.() ?? []]);
    } catch (err) {
      this.deps.logger.warn({ event: 'dashboard_sample_failed', error: describeError(err).message });
      return;
    }
    const now = this.now();
    const idOf = (w: WorkerState): string => `${w.host}:${w.pid}:${w.startedAt}`;
    const finishedIds = new Set(finished.map(idOf));
    for (const w of [...states.filter((s) => !finishedIds.has(idOf(s))), ...finished]) {
      const id = idOf(w);
      if (this.done.has(id)) continue;
      if (finishedIds.has(id)) this.done.add(id);
      const before = this.seen.get(id) ?? (Date.parse(w.startedAt) >= this.startedAt ? zero() : undefined);
      const s = w.stats;
      if (before !== undefined) {
        this.add(now, {
          indexed: s.indexed + s.removed - before.indexed - before.removed,
          ignored: s.ignored - before.ignored,
          deadLettered: s.deadLettered - before.deadLettered,
          released: s.released - before.released,
        });
      }
      this.seen.set(id, { indexed: s.indexed, removed: s.removed, ignored: s.ignored, deadLettered: s.deadLettered, released: s.released });
      for (const f of w.activity?.failures ?? []) this.noteFailure({ ...f, workerId: w.workerId });
    }
    const live = new Set(states.map((w) => `${w.host}:${w.pid}:${w.startedAt}`));
    for (const id of this.seen.keys()) if (!live.has(id)) this.seen.delete(id);
    this.workers = states;
    const stages: Partial<Record<ActivityStage, number[]>> = {};
    for (const w of states) {
      for (const stage of STAGES) {
        const samples = w.activity?.stages[stage];
        if (samples !== undefined && samples.length > 0) (stages[stage] ??= []).push(...samples);
      }
    }
    // Keep the last timings seen once the workers are gone: a finished batch still shows them.
    if (Object.keys(stages).length > 0) this.stages = stages;
  }

  private add(now: number, delta: Omit<Bucket, 't'>): void {
    const d = { indexed: Math.max(0, delta.indexed), ignored: Math.max(0, delta.ignored), deadLettered: Math.max(0, delta.deadLettered), released: Math.max(0, delta.released) };
    if (d.indexed + d.ignored + d.deadLettered + d.released === 0) return;
    const t = Math.floor(now / this.bucketMs) * this.bucketMs;
    let bucket = this.buckets[this.buckets.length - 1];
    if (bucket === undefined || bucket.t !== t) {
      bucket = { t, indexed: 0, ignored: 0, deadLettered: 0, released: 0 };
      this.buckets.push(bucket);
    }
    bucket.indexed += d.indexed;
    bucket.ignored += d.ignored;
    bucket.deadLettered += d.deadLettered;
    bucket.released += d.released;
    this.totals.indexed += d.indexed;
    this.totals.ignored += d.ignored;
    this.totals.deadLettered += d.deadLettered;
    this.totals.released += d.released;
    while (this.buckets.length > 0 && (this.buckets[0] as Bucket).t <= now - this.historyMs) this.buckets.shift();
  }

  private noteFailure(f: FailureView): void {
    if (this.failures.some((g) => g.at === f.at && g.key === f.key && g.reason === f.reason && g.workerId === f.workerId)) return;
    this.failures.push(f);
    this.failures.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
    if (this.failures.length > MAX_FAILURES) this.failures.length = MAX_FAILURES;
  }

  throughput(): ThroughputView {
    const now = this.now();
    const last = Math.floor(now / this.bucketMs) * this.bucketMs;
    // From when this dashboard started watching (an hour at most): an idle stretch shows as zeros.
    const first = Math.max(Math.floor(this.startedAt / this.bucketMs) * this.bucketMs, last - this.historyMs + this.bucketMs);
    const byT = new Map(this.buckets.map((b) => [b.t, b]));
    const points: ThroughputPoint[] = [];
    for (let t = first; t <= last; t += this.bucketMs) {
      const b = byT.get(t);
      points.push({ t, indexed: b?.indexed ?? 0, ignored: b?.ignored ?? 0, deadLettered: b?.deadLettered ?? 0, released: b?.released ?? 0 });
    }
    const settled = (p: ThroughputPoint): number => p.indexed + p.ignored + p.deadLettered;
    const perMinute = points.filter((p) => p.t > now - 60_000 - this.bucketMs).reduce((n, p) => n + settled(p), 0);
    const watchedMs = Math.max(60_000, Math.min(this.historyMs, now - this.startedAt));
    const averagePerMinute = Math.round((points.reduce((n, p) => n + settled(p), 0) / watchedMs) * 60_000 * 10) / 10;
    return { bucketSeconds: this.bucketMs / 1000, points, perMinute, averagePerMinute, totals: { ...this.totals } };
  }

  /** The dashboard now; requests within `shareMs` (1 s) of each other share one read. */
  dashboard(): Promise<DashboardResponse> {
    const now = this.now();
    if (this.latest !== undefined && now - this.latest.at < (this.deps.shareMs ?? 1_000)) return this.latest.response;
    const response = this.read();
    this.latest = { at: now, response };
    return response;
  }

  private async read(): Promise<DashboardResponse> {
    const [queue, dlqDepth, documents] = await Promise.all([
      this.part(this.deps.queue.depth()),
      this.part(this.deps.dlq.depth()),
      this.part(this.deps.index.count()),
    ]);
    let dlq: DlqView | PartError;
    if ('error' in dlqDepth) dlq = dlqDepth;
    else {
      const depth = dlqDepth.visible + dlqDepth.inFlight + dlqDepth.delayed;
      this.refreshDlq(depth);
      const cached = depth === 0 ? undefined : this.dlqBreakdown;
      dlq = {
        depth,
        byReason: cached?.analysis.byReason ?? {},
        byExtension: cached?.analysis.byExtension ?? {},
        ...(cached === undefined ? {} : { analyzedAt: cached.analysis.analyzedAt }),
      };
    }
    return {
      generatedAt: new Date(this.now()).toISOString(),
      mode: this.deps.mode,
      queueName: this.deps.queue.name,
      queue: 'error' in queue ? queue : { visible: queue.visible, inFlight: queue.inFlight, delayed: queue.delayed },
      dlq,
      documents,
      throughput: this.throughput(),
      workers: this.workers.map(workerView),
      stages: stageViews(this.stages),
      failures: [...this.failures],
      ...(this.preflightView === undefined ? {} : { preflight: this.preflightView }),
    };
  }

  /** Runs pre-flight again (one run at a time) and keeps the answer for the dashboard. */
  recheck(): Promise<PreflightView> {
    this.preflightRunning ??= this.deps
      .preflight()
      .then((report) => {
        const view: PreflightView = {
          ok: report.ok,
          checkedAt: new Date(this.now()).toISOString(),
          checks: report.checks.map((c) => ({ check: c.check, status: c.status, detail: c.detail, ...(c.fix === undefined ? {} : { fix: c.fix }) })),
        };
        this.preflightView = view;
        return view;
      })
      .finally(() => {
        this.preflightRunning = undefined;
      });
    return this.preflightRunning;
  }

  /** Re-reads the DLQ in the background when its depth moved and the last read is old enough. */
  private refreshDlq(depth: number): void {
    if (depth === 0 || this.dlqRefreshing !== undefined) return;
    const cached = this.dlqBreakdown;
    if (cached !== undefined && (cached.depth === depth || this.now() - cached.at < (this.deps.dlqRefreshMs ?? 10_000))) return;
    this.dlqRefreshing = analyzeDlq(this.deps.dlq, { holdSeconds: 30, waitTimeSeconds: 1, samplesPerReason: 0 })
      .then((analysis) => {
        this.dlqBreakdown = { depth, analysis, at: this.now() };
      })
      .catch((err: unknown) => this.deps.logger.warn({ event: 'dashboard_dlq_failed', error: describeError(err).message }))
      .finally(() => {
        this.dlqRefreshing = undefined;
      });
  }

  private async part<T>(promise: Promise<T>): Promise<T | PartError> {
    const ms = this.deps.partTimeoutMs ?? 5_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<PartError>((resolve) => {
      timer = setTimeout(() => resolve({ error: { code: 'timeout', message: `no answer within ${ms / 1000} s` } }), ms);
    });
    try {
      return await Promise.race([promise, timeout]);
    } catch (err) {
      const { code, message } = describeError(err);
      return { error: { code, message } };
    } finally {
      clearTimeout(timer);
    }
  }
}

function zero(): Counters {
  return { indexed: 0, removed: 0, ignored: 0, deadLettered: 0, released: 0 };
}

function workerView(w: WorkerState): WorkerView {
  return {
    workerId: w.workerId,
    pid: w.pid,
    host: w.host,
    phase: w.phase,
    inFlight: w.inFlight,
    startedAt: w.startedAt,
    updatedAt: w.updatedAt,
    stats: { ...w.stats },
    breakers: w.breakers.map((b) => ({ downstream: b.downstream, state: b.state, retryInMs: b.retryInMs })),
  };
}

export function stageViews(stages: Partial<Record<ActivityStage, readonly number[]>>): Partial<Record<ActivityStage, StageView>> {
  const out: Partial<Record<ActivityStage, StageView>> = {};
  for (const stage of STAGES) {
    const samples = stages[stage];
    if (samples === undefined || samples.length === 0) continue;
    const sorted = [...samples].sort((a, b) => a - b);
    const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
    const mean = sorted.reduce((n, v) => n + v, 0) / sorted.length;
    out[stage] = { count: sorted.length, p50Ms: at(0.5), p95Ms: at(0.95), p99Ms: at(0.99), meanMs: Math.round(mean * 10) / 10 };
  }
  return out;
}
