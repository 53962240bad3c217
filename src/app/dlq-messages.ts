import { deadLetterDetails } from '../domain/settlement.js';
import type { MessageRef, Queue, QueueMessage } from '../ports/queue.port.js';

/**
 * Shared by the DLQ tools: read a dead-letter queue batch by batch while holding what was read
 * (so nothing is received twice), select by reason / error type / age, and give back whatever
 * was not consumed with a visibility of 0. Nothing here deletes.
 */

export type DlqReader = Pick<Queue, 'receive' | 'changeVisibilityBatch'>;

export interface DlqFilter {
  readonly reason?: string;
  readonly errorType?: string;
  /** Only messages whose last failure is at least this many milliseconds old. */
  readonly olderThanMs?: number;
}

export interface ReadOptions {
  /** Long enough to finish the run; released early at the end anyway. */
  readonly holdSeconds?: number;
  /** An empty receive after waiting this long ends the read (SQS long polling asks every server). */
  readonly waitTimeSeconds?: number;
  readonly signal?: AbortSignal;
}

export const DEFAULT_HOLD_SECONDS = 300;

/**
 * Calls `onBatch` with each batch of messages not seen before in this read. A message whose
 * hold ran out and came back is skipped (its id was seen), so counts never double.
 */
export async function forEachDlqBatch(dlq: DlqReader, options: ReadOptions, onBatch: (batch: QueueMessage[]) => Promise<void>): Promise<void> {
  const seen = new Set<string>();
  for (;;) {
    if (options.signal?.aborted === true) return;
    const batch = await dlq.receive({
      maxMessages: 10,
      waitTimeSeconds: options.waitTimeSeconds ?? 1,
      visibilityTimeoutSeconds: options.holdSeconds ?? DEFAULT_HOLD_SECONDS,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    if (batch.length === 0) return;
    const fresh = batch.filter((m) => !seen.has(m.id));
    for (const m of fresh) seen.add(m.id);
    if (fresh.length > 0) await onBatch(fresh);
  }
}

/**
 * The message a DLQ entry stands for. The worker sends to the DLQ and then deletes the source
 * message: two systems, no transaction, so a crash in between dead-letters the same message again
 * when it comes back. Both copies carry the source message id (`details.sourceMessageId`); the
 * tools count, redrive and archive each source once and delete every copy. Messages the queue's
 * own redrive policy moved keep their source id as their id.
 */
export function sourceIdOf(message: QueueMessage): string {
  return deadLetterDetails(message.attributes).sourceMessageId ?? message.id;
}

/** Makes held messages visible again at once. Returns how many could not be released. */
export async function releaseAll(dlq: DlqReader, messages: readonly MessageRef[]): Promise<number> {
  if (messages.length === 0) return 0;
  const result = await dlq.changeVisibilityBatch(messages.map((m) => ({ id: m.id, receiptHandle: m.receiptHandle, visibilityTimeoutSeconds: 0 })));
  return result.failed.length;
}

/** When the message last failed: its `lastFailureAt`, else when it was sent. */
export function lastFailureAt(message: QueueMessage): Date {
  const at = Date.parse(message.attributes['lastFailureAt'] ?? '');
  return Number.isNaN(at) ? message.sentAt : new Date(at);
}

export function matchesFilter(message: QueueMessage, filter: DlqFilter, now: number): boolean {
  const a = message.attributes;
  if (filter.reason !== undefined && a['reason'] !== filter.reason) return false;
  if (filter.errorType !== undefined && a['errorType'] !== filter.errorType) return false;
  if (filter.olderThanMs !== undefined && now - lastFailureAt(message).getTime() < filter.olderThanMs) return false;
  return true;
}

/** The lower-cased extension of the failed object's key, `(none)` or `(no key)`. */
export function extensionOf(message: QueueMessage): string {
  const key = deadLetterDetails(message.attributes).key;
  if (key === undefined || key === '') return '(no key)';
  const name = key.slice(key.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot <= 0 || dot === name.length - 1 ? '(none)' : name.slice(dot + 1).toLowerCase();
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `90s`, `15m`, `1h`, `2d` (or a plain number of seconds) → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([smhd]?)$/.exec(text.trim());
  if (match === null) throw new Error(`invalid duration ${JSON.stringify(text)}: use e.g. 90s, 15m, 1h or 2d`);
  const unit = (match[2] === '' ? 's' : match[2]) as keyof typeof UNIT_MS;
  return Number(match[1]) * UNIT_MS[unit];
}
