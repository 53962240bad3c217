import { describe, expect, it } from 'vitest';
import { ResourceGuard } from '../../src/runtime/resource-guard.js';

/** A full disk and a memory squeeze cannot be produced on demand, so the samplers are fakes here. */
describe('ResourceGuard', () => {
  function guard(sample: { disk: number; memory: number }, events: object[]) {
    const log = (o: object) => void events.push(o);
    return new ResourceGuard({
      tempDir: '/tmp',
      minFreeDiskBytes: 1_000,
      maxMemoryPercent: 90,
      logger: { warn: log, info: log },
      freeDiskBytes: async () => sample.disk,
      memoryPercent: () => sample.memory,
    });
  }

  it('names the pressure while a threshold is crossed, with hysteresis, logging each change once', async () => {
    const sample = { disk: 5_000, memory: 50 };
    const events: object[] = [];
    const g = guard(sample, events);
    await g.sample();
    expect(g.pressure()).toBeUndefined();
    sample.disk = 900;
    await g.sample();
    expect(g.pressure()).toBe('disk');
    // Just above the line is not enough to resume (5 % hysteresis)...
    sample.disk = 1_020;
    await g.sample();
    expect(g.pressure()).toBe('disk');
    // ...clearly above it is.
    sample.disk = 1_100;
    await g.sample();
    expect(g.pressure()).toBeUndefined();
    sample.memory = 95;
    await g.sample();
    expect(g.pressure()).toBe('memory');
    sample.memory = 80;
    await g.sample();
    expect(g.pressure()).toBeUndefined();
    expect(events.map((e) => (e as { event: string }).event)).toEqual(['backpressure_on', 'backpressure_off', 'backpressure_on', 'backpressure_off']);
    expect(events[0]).toMatchObject({ reason: 'disk', minFreeDiskMb: 0 });
  });

  it('treats an unreadable disk as no pressure rather than stopping the worker', async () => {
    const events: object[] = [];
    const g = new ResourceGuard({
      tempDir: '/nonexistent',
      minFreeDiskBytes: 1_000,
      maxMemoryPercent: 90,
      logger: { warn: (o) => void events.push(o), info: (o) => void events.push(o) },
      freeDiskBytes: async () => Promise.reject(new Error('ENOENT')),
      memoryPercent: () => 10,
    });
    await g.sample();
    expect(g.pressure()).toBeUndefined();
    expect(events).toEqual([]);
  });
});
