import { ErrorClasses, type FilesearchError, type Stage } from './errors.js';

/**
 * What becomes of a message once its work is done: deleted (every record indexed, deleted or
 * ignored), dead-lettered (a permanent failure and no transient one), or released back to the
 * queue with a backoff (any transient failure: it may succeed next time, and the queue's
 * redrive policy bounds the attempts).
 */
export interface Failure {
  readonly error: FilesearchError;
  readonly stage: Stage;
  readonly key?: string;
}

export type Settlement =
  | { readonly kind: 'delete' }
  | { readonly kind: 'dead-letter'; readonly failure: Failure }
  | { readonly kind: 'release'; readonly failure: Failure; readonly visibilityTimeoutSeconds: number };

export interface BackoffPolicy {
  readonly initialDelaySeconds: number;
  readonly maxDelaySeconds: number;
  /** 0..1, injectable for tests. */
  readonly random: () => number;
}

export function settle(failures: readonly Failure[], receiveCount: number, backoff: BackoffPolicy): Settlement {
  // Transient and fatal failures are not the file's fault (a fatal one is our environment's,
  // e.g. a tool that vanished): never dead-letter for them.
  const retryable = failures.find((f) => f.error.errorClass !== ErrorClasses.Permanent);
  if (retryable !== undefined) {
    return { kind: 'release', failure: retryable, visibilityTimeoutSeconds: releaseDelay(receiveCount, backoff) };
  }
  const permanent = failures[0];
  return permanent === undefined ? { kind: 'delete' } : { kind: 'dead-letter', failure: permanent };
}

/**
 * Grows with the receive count (exponential) with jitter. Half fixed, half random ("equal
 * jitter"): never zero, so a released message cannot come straight back and burn a receive.
 */
export function releaseDelay(receiveCount: number, p: BackoffPolicy): number {
  const exp = p.initialDelaySeconds * 2 ** Math.max(0, receiveCount - 1);
  const capped = Math.min(p.maxDelaySeconds, Math.max(1, exp));
  return Math.max(1, Math.round(capped / 2 + p.random() * (capped / 2)));
}

/** SQS accepts at most 10 message attributes per message, none of them empty. */
export const MAX_MESSAGE_ATTRIBUTES = 10;

/**
 * The attributes a dead-lettered message carries (SPEC §3): nine searchable ones plus `details`,
 * a JSON object with the rest (error name, key, source message id, stack), because SQS allows
 * ten attributes at most. Empty values are left out (SQS refuses them). The body stays byte for byte.
 */
export function deadLetterAttributes(input: {
  readonly failure: Failure;
  readonly receiveCount: number;
  readonly firstFailureAt: Date;
  readonly now: Date;
  readonly workerId: string;
  readonly sourceQueue: string;
  readonly messageId: string;
  /** How often `dlq reprocess` already re-drove this message; kept so its cap holds across rounds. */
  readonly redriveCount?: string;
}): Record<string, string> {
  const { error, stage, key } = input.failure;
  const details = {
    errorName: error.name,
    ...(input.redriveCount === undefined ? {} : { redriveCount: input.redriveCount }),
    ...(key === undefined ? {} : { key }),
    sourceMessageId: input.messageId,
    ...(error.stack === undefined ? {} : { stack: error.stack.slice(0, 4_000) }),
  };
  const attrs: Record<string, string> = {
    reason: error.code,
    errorType: error.errorClass,
    errorMessage: error.message.slice(0, 2_000),
    stage,
    attempts: String(input.receiveCount),
    firstFailureAt: input.firstFailureAt.toISOString(),
    lastFailureAt: input.now.toISOString(),
    workerId: input.workerId,
    sourceQueue: input.sourceQueue,
    details: JSON.stringify(details),
  };
  return Object.fromEntries(Object.entries(attrs).filter(([, v]) => v !== ''));
}

/** Reads the `details` attribute back (for DLQ tooling); tolerant of messages from older workers. */
export function deadLetterDetails(attributes: Readonly<Record<string, string>>): {
  errorName?: string;
  key?: string;
  sourceMessageId?: string;
  stack?: string;
  redriveCount?: string;
} {
  try {
    const parsed = JSON.parse(attributes['details'] ?? '{}') as unknown;
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}
