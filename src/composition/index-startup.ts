import { describeError, isTransientError } from '../domain/errors.js';
import type { SearchIndex } from '../ports/search-index.port.js';
import type { Logger } from '../runtime/logger.js';
import { sleep } from '../shared/sleep.js';

/** `run` waits for an index that is down at start instead of exiting (a restart loop helps nobody). */
export interface WaitForIndex {
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** First pause between attempts; doubles up to `maxDelayMs`. */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
}

/**
 * Creates the index schema (mapping / tables) before anything is received: a bulk into an index
 * without its mapping would let the server guess one. Without `wait` a failure is thrown at once
 * (commands such as `search` report it); with it, transient failures are retried with capped
 * exponential backoff until the index answers or the signal aborts (then the last error is thrown).
 */
export async function ensureIndexReady(index: Pick<SearchIndex, 'ensureSchema'>, wait?: WaitForIndex): Promise<void> {
  const initial = wait?.initialDelayMs ?? 1_000;
  const max = wait?.maxDelayMs ?? 30_000;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await index.ensureSchema();
      if (attempt > 1) wait?.logger.info({ event: 'index_available', attempts: attempt });
      return;
    } catch (err) {
      if (wait === undefined || !isTransientError(err) || wait.signal.aborted) throw err;
      const retryInMs = Math.min(max, initial * 2 ** (attempt - 1));
      wait.logger.warn({ event: 'index_unavailable_at_start', attempt, retryInMs, ...describeError(err) });
      await sleep(retryInMs, wait.signal);
      if (wait.signal.aborted) throw err;
    }
  }
}
