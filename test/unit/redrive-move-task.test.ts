import { describe, expect, it } from 'vitest';
import { isUnsupportedAction } from '../../src/adapters/aws/aws-errors.js';
import { redriveDlq } from '../../src/app/redrive-dlq.js';
import type {
  BatchResult,
  MessageMoveOptions,
  MessageMoveResult,
  MessageMoveStart,
  MessageMover,
  MessageRef,
  QueueMessage,
  SendOptions,
} from '../../src/ports/queue.port.js';

/**
 * When `redriveDlq` lets the server move the messages (an unfiltered redrive from a DLQ that is a
 * MessageMover) and when it receives, sends and deletes itself. The servers' own behaviour is
 * covered by test/integration/dlq-move-task.test.ts.
 */

function message(id: string, reason: string): QueueMessage {
  return { id, receiptHandle: `rh-${id}`, body: `{"key":"${id}"}`, receiveCount: 1, sentAt: new Date(0), attributes: { reason } };
}

/** A DLQ holding `messages`, each received once, with a scripted move task. */
class FakeDlq implements MessageMover {
  readonly maxMoveRatePerSecond = 500;
  readonly starts: MessageMoveOptions[] = [];
  readonly deleted: string[] = [];
  private pending: QueueMessage[];

  constructor(
    messages: QueueMessage[],
    private readonly start: MessageMoveStart,
    private readonly result: MessageMoveResult = { handle: 'task-1', status: 'COMPLETED', moved: messages.length, toMove: messages.length },
  ) {
    this.pending = [...messages];
  }

  async startMessageMove(options: MessageMoveOptions): Promise<MessageMoveStart> {
    this.starts.push(options);
    return this.start;
  }
  async waitForMessageMove(): Promise<MessageMoveResult> {
    return this.result;
  }
  async receive(): Promise<QueueMessage[]> {
    return this.pending.splice(0, 10);
  }
  async changeVisibilityBatch(entries: readonly MessageRef[]): Promise<BatchResult> {
    return { successful: entries.map((e) => e.id), failed: [] };
  }
  async deleteBatch(entries: readonly MessageRef[]): Promise<BatchResult> {
    this.deleted.push(...entries.map((e) => e.id));
    return { successful: entries.map((e) => e.id), failed: [] };
  }
}

function target() {
  const sent: SendOptions[] = [];
  return { sent, send: async (m: SendOptions) => (sent.push(m), { id: String(sent.length) }) };
}

const started: MessageMoveStart = { started: true, task: { handle: 'task-1' } };
const three = [message('a', 'object_not_found'), message('b', 'object_not_found'), message('c', 'malformed_message')];

describe('redriveDlq and a DLQ that can move messages itself', () => {
  it('lets the server move everything when nothing is filtered, to the target, at the rate', async () => {
    const dlq = new FakeDlq(three, started);
    const to = target();
    const summary = await redriveDlq(dlq, to, { ratePerSecond: 50 });
    expect(dlq.starts).toEqual([{ destination: to, maxPerSecond: 50 }]);
    expect(summary).toEqual({
      dryRun: false,
      matched: 3,
      redriven: 3,
      skipped: 0,
      byReason: {},
      failures: [],
      method: 'move-task',
      moveTask: { handle: 'task-1', status: 'COMPLETED', moved: 3, toMove: 3 },
    });
    expect(to.sent).toEqual([]);
  });

  it('receives, sends and deletes when filtered, on a dry run, or when turned off', async () => {
    const filtered = new FakeDlq(three, started);
    expect(await redriveDlq(filtered, target(), { filter: { reason: 'object_not_found' } })).toMatchObject({ method: 'receive-send-delete', redriven: 2, skipped: 1 });
    const dry = new FakeDlq(three, started);
    const drySummary = await redriveDlq(dry, target(), { dryRun: true });
    expect(drySummary).toMatchObject({ dryRun: true, matched: 3, redriven: 0 });
    expect(drySummary.method).toBe('receive-send-delete');
    const off = new FakeDlq(three, started);
    expect(await redriveDlq(off, target(), { useMoveTask: false })).toMatchObject({ method: 'receive-send-delete', redriven: 3, moveTaskSkipped: 'move tasks turned off' });
    for (const dlq of [filtered, dry, off]) expect(dlq.starts).toEqual([]);
  });

  it('falls back when the server cannot move, or the rate is above what it accepts, saying why', async () => {
    const unsupported = new FakeDlq(three, { started: false, reason: 'no StartMessageMoveTask here' });
    const to = target();
    const summary = await redriveDlq(unsupported, to);
    expect(summary).toMatchObject({ method: 'receive-send-delete', redriven: 3, moveTaskSkipped: 'no StartMessageMoveTask here', byReason: { object_not_found: 2, malformed_message: 1 } });
    expect(to.sent.map((m) => m.body)).toEqual(three.map((m) => m.body));
    expect(unsupported.deleted).toEqual(['a', 'b', 'c']);

    const fast = new FakeDlq(three, started);
    expect(await redriveDlq(fast, target(), { ratePerSecond: 501 })).toMatchObject({ redriven: 3, moveTaskSkipped: "a rate of 501/s is above the move task's 500/s" });
    expect(fast.starts).toEqual([]);
  });

  it('reports a move task that failed as a failure carrying the server reason', async () => {
    const failed: MessageMoveResult = { handle: 'task-9', status: 'FAILED', moved: 1, toMove: 3, failureReason: 'AWS.SimpleQueueService.NonExistentQueue' };
    const summary = await redriveDlq(new FakeDlq(three, started, failed), target());
    expect(summary).toMatchObject({ method: 'move-task', matched: 3, redriven: 1 });
    expect(summary.failures).toEqual([{ messageId: 'task-9', stage: 'move', message: 'AWS.SimpleQueueService.NonExistentQueue' }]);
  });
});

describe('isUnsupportedAction (error shapes the SDK gave for the real servers)', () => {
  const sdkError = (fields: Record<string, unknown>) => Object.assign(new Error(String(fields['message'] ?? '')), fields);

  it('recognises an unknown or unsupported action', () => {
    // ElasticMQ 1.7.1, an action it lacks: HTTP 400 InvalidAction.
    expect(isUnsupportedAction(sdkError({ name: 'InvalidAction', Code: 'com.amazonaws.sqs#InvalidAction', $fault: 'client', $metadata: { httpStatusCode: 400 } }))).toBe(true);
    // moto 5.2.5, StartMessageMoveTask: HTTP 500 with an HTML page the SDK cannot parse.
    const moto = { name: 'SyntaxError', message: `Unexpected token '<', "<!doctype "... is not valid JSON\n  Deserialization error: to see the raw response…`, $metadata: { httpStatusCode: 500 } };
    expect(isUnsupportedAction(sdkError(moto))).toBe(true);
    expect(isUnsupportedAction(sdkError({ name: 'UnsupportedOperation', Code: 'AWS.SimpleQueueService.UnsupportedOperation', $fault: 'client', $metadata: { httpStatusCode: 400 } }))).toBe(true);
  });

  it('does not mistake a real SQS failure for one', () => {
    expect(isUnsupportedAction(sdkError({ name: 'InternalError', $fault: 'server', $metadata: { httpStatusCode: 500 } }))).toBe(false);
    expect(isUnsupportedAction(sdkError({ name: 'QueueDoesNotExist', $fault: 'client', $metadata: { httpStatusCode: 400 } }))).toBe(false);
    expect(isUnsupportedAction(sdkError({ name: 'InvalidParameterValue', $fault: 'client', $metadata: { httpStatusCode: 400 } }))).toBe(false);
  });
});
