import { describe, expect, it, vi } from 'vitest';
import { ensureIndexReady } from '../../src/composition/index-startup.js';
import { ErrorCodes, PermanentError, TransientError } from '../../src/domain/errors.js';
import type { Logger } from '../../src/runtime/logger.js';

function recordingLogger(events: object[]): Logger {
  const log = (obj: object) => void events.push(obj);
  const logger: Logger = { info: log, warn: log, error: log, debug: log, child: () => logger };
  return logger;
}

/** An index that is down for the first `failures` calls. */
function flakyIndex(failures: number, error: () => Error = () => new TransientError(ErrorCodes.IndexUnavailable, 'connect ECONNREFUSED')) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    ensureSchema: async () => {
      calls += 1;
      if (calls <= failures) throw error();
    },
  };
}

describe('ensureIndexReady', () => {
  it('fails at once without a wait (one-shot commands report the outage)', async () => {
    const index = flakyIndex(1);
    await expect(ensureIndexReady(index)).rejects.toThrow('ECONNREFUSED');
    expect(index.calls).toBe(1);
  });

  it('waits out a transient outage with doubling, capped pauses, logging each attempt', async () => {
    vi.useFakeTimers();
    try {
      const events: object[] = [];
      const index = flakyIndex(4);
      const ready = ensureIndexReady(index, { signal: new AbortController().signal, logger: recordingLogger(events), initialDelayMs: 100, maxDelayMs: 300 });
      await vi.advanceTimersByTimeAsync(100 + 200 + 300 + 300);
      await expect(ready).resolves.toBeUndefined();
      expect(index.calls).toBe(5);
      expect(events.map((e) => (e as { retryInMs?: number }).retryInMs).filter((d) => d !== undefined)).toEqual([100, 200, 300, 300]);
      expect(events.at(-1)).toMatchObject({ event: 'index_available', attempts: 5 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not wait for a permanent problem', async () => {
    const index = flakyIndex(1, () => new PermanentError(ErrorCodes.IndexRejected, 'mapping conflict'));
    await expect(ensureIndexReady(index, { signal: new AbortController().signal, logger: recordingLogger([]) })).rejects.toThrow('mapping conflict');
    expect(index.calls).toBe(1);
  });

  it('gives up with the last error when told to stop while waiting', async () => {
    const stop = new AbortController();
    const index = flakyIndex(Number.POSITIVE_INFINITY);
    const ready = ensureIndexReady(index, { signal: stop.signal, logger: recordingLogger([]), initialDelayMs: 60_000 });
    setTimeout(() => stop.abort(), 20);
    await expect(ready).rejects.toThrow('ECONNREFUSED');
    expect(index.calls).toBe(1);
  });
});
