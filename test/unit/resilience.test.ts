import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CircuitOpenError, ErrorCodes, PermanentError, TransientError } from '../../src/domain/errors.js';
import type { IndexItemResult, IndexOperation, SearchIndex } from '../../src/ports/search-index.port.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { createDownstreams, Downstream, isWholeBatchTransient, resilientIndex, type ResilienceOptions } from '../../src/runtime/resilience.js';

const transient = () => new TransientError(ErrorCodes.IndexUnavailable, '503');
const options = (over: Partial<ResilienceOptions> = {}): ResilienceOptions => ({
  maxRetries: 0,
  initialDelaySeconds: 1,
  maxDelayMs: 5_000,
  breakerThreshold: 5,
  halfOpenAfterMs: 30_000,
  random: () => 0.5,
  logger: silentLogger,
  ...over,
});

/** Records when each attempt happened, failing the first `failures` of them. */
function flaky(failures: number, error: () => Error = transient) {
  const at: number[] = [];
  const fn = async () => {
    at.push(Date.now());
    if (at.length <= failures) throw error();
    return 'ok';
  };
  return { at, fn };
}

async function settle<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  await vi.runAllTimersAsync();
  return p;
}

describe('Downstream retry', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('backs off exponentially with full jitter, capped, using the injected random source', async () => {
    const d = new Downstream('x', options({ maxRetries: 5, breakerThreshold: 100, random: () => 0.5 }));
    const call = flaky(5);
    expect(await settle(d.execute(call.fn))).toBe('ok');
    const gaps = call.at.slice(1).map((t, i) => t - (call.at[i] ?? 0));
    // ceilings 1, 2, 4, 8→5 (cap), 16→5 s; half of each
    expect(gaps).toEqual([500, 1_000, 2_000, 2_500, 2_500]);
  });

  it('keeps every delay within [0, ceiling)', async () => {
    for (const r of [0, 0.999]) {
      const d = new Downstream('x', options({ maxRetries: 4, breakerThreshold: 100, random: () => r }));
      const call = flaky(4);
      await settle(d.execute(call.fn));
      const gaps = call.at.slice(1).map((t, i) => t - (call.at[i] ?? 0));
      const ceilings = [1_000, 2_000, 4_000, 5_000];
      gaps.forEach((g, i) => {
        expect(g).toBeGreaterThanOrEqual(0);
        expect(g).toBeLessThan(ceilings[i] ?? 0);
      });
      if (r > 0) expect(gaps[3]).toBeGreaterThan(gaps[0] ?? 0);
    }
  });

  it('gives up after MAX_RETRIES with the last transient error', async () => {
    const d = new Downstream('x', options({ maxRetries: 3, breakerThreshold: 100 }));
    const call = flaky(10);
    await expect(settle(d.execute(call.fn))).rejects.toBeInstanceOf(TransientError);
    expect(call.at).toHaveLength(4);
  });

  it('stops retrying once the caller aborts (PROCESSING_TIMEOUT, shutdown)', async () => {
    const d = new Downstream('x', options({ maxRetries: 5, breakerThreshold: 100 }));
    const abort = new AbortController();
    const call = flaky(10);
    const p = d.execute(async () => {
      abort.abort();
      return call.fn();
    }, abort.signal);
    await expect(settle(p)).rejects.toBeInstanceOf(TransientError);
    expect(call.at).toHaveLength(1);
  });

  it('does not retry a permanent error nor a foreign one', async () => {
    const d = new Downstream('x', options({ maxRetries: 3 }));
    const permanent = flaky(10, () => new PermanentError(ErrorCodes.ObjectNotFound, 'gone'));
    await expect(settle(d.execute(permanent.fn))).rejects.toBeInstanceOf(PermanentError);
    expect(permanent.at).toHaveLength(1);
    const bug = flaky(10, () => new TypeError('bug'));
    await expect(settle(d.execute(bug.fn))).rejects.toBeInstanceOf(TypeError);
    expect(bug.at).toHaveLength(1);
    expect(d.state).toBe('closed');
  });
});

describe('Downstream circuit breaker', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('opens after 5 consecutive failures, half-opens after the delay, closes on a successful probe', async () => {
    const { health, index: d } = createDownstreams(options());
    const call = flaky(5);
    for (let i = 0; i < 4; i += 1) await expect(d.execute(call.fn)).rejects.toBeInstanceOf(TransientError);
    expect(d.state).toBe('closed');
    await expect(d.execute(call.fn)).rejects.toBeInstanceOf(TransientError);
    expect(d.state).toBe('open');
    expect(health.open()).toEqual(['index']);
    // Open: not attempted at all, and the failure is our transient CircuitOpenError.
    await expect(d.execute(call.fn)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(call.at).toHaveLength(5);

    await vi.advanceTimersByTimeAsync(29_000);
    await expect(d.execute(call.fn)).rejects.toBeInstanceOf(CircuitOpenError);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(d.state).toBe('half-open');
    expect(health.open()).toEqual([]);
    expect(await d.execute(call.fn)).toBe('ok');
    expect(d.state).toBe('closed');
    expect(health.breakers().map((b) => [b.downstream, b.state])).toEqual([
      ['index', 'closed'],
      ['object_store', 'closed'],
    ]);
  });

  it('opens again when the half-open probe fails, and logs each transition', async () => {
    const events: string[] = [];
    const logger = { ...silentLogger, info: (o: object) => void events.push((o as { event: string }).event), warn: (o: object) => void events.push((o as { event: string }).event) };
    const d = new Downstream('index', options({ logger }));
    const call = flaky(6);
    for (let i = 0; i < 5; i += 1) await expect(d.execute(call.fn)).rejects.toThrow();
    await vi.advanceTimersByTimeAsync(30_000);
    await expect(d.execute(call.fn)).rejects.toBeInstanceOf(TransientError);
    expect(d.state).toBe('open');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(await d.execute(call.fn)).toBe('ok');
    expect(events).toEqual(['breaker_open', 'breaker_half_open', 'breaker_open', 'breaker_half_open', 'breaker_closed']);
  });

  it('counts a bulk whose every item failed with the same transient error as a failure', async () => {
    let down = true;
    const ops: IndexOperation[] = [{ type: 'delete', id: 'a' }, { type: 'delete', id: 'b' }];
    const bulk = async (o: readonly IndexOperation[]): Promise<IndexItemResult[]> =>
      o.map((op) => (op.type === 'delete' && down ? { id: op.id, outcome: 'failed', error: transient() } : { id: 'x', outcome: 'deleted' }));
    const { index: d } = createDownstreams(options());
    const index = resilientIndex({ bulk } as unknown as SearchIndex, d);
    for (let i = 0; i < 5; i += 1) expect(isWholeBatchTransient(await index.bulk(ops))).toBe(true);
    expect(d.state).toBe('open');
    await expect(index.bulk(ops)).rejects.toBeInstanceOf(CircuitOpenError);
    down = false;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(await index.bulk(ops)).toMatchObject([{ outcome: 'deleted' }, { outcome: 'deleted' }]);
    expect(d.state).toBe('closed');
  });

  it('does not count a partial bulk failure (one bad document) against the index', () => {
    expect(isWholeBatchTransient([{ id: 'a', outcome: 'failed', error: transient() }, { id: 'b', outcome: 'indexed' }])).toBe(false);
    expect(isWholeBatchTransient([{ id: 'a', outcome: 'failed', error: new PermanentError(ErrorCodes.IndexRejected, 'mapping') }])).toBe(false);
    expect(isWholeBatchTransient([])).toBe(false);
  });
});
