import { describe, expect, it } from 'vitest';
import type { PreflightReport } from '../../../src/app/preflight.js';
import type { QueueMessage } from '../../../src/ports/queue.port.js';
import type { WorkerState } from '../../../src/runtime/worker-state.js';
import { DashboardModel, stageViews } from '../../../src/web/dashboard-model.js';

const T0 = Date.parse('2026-11-22T08:00:00Z');

function worker(over: Omit<Partial<WorkerState>, 'stats'> & { stats?: Partial<WorkerState['stats']> } = {}): WorkerState {
  return {
    workerId: 'w1',
    pid: 100,
    host: 'h',
    startedAt: new Date(T0 + 1).toISOString(),
    updatedAt: new Date(T0).toISOString(),
    phase: 'running',
    inFlight: 0,
    breakers: [],
    ...over,
    stats: { received: 0, deleted: 0, indexed: 0, removed: 0, ignored: 0, deadLettered: 0, released: 0, ...over.stats },
  };
}

function dlqMessage(id: string, reason: string): QueueMessage {
  return { id, receiptHandle: id, body: '{}', receiveCount: 1, sentAt: new Date(T0), attributes: { reason, details: JSON.stringify({ key: `k/${id}.pdf` }) } };
}

function model(states: () => WorkerState[], now: { t: number }, dlqMessages: QueueMessage[] = [], finished: () => WorkerState[] = () => []) {
  let pending = [...dlqMessages];
  const released: string[] = [];
  const m = new DashboardModel({
    mode: 'embedded',
    queue: { name: 'q', depth: async () => ({ visible: 5, inFlight: 2, delayed: 0 }) },
    dlq: {
      depth: async () => ({ visible: dlqMessages.length, inFlight: 0, delayed: 0 }),
      receive: async () => {
        const batch = pending.slice(0, 10);
        pending = pending.slice(10);
        return batch;
      },
      changeVisibilityBatch: async (entries) => {
        released.push(...entries.map((e) => e.id));
        return { successful: entries.map((e) => e.id), failed: [] };
      },
    },
    index: { count: async () => 42 },
    readWorkers: async () => states(),
    readFinished: async () => finished(),
    preflight: async (): Promise<PreflightReport> => ({ ok: true, checks: [{ check: 'tesseract', status: 'PASS', detail: '5.3.0' }] }),
    logger: { warn: () => undefined },
    now: () => now.t,
  });
  return { m, released };
}

describe('DashboardModel', () => {
  it('turns the growth of the workers’ counters into throughput buckets and per-minute rates', async () => {
    const now = { t: T0 };
    let stats: Partial<WorkerState['stats']> = {};
    const { m } = model(() => [worker({ stats })], now);
    await m.sample();
    stats = { indexed: 30, removed: 2, ignored: 1, deadLettered: 1, released: 4 };
    now.t = T0 + 12_000;
    await m.sample();
    stats = { indexed: 50, removed: 2, ignored: 1, deadLettered: 1, released: 4 };
    now.t = T0 + 25_000;
    await m.sample();
    const tp = m.throughput();
    expect(tp.totals).toEqual({ indexed: 52, ignored: 1, deadLettered: 1, released: 4 });
    expect(tp.perMinute).toBe(54);
    expect(tp.points.map((p) => p.indexed)).toEqual([0, 32, 20]);
    expect(tp.points.map((p) => p.t)).toEqual([T0, T0 + 10_000, T0 + 20_000]);
  });

  it('does not count what a worker had done before the dashboard started watching', async () => {
    const now = { t: T0 };
    let indexed = 1_000;
    const { m } = model(() => [worker({ startedAt: new Date(T0 - 3_600_000).toISOString(), stats: { indexed } })], now);
    await m.sample();
    indexed = 1_010;
    now.t = T0 + 5_000;
    await m.sample();
    expect(m.throughput().totals.indexed).toBe(10);
  });

  it('keeps the history after a worker exits, and starts a restarted worker from zero', async () => {
    const now = { t: T0 };
    let states = [worker({ stats: { indexed: 7 } })];
    const { m } = model(() => states, now);
    await m.sample();
    states = [];
    now.t = T0 + 2_000;
    await m.sample();
    states = [worker({ pid: 101, startedAt: new Date(T0 + 3_000).toISOString(), stats: { indexed: 3 } })];
    now.t = T0 + 4_000;
    await m.sample();
    expect(m.throughput().totals.indexed).toBe(10);
  });

  it('counts the last seconds of a worker that exited from its final state, once', async () => {
    const now = { t: T0 };
    let live = [worker({ stats: { indexed: 5 } })];
    let finished: WorkerState[] = [];
    const { m } = model(() => live, now, [], () => finished);
    await m.sample();
    live = [];
    finished = [worker({ phase: 'stopped', stats: { indexed: 9, deadLettered: 1 } }), worker({ pid: 7, startedAt: new Date(T0 - 60_000).toISOString(), stats: { indexed: 500 } })];
    now.t = T0 + 2_000;
    await m.sample();
    await m.sample();
    expect(m.throughput().totals).toMatchObject({ indexed: 9, deadLettered: 1 });
  });

  it('drops buckets older than the history window and fills gaps with zeros', async () => {
    const now = { t: T0 };
    let indexed = 0;
    const { m } = model(() => [worker({ stats: { indexed } })], now);
    await m.sample();
    indexed = 5;
    now.t = T0 + 1_000;
    await m.sample();
    indexed = 6;
    now.t = T0 + 3_700_000;
    await m.sample();
    const tp = m.throughput();
    expect(tp.points).toHaveLength(360);
    expect(tp.points.reduce((n, p) => n + p.indexed, 0)).toBe(1);
    expect(tp.totals.indexed).toBe(6);
  });

  it('merges failures from the workers newest first, each once', async () => {
    const now = { t: T0 };
    const failures = [
      { at: '2026-11-22T08:00:01.000Z', key: 'a.pdf', reason: 'corrupt_file', errorClass: 'permanent', stage: 'extract' },
      { at: '2026-11-22T08:00:02.000Z', key: '<b>b</b>.pdf', reason: 'object_not_found', errorClass: 'permanent', stage: 'fetch' },
    ];
    const { m } = model(() => [worker({ activity: { stages: { index: [5, 1, 3] }, failures } })], now);
    await m.sample();
    await m.sample();
    const d = await m.dashboard();
    expect(d.failures.map((f) => f.key)).toEqual(['<b>b</b>.pdf', 'a.pdf']);
    expect(d.failures[0]?.workerId).toBe('w1');
    expect(d.stages.index).toEqual({ count: 3, p50Ms: 3, p95Ms: 5, p99Ms: 5, meanMs: 3 });
    expect(d.queue).toEqual({ visible: 5, inFlight: 2, delayed: 0 });
    expect(d.documents).toBe(42);
  });

  it('reads the DLQ breakdown in the background, releases every message, and caches it while the depth holds', async () => {
    const now = { t: T0 };
    const messages = [dlqMessage('1', 'object_not_found'), dlqMessage('2', 'object_not_found'), dlqMessage('3', 'corrupt_file')];
    const { m, released } = model(() => [], now, messages);
    const first = await m.dashboard();
    expect(first.dlq).toMatchObject({ depth: 3, byReason: {} });
    await m.close();
    now.t += 2_000;
    const second = await m.dashboard();
    expect(second.dlq).toMatchObject({ depth: 3, byReason: { object_not_found: 2, corrupt_file: 1 }, byExtension: { pdf: 3 } });
    expect(released.sort()).toEqual(['1', '2', '3']);
    now.t += 2_000;
    await m.dashboard();
    await m.close();
    expect(released).toHaveLength(3);
  });

  it('lets requests within a second share one read of the backends', async () => {
    const now = { t: T0 };
    let depthCalls = 0;
    const m = new DashboardModel({
      mode: 'embedded',
      queue: { name: 'q', depth: async () => ({ visible: depthCalls++, inFlight: 0, delayed: 0 }) },
      dlq: { depth: async () => ({ visible: 0, inFlight: 0, delayed: 0 }), receive: async () => [], changeVisibilityBatch: async () => ({ successful: [], failed: [] }) },
      index: { count: async () => 1 },
      readWorkers: async () => [],
      preflight: async () => ({ ok: true, checks: [] }),
      logger: { warn: () => undefined },
      now: () => now.t,
    });
    const [a, b] = await Promise.all([m.dashboard(), m.dashboard()]);
    now.t += 500;
    const c = await m.dashboard();
    expect(depthCalls).toBe(1);
    expect(a).toBe(b);
    expect(c).toBe(a);
    now.t += 1_000;
    await m.dashboard();
    expect(depthCalls).toBe(2);
  });

  it('shows a part that fails as an error and the rest as usual', async () => {
    const m = new DashboardModel({
      mode: 'aws',
      queue: { name: 'q', depth: async () => Promise.reject(new Error('connect ECONNREFUSED')) },
      dlq: { depth: async () => ({ visible: 0, inFlight: 0, delayed: 0 }), receive: async () => [], changeVisibilityBatch: async () => ({ successful: [], failed: [] }) },
      index: { count: () => new Promise<number>(() => undefined) },
      readWorkers: async () => [],
      preflight: async () => ({ ok: false, checks: [] }),
      logger: { warn: () => undefined },
      partTimeoutMs: 50,
    });
    const d = await m.dashboard();
    expect(d.queue).toMatchObject({ error: { message: expect.stringContaining('ECONNREFUSED') } });
    expect(d.documents).toMatchObject({ error: { code: 'timeout' } });
    expect(d.dlq).toEqual({ depth: 0, byReason: {}, byExtension: {} });
  });

  it('runs pre-flight on request and keeps the rows', async () => {
    const { m } = model(() => [], { t: T0 });
    const view = await m.recheck();
    expect(view).toEqual({ ok: true, checkedAt: new Date(T0).toISOString(), checks: [{ check: 'tesseract', status: 'PASS', detail: '5.3.0' }] });
    expect((await m.dashboard()).preflight).toEqual(view);
  });
});

describe('stageViews', () => {
  it('gives nearest-rank percentiles', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(stageViews({ extract: samples }).extract).toEqual({ count: 100, p50Ms: 50, p95Ms: 95, p99Ms: 99, meanMs: 50.5 });
    expect(stageViews({ ocr: [] })).toEqual({});
  });
});
