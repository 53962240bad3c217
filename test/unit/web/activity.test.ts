import { describe, expect, it } from 'vitest';
import { ActivityRecorder } from '../../../src/runtime/activity.js';
import { WorkerMetrics } from '../../../src/runtime/metrics.js';

describe('ActivityRecorder', () => {
  it('keeps the latest stage timings and failures it sees through the metrics', () => {
    const metrics = new WorkerMetrics({ defaultMetrics: false });
    const activity = new ActivityRecorder({ samplesPerStage: 3, failures: 2, now: () => Date.parse('2026-11-22T08:00:00Z') });
    metrics.addSink(activity);
    for (const ms of [1, 2, 3, 4]) metrics.processed({ outcome: 'indexed', seconds: 0.01, stages: { downloadMs: ms, indexMs: ms * 10 } });
    metrics.processed({ outcome: 'indexed', seconds: 0.5, stages: { ocrMs: 400 } });
    metrics.failed({ code: 'corrupt_file', errorClass: 'permanent', stage: 'extract', key: 'a.pdf' });
    metrics.failed({ code: 'object_not_found', errorClass: 'permanent', stage: 'fetch', key: 'b.pdf' });
    metrics.failed({ code: 'malformed_message', errorClass: 'permanent', stage: 'parse' });
    const s = activity.snapshot();
    expect(s.stages).toEqual({ download: [2, 3, 4], index: [20, 30, 40], ocr: [400] });
    expect(s.failures).toEqual([
      { at: '2026-11-22T08:00:00.000Z', key: 'b.pdf', reason: 'object_not_found', errorClass: 'permanent', stage: 'fetch' },
      { at: '2026-11-22T08:00:00.000Z', reason: 'malformed_message', errorClass: 'permanent', stage: 'parse' },
    ]);
  });
});
