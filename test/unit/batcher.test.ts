import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Batcher } from '../../src/shared/batcher.js';

describe('Batcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function make(run = vi.fn(async (items: number[]) => items.map((i) => i * 10))) {
    const b = new Batcher<number, number>({ maxItems: 3, maxBytes: 100, sizeOf: (n) => n, maxDelayMs: 50, run, onBatchError: () => -1 });
    return { b, run };
  }

  it('flushes when the batch is full and gives each item its own result', async () => {
    const { b, run } = make();
    const results = await Promise.all([b.add(1), b.add(2), b.add(3)]);
    expect(results).toEqual([10, 20, 30]);
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('flushes a partial batch after the delay', async () => {
    const { b, run } = make();
    const p = b.add(4);
    await vi.advanceTimersByTimeAsync(49);
    expect(run).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    await expect(p).resolves.toBe(40);
  });

  it('flushes by bytes before the count is reached', async () => {
    const { b, run } = make();
    await Promise.all([b.add(60), b.add(50)]);
    expect(run).toHaveBeenCalledWith([60, 50]);
  });

  it('fails every item of a batch whose run throws, without rejecting', async () => {
    const { b } = make(vi.fn(async () => {
      throw new Error('down');
    }));
    await expect(Promise.all([b.add(1), b.add(2), b.add(3)])).resolves.toEqual([-1, -1, -1]);
  });

  it('flush() sends what is buffered and waits for it', async () => {
    const { b, run } = make();
    const p = b.add(7);
    await b.flush();
    expect(run).toHaveBeenCalledWith([7]);
    await expect(p).resolves.toBe(70);
    expect(b.pending).toBe(0);
  });
});
