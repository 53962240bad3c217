import { ErrorClasses, ErrorCodes } from '../domain/errors.js';
import { deadLetterDetails } from '../domain/settlement.js';
import type { Queue, QueueMessage } from '../ports/queue.port.js';
import type { DlqReader } from './dlq-messages.js';
import { redriveDlq, type RedriveDlqOptions, type RedriveSummary } from './redrive-dlq.js';

/**
 * Redrives only what may succeed on another try, at most `maxRedrives` times per message:
 * transient failures (including messages the queue's redrive policy moved after their receives
 * ran out, which carry no `reason`) and `extraction_timeout`. Each copy sent back carries
 * `redriveCount` = previous + 1; a message already at the cap stays in the DLQ.
 */

export const REDRIVE_COUNT_ATTRIBUTE = 'redriveCount';

/** Permanent by the worker's rules, but often a matter of load or a slow tool: worth one more go. */
const RECOVERABLE_REASONS: ReadonlySet<string> = new Set([ErrorCodes.ExtractionTimeout]);

export interface ReprocessDlqOptions extends Omit<RedriveDlqOptions, 'select' | 'attributesFor' | 'filter'> {
  readonly maxRedrives: number;
}

export interface ReprocessSummary extends RedriveSummary {
  /** Recoverable, but already redriven `maxRedrives` times. */
  readonly overCap: number;
}

export function isRecoverable(message: QueueMessage): boolean {
  const reason = message.attributes['reason'];
  const errorType = message.attributes['errorType'];
  return reason === undefined || errorType === ErrorClasses.Transient || RECOVERABLE_REASONS.has(reason);
}

/**
 * From the attribute, or from `details` (a dead-lettering worker has no attribute slot to spare:
 * SQS allows ten and the DLQ attributes use them all).
 */
export function redriveCountOf(message: QueueMessage): number {
  const raw = message.attributes[REDRIVE_COUNT_ATTRIBUTE] ?? deadLetterDetails(message.attributes).redriveCount;
  const n = Number(raw ?? 0);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

export async function reprocessDlq(dlq: DlqReader & Pick<Queue, 'deleteBatch'>, target: Pick<Queue, 'send'>, options: ReprocessDlqOptions): Promise<ReprocessSummary> {
  let overCap = 0;
  const summary = await redriveDlq(dlq, target, {
    ...options,
    select: (m) => {
      if (!isRecoverable(m)) return false;
      if (redriveCountOf(m) < options.maxRedrives) return true;
      overCap += 1;
      return false;
    },
    attributesFor: (m) => ({ [REDRIVE_COUNT_ATTRIBUTE]: String(redriveCountOf(m) + 1) }),
  });
  return { ...summary, overCap };
}
