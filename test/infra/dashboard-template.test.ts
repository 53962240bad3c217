import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { asObject, loadTemplate, Stack } from './support/cfn-eval.js';

/* infra/cloudformation/dashboard.yaml against the metrics the worker emits (src/runtime/emf.ts). */

/** The metric names in the EMF records src/runtime/emf.ts writes: counters, timings and gauges. */
function emfMetricNames(): string[] {
  const source = fs.readFileSync(new URL('../../src/runtime/emf.ts', import.meta.url), 'utf8');
  const names = new Set<string>();
  for (const list of ['COUNT_NAMES', 'TIMING_NAMES']) {
    const m = new RegExp(`const ${list}[^=]*=\\s*\\[([^\\]]*)\\]`).exec(source);
    if (m === null) throw new Error(`${list} not found in src/runtime/emf.ts`);
    for (const n of (m[1] as string).matchAll(/'([A-Za-z]+)'/g)) names.add(n[1] as string);
  }
  for (const n of source.matchAll(/\{ Name: '([A-Za-z]+)', Unit:/g)) names.add(n[1] as string);
  return [...names].sort();
}

function dashboardBody(params: Readonly<Record<string, string>> = {}): { widgets: Array<{ type: string; properties: Record<string, unknown> }> } {
  const stack = new Stack(loadTemplate('dashboard.yaml'), params, { Dashboard: 'filesearch-worker' });
  const [dashboard] = stack.resourcesOfType('AWS::CloudWatch::Dashboard');
  return JSON.parse(String(asObject(dashboard?.properties ?? {})['DashboardBody'])) as ReturnType<typeof dashboardBody>;
}

describe('dashboard.yaml', () => {
  const body = dashboardBody();
  const expressions = JSON.stringify(body).match(/SEARCH\([^)]*\)/g) ?? [];

  it("draws every metric the worker emits, across all WorkerIds with SEARCH (namespace FileSearch/Worker)", () => {
    const expected = emfMetricNames();
    expect(expected).toEqual(
      ['DLQMessagesSent', 'DownloadTime', 'ExtractTime', 'FilesProcessed', 'HealthCheckStatus', 'IndexTime', 'MemoryUtilization', 'MessagesRequeued', 'OcrTime', 'ProcessingErrors', 'ProcessingTime', 'SpotInterruption', 'WorkerRestart'].sort(),
    );
    const drawn = new Set(expressions.map((e) => /MetricName=\\"([A-Za-z]+)\\"/.exec(e)?.[1]));
    expect([...drawn].sort()).toEqual(expected);
    for (const e of expressions) expect(e).toMatch(/^SEARCH\('\{FileSearch\/Worker,WorkerId\} MetricName=\\"[A-Za-z]+\\"', '(Sum|Average|Maximum|Minimum|p\d+)', 60\)$/);
  });

  it('and the queue, the DLQ and the group: depth, age, backlog per instance, instances', () => {
    const metrics = JSON.stringify(body.widgets.map((w) => w.properties['metrics'] ?? []));
    for (const needle of [
      '"AWS/SQS","ApproximateNumberOfMessagesVisible","QueueName","filesearch"',
      '"AWS/SQS","ApproximateNumberOfMessagesVisible","QueueName","filesearch-dlq"',
      '"AWS/SQS","ApproximateAgeOfOldestMessage","QueueName","filesearch"',
      '"AWS/AutoScaling","GroupInServiceInstances","AutoScalingGroupName","filesearch-workers"',
      '"expression":"visible / inservice"',
    ]) {
      expect(metrics).toContain(needle);
    }
  });

  it('follows its parameters (queue, group, namespace) and places widgets on the 24-column grid', () => {
    const other = JSON.stringify(dashboardBody({ QueueName: 'q2', DeadLetterQueueName: 'q2-dlq', AutoScalingGroupName: 'g2', MetricsNamespace: 'Other/NS' }));
    expect(other).toContain('"QueueName","q2"');
    expect(other).toContain('{Other/NS,WorkerId}');
    expect(other).not.toContain('FileSearch/Worker');
    for (const w of body.widgets as unknown as Array<{ x: number; width: number }>) expect(w.x + w.width).toBeLessThanOrEqual(24);
  });
});
