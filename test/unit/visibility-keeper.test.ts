import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BatchResult, Queue, VisibilityChange } from '../../src/ports/queue.port.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { VisibilityKeeper } from '../../src/runtime/visibility-keeper.js';

/** Records every call; `fail` scripts the next call's outcome. */
class FakeQueue implements Pick<Queue, 'changeVisibilityBatch'> {
  readonly calls: { at: number; entries: VisibilityChange[] }[] = [];
  fail: 'throw' | 'gone' | undefined;
  async changeVisibilityBatch(entries: readonly VisibilityChange[]): Promise<BatchResult> {
    this.calls.push({ at: Date.now(), entries: [...entries] });
    const fail = this.fail;
    this.fail = undefined;
    if (fail === 'throw') throw new Error('connection reset');
    if (fail === 'gone') return { successful: [], failed: entries.map((e) => ({ id: e.id, code: 'ReceiptHandleIsInvalid', message: 'gone', retryable: false })) };
    return { successful: entries.map((e) => e.id), failed: [] };
  }
  extendedIds(): string[] {
    return this.calls.flatMap((c) => c.entries.map((e) => e.id));
  }
}

const VISIBILITY = 30;
const ref = (i: number) => ({ id: `m${i}`, receiptHandle: `r${i}` });

describe('VisibilityKeeper', () => {
  let queue: FakeQueue;
  let keeper: VisibilityKeeper;

  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    queue = new FakeQueue();
    keeper = new VisibilityKeeper({ queue, visibilityTimeoutSeconds: VISIBILITY, logger: silentLogger, clock: { now: () => Date.now() } });
  });
  afterEach(async () => {
    await keeper.close();
    vi.useRealTimers();
  });

  it('extends every held message in batches of at most 10, to the full timeout, before it expires', async () => {
    for (let i = 0; i < 23; i += 1) keeper.track(ref(i));
    keeper.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(queue.calls.map((c) => c.entries.length)).toEqual([10, 10, 3]);
    expect(queue.calls.every((c) => c.entries.every((e) => e.visibilityTimeoutSeconds === VISIBILITY))).toBe(true);
    expect(new Set(queue.extendedIds()).size).toBe(23);
    expect(queue.calls[0]?.entries[0]).toMatchObject({ id: 'm0', receiptHandle: 'r0' });
  });

  it('keeps a long job hidden: no lease ever runs out, however long it takes', async () => {
    keeper.start();
    await vi.advanceTimersByTimeAsync(3_000);
    keeper.track(ref(1)); // received between two ticks
    let leaseEnds = Date.now() + VISIBILITY * 1000;
    for (let t = 0; t < 10 * VISIBILITY * 1000; t += 500) {
      await vi.advanceTimersByTimeAsync(500);
      const last = queue.calls.at(-1);
      if (last !== undefined && last.at + VISIBILITY * 1000 > leaseEnds) leaseEnds = last.at + VISIBILITY * 1000;
      expect(Date.now()).toBeLessThan(leaseEnds);
    }
    // One call per third of the timeout, not one per message per tick.
    expect(queue.calls.length).toBeLessThanOrEqual(31);
    expect(queue.calls.length).toBeGreaterThanOrEqual(14);
  });

  it('does not extend a message received less than a third of the timeout ago', async () => {
    keeper.start();
    await vi.advanceTimersByTimeAsync(9_000);
    keeper.track(ref(1));
    await vi.advanceTimersByTimeAsync(1_000); // tick at 10 s: m1 is 1 s old
    expect(queue.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(10_000); // tick at 20 s: 11 s old
    expect(queue.extendedIds()).toEqual(['m1']);
  });

  it('stops extending a message once it is untracked', async () => {
    keeper.track(ref(1));
    keeper.track(ref(2));
    keeper.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(queue.extendedIds()).toEqual(['m1', 'm2']);
    await keeper.untrack('m1');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(queue.extendedIds().filter((id) => id === 'm1')).toHaveLength(1);
    expect(queue.extendedIds().filter((id) => id === 'm2').length).toBeGreaterThan(3);
  });

  it('logs and survives failures; drops a message whose receipt is no longer valid', async () => {
    const warnings: object[] = [];
    keeper = new VisibilityKeeper({
      queue,
      visibilityTimeoutSeconds: VISIBILITY,
      logger: { ...silentLogger, warn: (o: object) => void warnings.push(o) },
      clock: { now: () => Date.now() },
    });
    keeper.track(ref(1));
    keeper.start();
    queue.fail = 'throw';
    await vi.advanceTimersByTimeAsync(10_000);
    expect(warnings).toMatchObject([{ event: 'visibility_extend_failed', messages: 1 }]);
    queue.fail = 'gone';
    await vi.advanceTimersByTimeAsync(10_000);
    expect(keeper.size).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(queue.calls).toHaveLength(2);
  });

  it('close is idempotent and stops the timer', async () => {
    keeper.track(ref(1));
    keeper.start();
    await keeper.close();
    await keeper.close();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(queue.calls).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
