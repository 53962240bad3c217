import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { Ajv } from 'ajv';
import { register as globalRegistry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EmfEmitter, compress } from '../../src/runtime/emf.js';
import { WorkerMetrics } from '../../src/runtime/metrics.js';

const schema: unknown = JSON.parse(readFileSync(new URL('../support/emf-schema.json', import.meta.url), 'utf8'));
const validateSchema = new Ajv({ allErrors: true, strict: true }).compile(schema as object);

/** JSON Schema for the structure, plus the spec's cross-references that a schema cannot state. */
function emfProblems(line: string): string[] {
  if (!line.endsWith('\n') || line.slice(0, -1).includes('\n')) return ['not exactly one line'];
  const doc = JSON.parse(line) as Record<string, unknown>;
  if (!validateSchema(doc)) return (validateSchema.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
  const problems: string[] = [];
  const directives = (doc['_aws'] as { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] }).CloudWatchMetrics;
  for (const d of directives) {
    for (const key of d.Dimensions.flat()) if (typeof doc[key] !== 'string') problems.push(`dimension ${key} is not a string member`);
    for (const { Name } of d.Metrics) {
      const v = doc[Name];
      const ok = typeof v === 'number' || (Array.isArray(v) && v.length >= 1 && v.length <= 100 && v.every((x) => typeof x === 'number'));
      if (!ok) problems.push(`metric ${Name} is not a number or an array of 1–100 numbers`);
    }
  }
  return problems;
}

function metricsWithMemory(rssBytes = 512 * 2 ** 20, limitBytes = 2 * 2 ** 30): WorkerMetrics {
  return new WorkerMetrics({ defaultMetrics: false, memory: () => ({ rssBytes, limitBytes }) });
}

async function values(metrics: WorkerMetrics, name: string): Promise<{ labels: Record<string, string | number>; value: number }[]> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  return (await metric.get()).values.map(({ labels, value }) => ({ labels: labels as Record<string, string | number>, value }));
}

describe('WorkerMetrics (Prometheus)', () => {
  it('names every seed metric filesearch_* in snake_case, help text starting with the seed name', async () => {
    const m = new WorkerMetrics();
    const byName = new Map((await m.registry.getMetricsAsJSON()).map((x) => [x.name, x]));
    const expected: Record<string, [string, string]> = {
      filesearch_files_processed_total: ['FilesProcessed', 'counter'],
      filesearch_processing_time_seconds: ['ProcessingTime', 'histogram'],
      filesearch_stage_time_seconds: ['StageTime', 'histogram'],
      filesearch_processing_errors_total: ['ProcessingErrors', 'counter'],
      filesearch_dlq_messages_sent_total: ['DLQMessagesSent', 'counter'],
      filesearch_messages_requeued_total: ['MessagesRequeued', 'counter'],
      filesearch_memory_utilization_percent: ['MemoryUtilization', 'gauge'],
      filesearch_health_check_status: ['HealthCheckStatus', 'gauge'],
      filesearch_worker_restart_total: ['WorkerRestart', 'counter'],
      filesearch_spot_interruption_total: ['SpotInterruption', 'counter'],
    };
    for (const [name, [seed, type]] of Object.entries(expected)) {
      expect(byName.get(name)?.help, name).toMatch(new RegExp(`^${seed}: `));
      expect(byName.get(name)?.type, name).toBe(type);
    }
    // default process metrics, on our registry with our prefix
    expect(byName.has('filesearch_process_cpu_user_seconds_total')).toBe(true);
    expect(byName.has('filesearch_nodejs_heap_size_used_bytes')).toBe(true);
    for (const name of byName.keys()) expect(name).toMatch(/^filesearch_[a-z0-9_]+$/);
  });

  it('keeps its own registry: nothing lands in the global one, and two instances coexist', async () => {
    const a = metricsWithMemory();
    const b = metricsWithMemory();
    a.deadLettered('too_large');
    expect(globalRegistry.getSingleMetric('filesearch_dlq_messages_sent_total')).toBeUndefined();
    expect(await values(a, 'filesearch_dlq_messages_sent_total')).toEqual([{ labels: { reason: 'too_large' }, value: 1 }]);
    expect(await values(b, 'filesearch_dlq_messages_sent_total')).toEqual([]);
  });

  it('counts processed files by outcome and type, and observes processing and stage times', async () => {
    const m = metricsWithMemory();
    m.processed({ outcome: 'indexed', type: 'application/pdf', seconds: 1.5, stages: { downloadMs: 20, extractMs: 900, ocrMs: 400, indexMs: 80 } });
    m.processed({ outcome: 'indexed', type: 'application/pdf', seconds: 0.5, stages: { downloadMs: 10, extractMs: 300 } });
    m.processed({ outcome: 'removed', seconds: 0.01 });
    expect(await values(m, 'filesearch_files_processed_total')).toEqual([
      { labels: { outcome: 'indexed', type: 'application/pdf' }, value: 2 },
      { labels: { outcome: 'removed', type: 'unknown' }, value: 1 },
    ]);
    const time = await values(m, 'filesearch_processing_time_seconds');
    expect(time.find((v) => v.labels['le'] === '+Inf')?.value).toBe(3);
    expect(time.find((v) => v.labels['le'] === 1)?.value).toBe(2);
    const stages = await values(m, 'filesearch_stage_time_seconds');
    const count = (stage: string): number | undefined => stages.find((v) => v.labels['stage'] === stage && v.labels['le'] === '+Inf')?.value;
    expect([count('download'), count('extract'), count('ocr'), count('index')]).toEqual([2, 2, 1, 1]);
    const text = await m.scrape();
    expect(text).toContain('filesearch_stage_time_seconds_sum{stage="extract"} 1.2');
  });

  it('counts errors, DLQ sends, requeues, restarts and Spot interruptions with their labels', async () => {
    const m = metricsWithMemory();
    m.failed({ code: 'encrypted_file', errorClass: 'permanent', stage: 'extract' });
    m.failed({ code: 'index_unavailable', errorClass: 'transient', stage: 'index' });
    m.failed({ code: 'index_unavailable', errorClass: 'transient', stage: 'index' });
    m.deadLettered('encrypted_file');
    m.requeued('index_unavailable');
    m.requeued('index_unavailable');
    m.workerRestarted();
    m.spotInterruption();
    expect(await values(m, 'filesearch_processing_errors_total')).toEqual([
      { labels: { code: 'encrypted_file', error_class: 'permanent', stage: 'extract' }, value: 1 },
      { labels: { code: 'index_unavailable', error_class: 'transient', stage: 'index' }, value: 2 },
    ]);
    expect(await values(m, 'filesearch_messages_requeued_total')).toEqual([{ labels: { reason: 'index_unavailable' }, value: 2 }]);
    expect(await values(m, 'filesearch_worker_restart_total')).toEqual([{ labels: {}, value: 1 }]);
    expect(await values(m, 'filesearch_spot_interruption_total')).toEqual([{ labels: {}, value: 1 }]);
  });

  it('reports health as 1/0 (0 until told) and memory as RSS percent of the limit, sampled at scrape', async () => {
    let rss = 512 * 2 ** 20;
    const m = new WorkerMetrics({ defaultMetrics: false, memory: () => ({ rssBytes: rss, limitBytes: 2 * 2 ** 30 }) });
    expect(await values(m, 'filesearch_health_check_status')).toEqual([{ labels: {}, value: 0 }]);
    m.setHealthy(true);
    expect(await values(m, 'filesearch_health_check_status')).toEqual([{ labels: {}, value: 1 }]);
    m.setHealthy(false);
    expect(await values(m, 'filesearch_health_check_status')).toEqual([{ labels: {}, value: 0 }]);
    expect(m.sampleMemory()).toBe(25);
    rss = 1024 * 2 ** 20;
    expect(await values(m, 'filesearch_memory_utilization_percent')).toEqual([{ labels: {}, value: 50 }]);
  });

  it('measures this process against a real limit by default, and keeps the last value when a read fails', () => {
    expect(new WorkerMetrics({ defaultMetrics: false }).sampleMemory()).toBeGreaterThan(0);
    let fail = false;
    const m = new WorkerMetrics({
      defaultMetrics: false,
      memory: () => {
        if (fail) throw new Error('no /proc');
        return { rssBytes: 300, limitBytes: 1000 };
      },
    });
    expect(m.sampleMemory()).toBe(30);
    fail = true;
    expect(m.sampleMemory()).toBe(30);
  });

  it('bounds label cardinality: past the limit new values become "other"', async () => {
    const m = new WorkerMetrics({ defaultMetrics: false, maxLabelValues: 3 });
    for (const type of ['pdf', 'text', 'docx', 'x-foo', 'x-bar', 'PDF']) m.processed({ outcome: 'indexed', type, seconds: 0.1 });
    const types = (await values(m, 'filesearch_files_processed_total')).map((v) => [v.labels['type'], v.value]);
    expect(types).toEqual([['pdf', 2], ['text', 1], ['docx', 1], ['other', 2]]);
  });
});

describe('EmfEmitter (CloudWatch Embedded Metric Format)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup(options: { intervalMs?: number; namespace?: string } = {}) {
    const metrics = metricsWithMemory();
    const lines: string[] = [];
    let now = 1_700_000_000_000;
    const emitter = new EmfEmitter({ metrics, output: (l) => lines.push(l), workerId: 'i-0abc', clock: { now: () => now }, ...options });
    emitter.start();
    return { metrics, lines, emitter, setNow: (t: number) => (now = t) };
  }

  it('writes one valid EMF line per interval with the deltas, the timings and the gauges', async () => {
    const { metrics, lines, emitter } = setup();
    metrics.setHealthy(true);
    metrics.processed({ outcome: 'indexed', type: 'application/pdf', seconds: 1.25, stages: { downloadMs: 20, extractMs: 1000 } });
    metrics.processed({ outcome: 'ignored', seconds: 0.002 });
    metrics.failed({ code: 'too_large', errorClass: 'permanent', stage: 'fetch' });
    metrics.deadLettered('too_large');
    vi.advanceTimersByTime(59_999);
    expect(lines).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(lines).toHaveLength(1);
    const line = lines[0] ?? '';
    expect(emfProblems(line)).toEqual([]);
    const doc = JSON.parse(line) as Record<string, unknown>;
    expect(doc['_aws']).toEqual({
      Timestamp: 1_700_000_000_000,
      CloudWatchMetrics: [
        {
          Namespace: 'FileSearch/Worker',
          Dimensions: [['WorkerId']],
          Metrics: [
            { Name: 'FilesProcessed', Unit: 'Count' },
            { Name: 'ProcessingErrors', Unit: 'Count' },
            { Name: 'DLQMessagesSent', Unit: 'Count' },
            { Name: 'MessagesRequeued', Unit: 'Count' },
            { Name: 'WorkerRestart', Unit: 'Count' },
            { Name: 'SpotInterruption', Unit: 'Count' },
            { Name: 'ProcessingTime', Unit: 'Milliseconds' },
            { Name: 'DownloadTime', Unit: 'Milliseconds' },
            { Name: 'ExtractTime', Unit: 'Milliseconds' },
            { Name: 'MemoryUtilization', Unit: 'Percent' },
            { Name: 'HealthCheckStatus', Unit: 'None' },
          ],
        },
      ],
    });
    expect(doc).toMatchObject({
      WorkerId: 'i-0abc',
      FilesProcessed: 2,
      ProcessingErrors: 1,
      DLQMessagesSent: 1,
      MessagesRequeued: 0,
      WorkerRestart: 0,
      SpotInterruption: 0,
      ProcessingTime: [1250, 2],
      DownloadTime: [20],
      ExtractTime: [1000],
      MemoryUtilization: 25,
      HealthCheckStatus: 1,
      Breakdown: { FilesProcessed: { 'indexed:application/pdf': 1, 'ignored:unknown': 1 }, ProcessingErrors: { 'fetch:permanent:too_large': 1 }, DLQMessagesSent: { too_large: 1 } },
    });
    await emitter.close();
  });

  it('resets the deltas after each flush: an idle interval reports zeros and no timings', async () => {
    const { metrics, lines, emitter, setNow } = setup({ intervalMs: 10_000 });
    metrics.requeued('index_unavailable');
    metrics.workerRestarted();
    emitter.flush();
    setNow(1_700_000_010_000);
    vi.advanceTimersByTime(10_000);
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(emfProblems(line)).toEqual([]);
    const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toMatchObject({ MessagesRequeued: 1, WorkerRestart: 1, Breakdown: { MessagesRequeued: { index_unavailable: 1 } } });
    expect(second).toMatchObject({ FilesProcessed: 0, MessagesRequeued: 0, WorkerRestart: 0, Breakdown: {}, _aws: { Timestamp: 1_700_000_010_000 } });
    expect(second).not.toHaveProperty('ProcessingTime');
    // Prometheus keeps the running totals
    expect(await values(metrics, 'filesearch_worker_restart_total')).toEqual([{ labels: {}, value: 1 }]);
    await emitter.close();
  });

  it('uses the configured namespace; close() writes the last interval once and stops the timer', async () => {
    const { metrics, lines, emitter } = setup({ namespace: 'Acme/FileSearch' });
    metrics.spotInterruption();
    await Promise.all([emitter.close(), emitter.close()]);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ SpotInterruption: 1, _aws: { CloudWatchMetrics: [{ Namespace: 'Acme/FileSearch' }] } });
    metrics.spotInterruption();
    vi.advanceTimersByTime(600_000);
    expect(lines).toHaveLength(1);
  });

  it('sends at most 100 timing values: past that, evenly spaced order statistics with min and max', () => {
    const { metrics, lines, emitter } = setup();
    for (let i = 250; i >= 1; i--) metrics.processed({ outcome: 'indexed', type: 'text', seconds: i / 1000 });
    emitter.flush();
    expect(emfProblems(lines[0] ?? '')).toEqual([]);
    const sent = (JSON.parse(lines[0] ?? '') as { ProcessingTime: number[]; FilesProcessed: number }).ProcessingTime;
    expect(sent).toHaveLength(100);
    expect(sent[0]).toBe(1);
    expect(sent[99]).toBe(250);
    expect([...sent].sort((a, b) => a - b)).toEqual(sent);
    expect(compress([3, 1, 2], 100)).toEqual([3, 1, 2]);
  });

  it('keeps a bounded reservoir of timing samples per interval', () => {
    const metrics = metricsWithMemory();
    const lines: string[] = [];
    const emitter = new EmfEmitter({ metrics, output: (l) => lines.push(l), workerId: 'w', maxSamples: 10, random: () => 0 });
    emitter.start();
    for (let i = 1; i <= 50; i++) metrics.processed({ outcome: 'indexed', seconds: i / 1000 });
    emitter.flush();
    const doc = JSON.parse(lines[0] ?? '') as { ProcessingTime: number[]; FilesProcessed: number };
    expect(doc.FilesProcessed).toBe(50);
    expect(doc.ProcessingTime).toHaveLength(10);
    expect(doc.ProcessingTime[0]).toBe(50); // random() = 0 always replaces slot 0 with the newest
  });

  it('writes to a stream, and never throws when the output does (warns once)', () => {
    const metrics = metricsWithMemory();
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
    const toStream = new EmfEmitter({ metrics, output: stream, workerId: 'w' });
    toStream.flush();
    expect(chunks.join('')).toMatch(/^\{"_aws":.*\}\n$/);
    const warn = vi.fn();
    const broken = new EmfEmitter({ metrics, output: () => { throw new Error('EPIPE'); }, workerId: 'w', logger: { warn } });
    expect(() => { broken.flush(); broken.flush(); }).not.toThrow();
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('the schema check rejects documents that break the spec (so the checks above can fail)', () => {
    const good = { _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [['WorkerId']], Metrics: [{ Name: 'M', Unit: 'Count' }] }] }, WorkerId: 'w', M: 1 };
    const line = (doc: unknown): string => JSON.stringify(doc) + '\n';
    expect(emfProblems(line(good))).toEqual([]);
    const directive = good._aws.CloudWatchMetrics[0];
    expect(emfProblems(line({ ...good, _aws: { CloudWatchMetrics: good._aws.CloudWatchMetrics } }))).not.toEqual([]);
    expect(emfProblems(line({ ...good, _aws: { ...good._aws, CloudWatchMetrics: [{ ...directive, Metrics: [{ Name: 'M', Unit: 'Msec' }] }] } }))).not.toEqual([]);
    expect(emfProblems(line({ ...good, _aws: { ...good._aws, CloudWatchMetrics: [{ ...directive, Extra: 1 }] } }))).not.toEqual([]);
    expect(emfProblems(line({ ...good, M: 'one' }))).not.toEqual([]);
    expect(emfProblems(line({ ...good, M: Array.from({ length: 101 }, () => 1) }))).not.toEqual([]);
    expect(emfProblems(line({ ...good, WorkerId: 7 }))).not.toEqual([]);
  });
});
