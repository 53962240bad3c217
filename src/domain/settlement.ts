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

/** The attributes a dead-lettered message carries (SPEC §3). The body stays byte for byte. */
export function deadLetterAttributes(input: {
  readonly failure: Failure;
  readonly receiveCount: number;
  readonly firstFailureAt: Date;
  readonly now: Date;
  readonly workerId: string;
  readonly sourceQueue: string;
  readonly messageId: string;
}): Record<string, string> {
  const { error, stage, key } = input.failure;
  const attrs: Record<string, string> = {
    reason: error.code,
    errorType: error.errorClass,
    errorName: error.name,
    errorMessage: error.message.slice(0, 2_000),
    stage,
    attempts: String(input.receiveCount),
    firstFailureAt: input.firstFailureAt.toISOString(),
    lastFailureAt: input.now.toISOString(),
    workerId: input.workerId,
    sourceQueue: input.sourceQueue,
    sourceMessageId: input.messageId,
  };
  if (error.stack !== undefined) attrs['stack'] = error.stack.slice(0, 4_000);
  if (key !== undefined) attrs['key'] = key;
  return attrs;
}
