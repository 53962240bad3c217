import { setTimeout as sleep } from 'node:timers/promises';
import { isMessageMover, type MessageMoveResult, type MessageMover, type MessageRef, type Queue, type QueueMessage } from '../ports/queue.port.js';
import { systemClock, type Clock } from '../ports/clock.port.js';
import { forEachDlqBatch, matchesFilter, releaseAll, sourceIdOf, type DlqFilter, type DlqReader, type ReadOptions } from './dlq-messages.js';

/**
 * Moves dead-lettered messages back to the source queue: the original body, byte for byte, is
 * sent there first, and the DLQ copy is deleted only once that send succeeded (a crash in
 * between leaves a duplicate, never a loss; the worker is idempotent). Messages that do not
 * match the filter are held while the DLQ is read, then released untouched.
 *
 * An unfiltered redrive from a DLQ whose server moves messages itself (SQS: a message move
 * task) lets the server do it instead, and falls back to the above when the server cannot.
 */

export const RedriveMethods = { MoveTask: 'move-task', ReceiveSendDelete: 'receive-send-delete' } as const;
export type RedriveMethod = (typeof RedriveMethods)[keyof typeof RedriveMethods];

export interface RedriveDlqOptions extends ReadOptions {
  readonly filter?: DlqFilter;
  /** A further condition, for callers with their own notion of "recoverable". */
  readonly select?: (message: QueueMessage) => boolean;
  /** Attributes for the copy sent back (default: none; the body alone is the event). */
  readonly attributesFor?: (message: QueueMessage) => Record<string, string>;
  /** Messages sent per second at most; unlimited when absent. */
  readonly ratePerSecond?: number;
  /** Count what would move, move nothing. */
  readonly dryRun?: boolean;
  /** false: never let the server move the messages, even when nothing is filtered (default true). */
  readonly useMoveTask?: boolean;
  /** Each poll of a server-side move. */
  readonly onMoveProgress?: (progress: MessageMoveResult) => void;
  readonly clock?: Clock;
  /** Injectable for tests (fake timers). */
  readonly sleep?: (ms: number) => Promise<unknown>;
}

export interface RedriveFailure {
  readonly messageId: string;
  /** `move`: the server's move task ended without completing; `messageId` is then the task handle. */
  readonly stage: 'send' | 'delete' | 'move';
  readonly message: string;
}

export interface RedriveSummary {
  readonly dryRun: boolean;
  /** Messages that matched the filter (copies of one source message count once). */
  readonly matched: number;
  /** Sent to the source queue and deleted from the DLQ (0 on a dry run). */
  readonly redriven: number;
  /** Left in the DLQ because they did not match. */
  readonly skipped: number;
  readonly byReason: Record<string, number>;
  /** A send failure leaves the message in the DLQ; a delete failure leaves a copy in both. */
  readonly failures: readonly RedriveFailure[];
  /** Extra copies of a redriven message (dead-lettered twice after a crash): deleted, not sent. */
  readonly duplicatesDeleted?: number;
  /** How the messages moved: an SQS move task, or received, sent back and deleted one by one. */
  readonly method: RedriveMethod;
  /** The server's move task, with `method: 'move-task'` (whose `byReason` is then empty: the server does not say). */
  readonly moveTask?: MessageMoveResult;
  /** Why an unfiltered redrive did not use the move task (unsupported by the server, turned off, rate too high). */
  readonly moveTaskSkipped?: string;
}

export async function redriveDlq(dlq: DlqReader & Pick<Queue, 'deleteBatch'>, target: Pick<Queue, 'send'>, options: RedriveDlqOptions = {}): Promise<RedriveSummary> {
  if (options.dryRun === true || !isMessageMover(dlq) || isFiltered(options)) return receiveSendDelete(dlq, target, options);
  let skipped = moveTaskObstacle(dlq, options);
  if (skipped === undefined) {
    const start = await dlq.startMessageMove({ destination: target, ...(options.ratePerSecond === undefined ? {} : { maxPerSecond: options.ratePerSecond }) });
    if (start.started) {
      const result = await dlq.waitForMessageMove(start.task, {
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.onMoveProgress === undefined ? {} : { onProgress: options.onMoveProgress }),
      });
      return moveSummary(result);
    }
    skipped = start.reason;
  }
  return { ...(await receiveSendDelete(dlq, target, options)), moveTaskSkipped: skipped };
}

function isFiltered(options: RedriveDlqOptions): boolean {
  const f = options.filter ?? {};
  return f.reason !== undefined || f.errorType !== undefined || f.olderThanMs !== undefined || options.select !== undefined || options.attributesFor !== undefined;
}

function moveTaskObstacle(mover: MessageMover, options: RedriveDlqOptions): string | undefined {
  if (options.useMoveTask === false) return 'move tasks turned off';
  const rate = options.ratePerSecond;
  if (rate !== undefined && rate > mover.maxMoveRatePerSecond) return `a rate of ${rate}/s is above the move task's ${mover.maxMoveRatePerSecond}/s`;
  return undefined;
}

function moveSummary(result: MessageMoveResult): RedriveSummary {
  const ended = result.status === 'FAILED' || result.status === 'CANCELLED';
  const message = result.failureReason ?? (ended ? `the move task ended ${result.status}` : `stopped waiting while the move task was ${result.status}; it goes on on the server`);
  const failures: RedriveFailure[] = result.status === 'COMPLETED' ? [] : [{ messageId: result.handle, stage: 'move', message }];
  return {
    dryRun: false,
    // SQS counts what is to move when the task starts; ElasticMQ counts down what is left.
    matched: Math.max(result.moved, result.toMove ?? 0),
    redriven: result.moved,
    skipped: 0,
    byReason: {},
    failures,
    method: RedriveMethods.MoveTask,
    moveTask: result,
  };
}

async function receiveSendDelete(dlq: DlqReader & Pick<Queue, 'deleteBatch'>, target: Pick<Queue, 'send'>, options: RedriveDlqOptions): Promise<RedriveSummary> {
  const clock = options.clock ?? systemClock;
  const pace = pacer(options.ratePerSecond, clock, options.sleep ?? ((ms) => sleep(ms)));
  const held: MessageRef[] = [];
  const failures: RedriveFailure[] = [];
  const byReason: Record<string, number> = {};
  let matched = 0;
  let redriven = 0;
  let skipped = 0;
  let duplicatesDeleted = 0;
  // One copy per source message goes back; further copies (dead-lettered twice) are only deleted.
  const sources = new Set<string>();
  try {
    await forEachDlqBatch(dlq, options, async (batch) => {
      const now = clock.now();
      const chosen = batch.filter((m) => matchesFilter(m, options.filter ?? {}, now) && (options.select?.(m) ?? true));
      held.push(...batch.filter((m) => !chosen.includes(m)));
      skipped += batch.length - chosen.length;
      if (options.dryRun === true) {
        held.push(...chosen);
        for (const m of chosen) {
          if (sources.has(sourceIdOf(m))) continue;
          sources.add(sourceIdOf(m));
          matched += 1;
          bump(byReason, m);
        }
        return;
      }
      const sent: QueueMessage[] = [];
      const copies: QueueMessage[] = [];
      for (const m of chosen) {
        if (sources.has(sourceIdOf(m))) {
          copies.push(m);
          continue;
        }
        matched += 1;
        await pace();
        try {
          const attributes = options.attributesFor?.(m);
          await target.send({ body: m.body, ...(attributes === undefined ? {} : { attributes }) });
          sent.push(m);
          sources.add(sourceIdOf(m));
        } catch (err) {
          failures.push({ messageId: m.id, stage: 'send', message: errorText(err) });
          held.push(m);
        }
      }
      const deleted = await dlq.deleteBatch([...sent, ...copies]);
      for (const f of deleted.failed) failures.push({ messageId: f.id, stage: 'delete', message: f.message });
      const ok = new Set(deleted.successful);
      for (const m of sent) {
        if (!ok.has(m.id)) continue;
        redriven += 1;
        bump(byReason, m);
      }
      duplicatesDeleted += copies.filter((m) => ok.has(m.id)).length;
    });
  } finally {
    await releaseAll(dlq, held);
  }
  return {
    dryRun: options.dryRun === true,
    matched,
    redriven,
    skipped,
    byReason,
    failures,
    ...(duplicatesDeleted === 0 ? {} : { duplicatesDeleted }),
    method: RedriveMethods.ReceiveSendDelete,
  };
}

/** Spaces calls evenly: the n-th call waits until start + n / rate seconds. */
function pacer(ratePerSecond: number | undefined, clock: Clock, wait: (ms: number) => Promise<unknown>): () => Promise<void> {
  if (ratePerSecond === undefined) return async () => {};
  if (!(ratePerSecond > 0)) throw new TypeError(`rate must be > 0 messages per second, got ${ratePerSecond}`);
  let start: number | undefined;
  let calls = 0;
  return async () => {
    start ??= clock.now();
    const due = start + (calls * 1000) / ratePerSecond;
    calls += 1;
    const delay = due - clock.now();
    if (delay > 0) await wait(delay);
  };
}

function bump(counts: Record<string, number>, m: QueueMessage): void {
  const reason = m.attributes['reason'] ?? '(none)';
  counts[reason] = (counts[reason] ?? 0) + 1;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
