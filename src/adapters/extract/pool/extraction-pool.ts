import { ErrorCodes, PermanentError, TransientError } from '../../../domain/errors.js';
import type { DetectedType, Extraction, ExtractionInput, ExtractionSettings, Extractor } from '../../../ports/extractor.port.js';
import { PoolChild, resolveChildEntry, type ChildExit } from './pool-child.js';
import { deserializeError, type JobInput, type JobResult } from './protocol.js';

export interface ExtractionPoolOptions {
  /** Sent to every child, which builds `defaultExtractors(settings)`; `timeoutMs` is the per-job deadline. */
  readonly settings: ExtractionSettings;
  /** Children at most (EXTRACT_POOL_SIZE); also the most jobs running at once. */
  readonly size: number;
  /** Heap cap of each child, `--max-old-space-size` (EXTRACT_MEMORY_MB). */
  readonly memoryMb: number;
  /** A child is replaced after this many jobs (heap fragmentation cannot grow forever). Default 200. */
  readonly maxJobsPerChild?: number;
  /** A child whose RSS after a job exceeds this is replaced. Default max(256, 0.75 × memoryMb) MiB. */
  readonly recycleRssMb?: number;
  /** The compiled child entry; default `extract-child.js` next to this module (dist/ under vitest). */
  readonly entry?: string;
}

export interface ExtractionPoolStats {
  readonly size: number;
  readonly busy: number;
  readonly queued: number;
  /** Children started to replace one (after a timeout, crash, abort or recycling). */
  readonly restarts: number;
  readonly timeouts: number;
  /** Children that died mid-job on their own (OOM, a native crash, killed from outside). */
  readonly crashes: number;
}

interface Job {
  readonly id: number;
  readonly input: JobInput;
  readonly queuedAt: number;
  readonly resolve: (extraction: Extraction) => void;
  readonly reject: (err: Error) => void;
  /** Removes the AbortSignal listener. */
  readonly detach: () => void;
}

interface Slot {
  child?: PoolChild;
  running?: { readonly job: Job; readonly timer: NodeJS.Timeout; readonly startedAt: number };
}

const MiB = 1024 * 1024;
const CLOSE_WAIT_MS = 5_000;

/**
 * Extraction in child processes, off the worker's event loop and killable. A job past its deadline,
 * or whose AbortSignal fires, has its child's whole process group SIGKILLed (pdftotext, tesseract
 * included) and a fresh child takes the slot; a child that dies mid-job fails that file for good
 * (a file that kills its extractor will do it again). Jobs wait in FIFO order when every child is
 * busy. Children start lazily.
 */
export class ExtractionPool implements Extractor {
  readonly name = 'pool';
  private readonly entry: string;
  private readonly slots: Slot[];
  private readonly queue: Job[] = [];
  private readonly children = new Set<PoolChild>();
  private readonly maxJobsPerChild: number;
  private readonly recycleRssBytes: number;
  private nextId = 1;
  private counters = { restarts: 0, timeouts: 0, crashes: 0 };
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: ExtractionPoolOptions) {
    this.entry = options.entry ?? resolveChildEntry();
    this.slots = Array.from({ length: Math.max(1, options.size) }, () => ({}));
    this.maxJobsPerChild = options.maxJobsPerChild ?? 200;
    this.recycleRssBytes = (options.recycleRssMb ?? Math.max(256, Math.round(options.memoryMb * 0.75))) * MiB;
  }

  supports(_type: DetectedType): boolean {
    return true;
  }

  extract(input: ExtractionInput): Promise<Extraction> {
    const { signal, ...jobInput } = input;
    if (this.closed) return Promise.reject(closedError());
    if (signal?.aborted === true) return Promise.reject(this.abortError(signal, jobInput));
    return new Promise<Extraction>((resolve, reject) => {
      const onAbort = (): void => this.abort(job, signal as AbortSignal);
      const job: Job = {
        id: this.nextId++,
        input: jobInput,
        queuedAt: performance.now(),
        resolve,
        reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(job);
      this.dispatch();
    });
  }

  stats(): ExtractionPoolStats {
    return {
      size: this.slots.length,
      busy: this.slots.filter((s) => s.running !== undefined).length,
      queued: this.queue.length,
      ...this.counters,
    };
  }

  /** Process ids of the live children (each also the id of its process group). */
  pids(): number[] {
    return [...this.children].map((c) => c.pid);
  }

  /** Kills every child (and its group), fails waiting and running jobs as transient. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      for (const job of this.queue.splice(0)) settle(job, closedError());
      for (const slot of this.slots) {
        const running = slot.running;
        if (running !== undefined) settle(this.finish(slot, running.job), closedError());
        slot.child = undefined;
      }
      const exits = [...this.children].map((child) => (child.kill(), child.exited));
      await Promise.race([Promise.all(exits), new Promise((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref())]);
    })();
    return this.closing;
  }

  private dispatch(): void {
    while (this.queue.length > 0 && !this.closed) {
      const slot = this.slots.find((s) => s.child !== undefined && s.running === undefined) ?? this.slots.find((s) => s.child === undefined);
      if (slot === undefined) return;
      const job = this.queue.shift() as Job;
      try {
        slot.child ??= this.spawn();
      } catch (err) {
        settle(job, err instanceof Error ? err : new Error(String(err)));
        continue;
      }
      const timer = setTimeout(() => this.expire(slot, job), this.options.settings.timeoutMs);
      slot.running = { job, timer, startedAt: performance.now() };
      slot.child.run(job.id, job.input);
    }
  }

  private spawn(): PoolChild {
    const child = new PoolChild({
      entry: this.entry,
      settings: this.options.settings,
      memoryMb: this.options.memoryMb,
      onResult: (c, result) => this.onResult(c, result),
      onExit: (c, exit) => this.onExit(c, exit),
    });
    this.children.add(child);
    void child.exited.then(() => this.children.delete(child));
    return child;
  }

  private onResult(child: PoolChild, result: JobResult): void {
    const slot = this.slots.find((s) => s.child === child);
    const running = slot?.running;
    if (slot === undefined || running === undefined || running.job.id !== result.id) return; // already settled (killed)
    const job = this.finish(slot, running.job);
    child.jobs += 1;
    if (result.ok) {
      const poolWaitMs = running.startedAt - job.queuedAt;
      job.resolve({ ...result.extraction, timings: { ...result.extraction.timings, poolWaitMs } });
    } else {
      job.reject(deserializeError(result.error, child.pid));
    }
    if (child.jobs >= this.maxJobsPerChild || result.rss > this.recycleRssBytes) this.replace(slot);
    else child.idle();
    this.dispatch();
  }

  private onExit(child: PoolChild, exit: ChildExit): void {
    const slot = this.slots.find((s) => s.child === child);
    if (slot === undefined) return; // killed and replaced by us, or closed
    slot.child = undefined;
    const running = slot.running;
    if (running !== undefined) {
      const job = this.finish(slot, running.job);
      const how = exit.signal ?? `exit code ${exit.code ?? '?'}`;
      const why = crashReason(exit.stderr, this.options.memoryMb);
      const details = { pid: child.pid, exitCode: exit.code, signal: exit.signal, stderr: exit.stderr, file: job.input.fileName };
      if (exit.ready) {
        this.counters.crashes += 1;
        const message = `extraction child ${child.pid} died (${how}) while extracting ${job.input.fileName}${why}`;
        job.reject(new PermanentError(ErrorCodes.ExtractionFailed, message, { details }));
        if (!this.closed) this.respawn(slot);
      } else {
        // It never got as far as building its extractors: the install is broken, not the file.
        job.reject(new TransientError(ErrorCodes.Internal, `extraction child ${child.pid} failed to start (${how})${why}`, { details }));
      }
    }
    this.dispatch();
  }

  /** The job's deadline (PROCESSING_TIMEOUT) passed: kill the group, fail the file for good. */
  private expire(slot: Slot, job: Job): void {
    if (slot.running?.job !== job) return;
    this.counters.timeouts += 1;
    const { timeoutMs } = this.options.settings;
    const message = `extraction of ${job.input.fileName} took longer than PROCESSING_TIMEOUT (${timeoutMs} ms); its process group was killed`;
    settle(this.finish(slot, job), new PermanentError(ErrorCodes.ExtractionTimeout, message, { details: { timeoutMs, pid: slot.child?.pid } }));
    this.replace(slot);
    this.dispatch();
  }

  private abort(job: Job, signal: AbortSignal): void {
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      settle(job, this.abortError(signal, job.input));
      return;
    }
    const slot = this.slots.find((s) => s.running?.job === job);
    if (slot === undefined) return;
    settle(this.finish(slot, job), this.abortError(signal, job.input));
    this.replace(slot);
    this.dispatch();
  }

  /** A timeout signal (the caller's PROCESSING_TIMEOUT) is this file's fault; any other abort is a shutdown. */
  private abortError(signal: AbortSignal, input: JobInput): Error {
    const reason: unknown = signal.reason;
    if (reason instanceof Error && reason.name === 'TimeoutError') {
      this.counters.timeouts += 1;
      return new PermanentError(ErrorCodes.ExtractionTimeout, `extraction of ${input.fileName} was stopped at its deadline`, { cause: reason });
    }
    return new TransientError(ErrorCodes.Internal, `extraction of ${input.fileName} interrupted (shutdown); released for another worker`, { cause: reason });
  }

  private finish(slot: Slot, job: Job): Job {
    if (slot.running?.job === job) {
      clearTimeout(slot.running.timer);
      slot.running = undefined;
    }
    job.detach();
    return job;
  }

  /** Kills the slot's child (its group) and starts a fresh one in its place. */
  private replace(slot: Slot): void {
    slot.child?.kill();
    slot.child = undefined;
    if (!this.closed) this.respawn(slot);
  }

  private respawn(slot: Slot): void {
    try {
      slot.child = this.spawn();
      this.counters.restarts += 1;
    } catch {
      // Left empty: the next job starts a child (and reports the failure if it persists).
    }
  }
}

function settle(job: Job, err: Error): void {
  job.detach();
  job.reject(err);
}

function closedError(): TransientError {
  return new TransientError(ErrorCodes.Internal, 'the extraction pool is closed (shutdown); released for another worker');
}

/** The line of a dead child's stderr that says why: V8's heap limit, a fatal signal, an uncaught error. */
function crashReason(stderr: string, memoryMb: number): string {
  if (/heap out of memory|Reached heap limit/i.test(stderr)) return `: out of memory (heap limit ${memoryMb} MB, EXTRACT_MEMORY_MB)`;
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const telling = lines.findLast((l) => /fatal|error|segmentation|abort/i.test(l)) ?? lines.at(-1);
  return telling === undefined ? '' : `: ${telling.slice(0, 300)}`;
}
