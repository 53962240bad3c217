import { setTimeout as sleep } from 'node:timers/promises';
import type { MessageRef, Queue, QueueMessage } from '../ports/queue.port.js';
import { systemClock, type Clock } from '../ports/clock.port.js';
import { forEachDlqBatch, matchesFilter, releaseAll, type DlqFilter, type DlqReader, type ReadOptions } from './dlq-messages.js';

/**
 * Moves dead-lettered messages back to the source queue: the original body, byte for byte, is
 * sent there first, and the DLQ copy is deleted only once that send succeeded (a crash in
 * between leaves a duplicate, never a loss; the worker is idempotent). Messages that do not
 * match the filter are held while the DLQ is read, then released untouched.
 */

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
  readonly clock?: Clock;
  /** Injectable for tests (fake timers). */
  readonly sleep?: (ms: number) => Promise<unknown>;
}

export interface RedriveFailure {
  readonly messageId: string;
  readonly stage: 'send' | 'delete';
  readonly message: string;
}

export interface RedriveSummary {
  readonly dryRun: boolean;
  /** Messages that matched the filter. */
  readonly matched: number;
  /** Sent to the source queue and deleted from the DLQ (0 on a dry run). */
  readonly redriven: number;
  /** Left in the DLQ because they did not match. */
  readonly skipped: number;
  readonly byReason: Record<string, number>;
  /** A send failure leaves the message in the DLQ; a delete failure leaves a copy in both. */
  readonly failures: readonly RedriveFailure[];
}

export async function redriveDlq(dlq: DlqReader & Pick<Queue, 'deleteBatch'>, target: Pick<Queue, 'send'>, options: RedriveDlqOptions = {}): Promise<RedriveSummary> {
  const clock = options.clock ?? systemClock;
  const pace = pacer(options.ratePerSecond, clock, options.sleep ?? ((ms) => sleep(ms)));
  const held: MessageRef[] = [];
  const failures: RedriveFailure[] = [];
  const byReason: Record<string, number> = {};
  let matched = 0;
  let redriven = 0;
  let skipped = 0;
  try {
    await forEachDlqBatch(dlq, options, async (batch) => {
      const now = clock.now();
      const chosen = batch.filter((m) => matchesFilter(m, options.filter ?? {}, now) && (options.select?.(m) ?? true));
      held.push(...batch.filter((m) => !chosen.includes(m)));
      matched += chosen.length;
      skipped += batch.length - chosen.length;
      if (options.dryRun === true) {
        held.push(...chosen);
        chosen.forEach((m) => bump(byReason, m));
        return;
      }
      const sent: QueueMessage[] = [];
      for (const m of chosen) {
        await pace();
        try {
          const attributes = options.attributesFor?.(m);
          await target.send({ body: m.body, ...(attributes === undefined ? {} : { attributes }) });
          sent.push(m);
        } catch (err) {
          failures.push({ messageId: m.id, stage: 'send', message: errorText(err) });
          held.push(m);
        }
      }
      const deleted = await dlq.deleteBatch(sent);
      for (const f of deleted.failed) failures.push({ messageId: f.id, stage: 'delete', message: f.message });
      const ok = new Set(deleted.successful);
      for (const m of sent) {
        if (!ok.has(m.id)) continue;
        redriven += 1;
        bump(byReason, m);
      }
    });
  } finally {
    await releaseAll(dlq, held);
  }
  return { dryRun: options.dryRun === true, matched, redriven, skipped, byReason, failures };
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
