import pLimit from 'p-limit';
import { prepareMessage, type PrepareDeps, type PreparedMessage } from '../app/prepare-message.js';
import { CircuitOpenError, ErrorCodes, Stages, TransientError, describeError, isTransientError, type ErrorClass, type ErrorCode, type Stage } from '../domain/errors.js';
import { deadLetterAttributes, settle, type BackoffPolicy, type Failure, type Settlement } from '../domain/settlement.js';
import type { Clock } from '../ports/clock.port.js';
import type { MessageRef, Queue, QueueMessage } from '../ports/queue.port.js';
import type { IndexItemResult, IndexOperation, SearchIndex } from '../ports/search-index.port.js';
import { Batcher } from '../shared/batcher.js';
import { sleep } from '../shared/sleep.js';
import type { Logger } from './logger.js';
import type { Health } from './resilience.js';
import { VisibilityKeeper } from './visibility-keeper.js';

export interface WorkerOptions {
  readonly batchSize: number;
  readonly waitTimeSeconds: number;
  readonly concurrency: number;
  /**
   * Messages processed at once (downloads and index round trips overlap); extraction itself is
   * bounded apart, by `concurrency` slots. Default: `concurrency`.
   */
  readonly inFlight?: number;
  /** Receive the next batch while this one is processed (default). false: one batch at a time. */
  readonly prefetch?: boolean;
  readonly bulk: { readonly maxDocuments: number; readonly maxBytes: number; readonly flushMs: number };
  readonly backoff: BackoffPolicy;
  readonly workerId: string;
  /** The queue's visibility timeout: held messages are kept hidden this long, extended on one timer. */
  readonly visibilityTimeoutSeconds: number;
}

export interface WorkerDeps {
  readonly queue: Queue;
  readonly dlq: Queue;
  readonly index: SearchIndex;
  readonly prepare: PrepareDeps;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly options: WorkerOptions;
  /** Downstream circuit breakers: while one is open the worker stops receiving. */
  readonly health?: Pick<Health, 'open' | 'halfOpen' | 'retryInMs' | 'probe'>;
  /** Why receiving must pause now (disk or memory short), or undefined. */
  readonly pressure?: () => string | undefined;
  readonly metrics?: WorkerMetricsHooks;
}

/** What the worker reports to metrics (WorkerMetrics implements it). */
export interface WorkerMetricsHooks {
  processed(e: { outcome: 'indexed' | 'removed' | 'ignored'; type?: string; seconds: number; stages?: { downloadMs?: number; extractMs?: number; ocrMs?: number; indexMs?: number } }): void;
  failed(e: { code: ErrorCode; errorClass: ErrorClass; stage: Stage; key?: string }): void;
  deadLettered(reason: string): void;
  requeued(reason: string): void;
}

export interface RunOptions {
  /** Exit once the queue is empty (nothing visible, in flight or delayed) and nothing is held here. */
  readonly untilIdle?: boolean;
  /** Stop receiving; in-flight work finishes and is acknowledged, within `drainTimeoutMs`. */
  readonly signal?: AbortSignal;
  /** How long a stop waits for in-flight work; what is unfinished then is released (visibility 0). */
  readonly drainTimeoutMs?: number;
  /** Stop now: release what is held at once (a second SIGTERM). */
  readonly force?: AbortSignal;
}

export type WorkerPhase = 'starting' | 'running' | 'paused' | 'draining' | 'stopped';

/** What the worker is doing now: for `status`, health endpoints and the dashboard. */
export interface WorkerSnapshot {
  readonly phase: WorkerPhase;
  /** Messages received and not yet settled. */
  readonly inFlight: number;
  readonly stats: WorkerStats;
}

export interface WorkerStats {
  received: number;
  deleted: number;
  indexed: number;
  removed: number;
  ignored: number;
  deadLettered: number;
  released: number;
}

const RECEIVE_ERROR_PAUSE_MS = 1_000;
const EMPTY_SHORT_POLL_PAUSE_MS = 100;
/** How often a paused worker looks at its breakers again (capped by their own delay). */
const BREAKER_POLL_MS = 1_000;

/**
 * The worker loop: receive a batch, prepare messages with bounded concurrency, bulk-index
 * their operations, then delete exactly the messages whose every operation the index
 * acknowledged (or that were dead-lettered). The next batch is received while this one is
 * being extracted and indexed (prefetch), up to `concurrency + batchSize` messages held.
 */
export class Worker {
  private readonly stats: WorkerStats = { received: 0, deleted: 0, indexed: 0, removed: 0, ignored: 0, deadLettered: 0, released: 0 };
  private readonly indexer: Batcher<IndexOperation, IndexItemResult>;
  private readonly deleter: Batcher<MessageRef, boolean>;
  private readonly limit;
  private readonly keeper: VisibilityKeeper;
  private phase: WorkerPhase = 'starting';
  private inFlight = 0;
  /** Messages received and not yet through preparation (extraction): more documents are coming. */
  private preparing = 0;
  private progressAt = Date.now();
  /** Set when a stop gave up waiting: held messages were released, late results are dropped. */
  private abandoned = false;

  constructor(private readonly deps: WorkerDeps) {
    const { options, index, queue, logger } = deps;
    this.limit = pLimit(options.inFlight ?? options.concurrency);
    this.keeper = new VisibilityKeeper({ queue, visibilityTimeoutSeconds: options.visibilityTimeoutSeconds, logger, clock: deps.clock });
    this.indexer = new Batcher<IndexOperation, IndexItemResult>({
      maxItems: options.bulk.maxDocuments,
      maxBytes: options.bulk.maxBytes,
      sizeOf: (op) => (op.type === 'upsert' ? op.document.content.length * 3 + 1_024 : 128),
      maxDelayMs: options.bulk.flushMs,
      run: async (ops) => {
        const started = deps.clock.now();
        const results = await index.bulk(ops);
        const failed = results.filter((r) => r.outcome === 'failed').length;
        logger.info({ event: 'batch_indexed', documents: ops.length, failed, durationMs: deps.clock.now() - started });
        return results;
      },
      onBatchError: (err, op) => ({
        id: op.type === 'upsert' ? op.document.id : op.id,
        outcome: 'failed',
        // Ours (e.g. CircuitOpenError) stays as it is; anything else is an unavailable index.
        error: isTransientError(err) ? err : new TransientError(ErrorCodes.IndexUnavailable, `bulk request failed: ${describeError(err).message}`, { cause: err }),
      }),
    });
    this.deleter = new Batcher<MessageRef, boolean>({
      // Receiving one message at a time, there is nothing to wait for: delete at once.
      maxItems: Math.min(10, options.batchSize),
      maxDelayMs: 20,
      run: async (refs) => {
        const result = await queue.deleteBatch(refs);
        for (const f of result.failed) logger.warn({ event: 'delete_failed', messageId: f.id, code: f.code, error: f.message });
        const ok = new Set(result.successful);
        return refs.map((r) => ok.has(r.id));
      },
      onBatchError: () => false,
    });
  }

  async run(run: RunOptions = {}): Promise<WorkerStats> {
    const { queue, logger, options } = this.deps;
    const held = new Set<Promise<void>>();
    const capacity = (options.inFlight ?? options.concurrency) + options.batchSize;
    logger.info({ event: 'worker_started', queue: queue.name, concurrency: options.concurrency, inFlight: options.inFlight ?? options.concurrency, batchSize: options.batchSize, ...memory() });
    this.keeper.start();
    this.phase = 'running';
    let paused = false;
    while (run.signal?.aborted !== true) {
      this.progressAt = Date.now();
      if (held.size >= capacity || (options.prefetch === false && held.size > 0)) {
        // Receiving is blocked until a message settles: documents waiting for a fuller bulk
        // request would only keep it blocked.
        this.indexer.send();
        await (options.prefetch === false ? Promise.all(held) : Promise.race(held));
        continue;
      }
      // A downstream is down, or disk / memory is short: receive nothing (received messages would
      // only burn receive counts, or fill the disk).
      const pressure = this.deps.pressure?.();
      const open = [...(this.deps.health?.open() ?? []), ...(pressure === undefined ? [] : [pressure])];
      if (open.length > 0) {
        if (!paused) logger.warn({ event: 'receive_paused', downstreams: open, inFlight: held.size });
        paused = true;
        this.phase = 'paused';
        await sleep(pressure !== undefined ? BREAKER_POLL_MS : Math.min(BREAKER_POLL_MS, Math.max(10, this.deps.health?.retryInMs() ?? 0)), run.signal);
        continue;
      }
      // Half-open: a probe call (no message spent), else one message at a time probes it.
      let probing = (this.deps.health?.halfOpen().length ?? 0) > 0;
      if (probing && (await this.deps.health?.probe()) === true) continue;
      probing &&= (this.deps.health?.halfOpen().length ?? 0) > 0;
      if (probing && held.size > 0) {
        await Promise.race([...held, sleep(BREAKER_POLL_MS, run.signal)]);
        continue;
      }
      if (paused && !probing) {
        paused = false;
        this.phase = 'running';
        logger.info({ event: 'receive_resumed' });
      }
      if (run.untilIdle === true && held.size === 0 && this.indexer.pending === 0 && (await this.queueIsEmpty())) break;
      let messages: QueueMessage[];
      // In until-idle mode, poll briefly so that an empty queue is noticed quickly.
      const waitTimeSeconds = run.untilIdle === true ? Math.min(1, options.waitTimeSeconds) : options.waitTimeSeconds;
      try {
        messages = await queue.receive({
          maxMessages: probing ? 1 : Math.min(options.batchSize, capacity - held.size),
          waitTimeSeconds,
          ...(run.signal === undefined ? {} : { signal: run.signal }),
        });
        // Short polling (wait 0) on an empty queue must not spin: it would starve the work in flight.
        if (messages.length === 0 && waitTimeSeconds === 0) await sleep(EMPTY_SHORT_POLL_PAUSE_MS, run.signal);
      } catch (err) {
        logger.error({ event: 'receive_failed', ...describeError(err) });
        await sleep(RECEIVE_ERROR_PAUSE_MS, run.signal);
        continue;
      }
      this.stats.received += messages.length;
      for (const m of messages) {
        this.keeper.track(m);
        const p = this.handle(m).finally(() => {
          held.delete(p);
          this.inFlight = held.size;
        });
        held.add(p);
        this.inFlight = held.size;
      }
    }
    this.phase = 'draining';
    this.inFlight = held.size;
    logger.info({ event: 'drain_start', inFlight: held.size, deadlineMs: run.drainTimeoutMs });
    const outcome = await drained(Promise.all(held), run.drainTimeoutMs, run.force);
    if (outcome !== 'drained') await this.abandon(outcome, held.size);
    await this.indexer.flush();
    await this.deleter.flush();
    await this.keeper.close();
    this.phase = 'stopped';
    this.inFlight = 0;
    logger.info({ event: 'worker_stopped', ...this.stats, ...memory() });
    return { ...this.stats };
  }

  /** When the loop last moved (a receive returned, a message settled, a paused loop looked again). */
  lastProgressAt(): number {
    return this.progressAt;
  }

  /**
   * The stop deadline passed (or a second signal came): make every held message visible again at
   * once so another worker takes it now, and drop whatever the unfinished handlers produce later.
   */
  private async abandon(why: 'deadline' | 'forced', unfinished: number): Promise<void> {
    this.abandoned = true;
    const refs = this.keeper.refs();
    await this.keeper.close();
    let failed = 0;
    if (refs.length > 0) {
      try {
        const r = await this.deps.queue.changeVisibilityBatch(refs.map((ref) => ({ ...ref, visibilityTimeoutSeconds: 0 })));
        failed = r.failed.length;
      } catch (err) {
        failed = refs.length;
        this.deps.logger.error({ event: 'release_failed', ...describeError(err) });
      }
    }
    this.stats.released += refs.length - failed;
    this.deps.logger.warn({ event: why === 'deadline' ? 'drain_deadline' : 'drain_forced', unfinished, released: refs.length - failed, releaseFailed: failed });
  }

  snapshot(): WorkerSnapshot {
    return { phase: this.phase, inFlight: this.inFlight, stats: { ...this.stats } };
  }

  private async queueIsEmpty(): Promise<boolean> {
    const d = await this.deps.queue.depth();
    return d.visible + d.inFlight + d.delayed === 0;
  }

  /** One message, start to finish. Never throws: every path ends in delete, dead-letter or release. */
  private async handle(message: QueueMessage): Promise<void> {
    const log = this.deps.logger.child({ messageId: message.id, receiveCount: message.receiveCount });
    const receivedAt = Date.now();
    this.preparing += 1;
    let preparing = true;
    const finishPreparing = (): void => {
      if (!preparing) return;
      preparing = false;
      this.preparing -= 1;
    };
    try {
      const prepared = await this.limit(() => {
        log.info({ event: 'processing_start' });
        return prepareMessage(message, this.deps.prepare);
      });
      const failures = await this.indexPrepared(prepared, log, receivedAt, finishPreparing);
      const settlement = prepared.kind === 'ack' ? ({ kind: 'delete' } as const) : this.outageAware(settle(failures, message.receiveCount, this.deps.options.backoff));
      if (prepared.kind === 'ack') {
        this.stats.ignored += 1;
        this.deps.metrics?.processed({ outcome: 'ignored', seconds: (Date.now() - receivedAt) / 1000 });
        log.info({ event: 'message_ignored', why: prepared.why });
      }
      await this.apply(message, settlement, log);
      this.progressAt = Date.now();
    } catch (err) {
      // A bug, not a file problem: leave the message to reappear after its visibility timeout.
      log.error({ event: 'handler_crashed', ...describeError(err) });
    } finally {
      finishPreparing();
      await this.keeper.untrack(message.id);
    }
  }

  /** A message stopped by an open circuit stays hidden at least until the circuit probes again. */
  private outageAware(s: Settlement): Settlement {
    if (s.kind !== 'release' || !(s.failure.error instanceof CircuitOpenError)) return s;
    const untilProbe = Math.ceil((this.deps.health?.retryInMs() ?? 0) / 1000);
    return { ...s, visibilityTimeoutSeconds: Math.max(s.visibilityTimeoutSeconds, untilProbe) };
  }

  private async indexPrepared(prepared: PreparedMessage, log: Logger, receivedAt: number, donePreparing: () => void): Promise<Failure[]> {
    donePreparing();
    if (prepared.kind === 'ack') return [];
    const failures: Failure[] = [...prepared.failures];
    for (const f of prepared.failures) {
      log.warn({ event: 'processing_failure', key: f.key, stage: f.stage, ...describeError(f.error) });
      this.deps.metrics?.failed({ code: f.error.code, errorClass: f.error.errorClass, stage: f.stage, ...(f.key === undefined ? {} : { key: f.key }) });
    }
    const indexStarted = Date.now();
    const adding = prepared.operations.map((p) => this.indexer.add(p.operation));
    // Nothing else is being extracted: no document will join this bulk request soon, so waiting
    // for BULK_FLUSH_MS would only idle the worker (the benchmark showed it: issue #9).
    if (this.preparing === 0) this.indexer.send();
    const results = await Promise.all(adding);
    const indexMs = Date.now() - indexStarted;
    results.forEach((r, i) => {
      const p = prepared.operations[i];
      if (p === undefined) return;
      if (r.outcome === 'failed') {
        const error = r.error ?? new TransientError(ErrorCodes.IndexUnavailable, 'index reported a failure without an error');
        failures.push({ error, stage: Stages.Index, key: p.key });
        log.warn({ event: 'processing_failure', key: p.key, stage: Stages.Index, ...describeError(error) });
        this.deps.metrics?.failed({ code: error.code, errorClass: error.errorClass, stage: Stages.Index, key: p.key });
        return;
      }
      const removed = r.outcome === 'deleted' || r.outcome === 'not_found';
      if (removed) this.stats.removed += 1;
      else this.stats.indexed += 1;
      const doc = p.document;
      const { downloadMs, extractMs } = p.timings;
      this.deps.metrics?.processed({
        outcome: removed ? 'removed' : 'indexed',
        ...(doc === undefined ? {} : { type: doc.mimeType }),
        seconds: (Date.now() - receivedAt) / 1000,
        stages: {
          ...(downloadMs === undefined ? {} : { downloadMs }),
          ...(extractMs === undefined ? {} : doc?.ocrUsed === true ? { ocrMs: extractMs } : { extractMs }),
          indexMs,
        },
      });
      log.info({
        event: 'processing_success',
        key: p.key,
        outcome: r.outcome,
        ...(doc === undefined ? {} : { type: doc.mimeType, size: doc.size, extractor: doc.extractor, chars: doc.charCount }),
        ...p.timings,
        indexMs,
        totalMs: Date.now() - receivedAt,
      });
    });
    return failures;
  }

  private async apply(message: QueueMessage, s: Settlement, log: Logger): Promise<void> {
    const ref = { id: message.id, receiptHandle: message.receiptHandle };
    // Released at a forced stop: it is visible again and another worker may hold it now.
    if (this.abandoned) return;
    // Settled: stop extending it, and let no extension under way overwrite a release's backoff.
    await this.keeper.untrack(message.id);
    if (s.kind === 'delete') {
      if (await this.deleter.add(ref)) this.stats.deleted += 1;
      return;
    }
    if (s.kind === 'dead-letter') {
      const now = new Date(this.deps.clock.now());
      const attributes = deadLetterAttributes({
        failure: s.failure,
        receiveCount: message.receiveCount,
        firstFailureAt: message.firstReceivedAt ?? now,
        now,
        workerId: this.deps.options.workerId,
        sourceQueue: this.deps.queue.name,
        messageId: message.id,
        ...(message.attributes['redriveCount'] === undefined ? {} : { redriveCount: message.attributes['redriveCount'] }),
      });
      try {
        await this.deps.dlq.send({ body: message.body, attributes });
      } catch (err) {
        // Never delete what the DLQ did not take: release instead, the redrive policy still applies.
        log.error({ event: 'dlq_send_failed', ...describeError(err) });
        await this.release(message, 30, log);
        return;
      }
      this.stats.deadLettered += 1;
      this.deps.metrics?.deadLettered(s.failure.error.code);
      log.warn({ event: 'dlq_sent', reason: s.failure.error.code, stage: s.failure.stage, key: s.failure.key });
      if (await this.deleter.add(ref)) this.stats.deleted += 1;
      return;
    }
    log.warn({ event: 'message_released', reason: s.failure.error.code, visibilityTimeoutSeconds: s.visibilityTimeoutSeconds });
    this.deps.metrics?.requeued(s.failure.error.code);
    await this.release(message, s.visibilityTimeoutSeconds, log);
  }

  private async release(message: QueueMessage, seconds: number, log: Logger): Promise<void> {
    this.stats.released += 1;
    try {
      const r = await this.deps.queue.changeVisibilityBatch([{ id: message.id, receiptHandle: message.receiptHandle, visibilityTimeoutSeconds: seconds }]);
      for (const f of r.failed) log.warn({ event: 'release_failed', code: f.code, error: f.message });
    } catch (err) {
      log.warn({ event: 'release_failed', ...describeError(err) });
    }
  }
}

/** Resolves 'drained' when `work` settles, 'deadline' after `ms`, 'forced' when `force` aborts. */
async function drained(work: Promise<unknown>, ms: number | undefined, force: AbortSignal | undefined): Promise<'drained' | 'deadline' | 'forced'> {
  if (force?.aborted === true) return 'forced';
  const stop = new AbortController();
  const outcomes: Array<Promise<'drained' | 'deadline' | 'forced'>> = [work.then(() => 'drained' as const)];
  if (ms !== undefined && Number.isFinite(ms)) outcomes.push(sleep(ms, stop.signal).then(() => 'deadline' as const));
  if (force !== undefined) outcomes.push(new Promise((resolve) => force.addEventListener('abort', () => resolve('forced'), { once: true, signal: stop.signal })));
  try {
    return await Promise.race(outcomes);
  } finally {
    stop.abort();
  }
}

/** The worker process's own memory (extraction runs in child processes, accounted separately). */
function memory(): { rssMb: number; heapUsedMb: number } {
  const m = process.memoryUsage();
  return { rssMb: Math.round(m.rss / 1048576), heapUsedMb: Math.round(m.heapUsed / 1048576) };
}
