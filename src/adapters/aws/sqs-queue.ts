import { setTimeout as sleep } from 'node:timers/promises';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
  type BatchResultErrorEntry,
  type ListMessageMoveTasksResultEntry,
  type Message,
  type MessageAttributeValue,
  type QueueAttributeName,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { ErrorCodes, FatalError, isFatalError, isPermanentError, type FilesearchError } from '../../domain/errors.js';
import type {
  BatchEntryFailure,
  BatchResult,
  MessageMoveOptions,
  MessageMoveResult,
  MessageMoveStart,
  MessageMoveStatus,
  MessageMoveTask,
  MessageMover,
  MessageMoveWaitOptions,
  MessageRef,
  Queue,
  QueueDepth,
  QueueMessage,
  ReceiveOptions,
  SendOptions,
  VisibilityChange,
} from '../../ports/queue.port.js';
import { awsErrorCodes, classifyAwsError, hasAwsCode, httpStatusOf, isUnsupportedAction } from './aws-errors.js';

/** Amazon SQS (or any server speaking its API: ElasticMQ, moto) behind the Queue port. */

export interface SqsQueueOptions {
  /** Created, configured and destroyed by the caller (the composition root). */
  readonly client: SQSClient;
  readonly queueUrl: string;
  /** For logs and DLQ attributes; default: the last path segment of the URL (the queue name). */
  readonly name?: string;
  /** Visibility timeout asked for on every receive; default: the queue's own. */
  readonly visibilityTimeoutSeconds?: number;
}

/** SQS batch calls carry at most 10 entries and, for sends, at most 256 KiB in total. */
const MAX_BATCH_ENTRIES = 10;
const MAX_BATCH_BYTES = 256 * 1024;
/** Attempts for a delete entry that failed on the server's side (SenderFault false) or a throttled call. */
const DELETE_ATTEMPTS = 3;
const DELETE_BACKOFF_MS = 200;
/** ListMessageMoveTasks polls: soon after the start, then every few seconds for a long move. */
const MOVE_POLL_FIRST_MS = 200;
const MOVE_POLL_MAX_MS = 3_000;
/** Polls in a row that do not list the task before we give up on it (it should be listed at once). */
const MOVE_TASK_MISSING_POLLS = 10;
const MOVE_STATUSES: ReadonlySet<string> = new Set<MessageMoveStatus>(['RUNNING', 'COMPLETED', 'FAILED', 'CANCELLING', 'CANCELLED']);

const ACCESS_CODES = ['AccessDenied', 'AccessDeniedException', 'KmsAccessDenied', 'KmsDisabled', 'KmsNotFound', 'KMS.AccessDeniedException'];

/** Per-entry codes we normalise (to the embedded queue's); others keep SQS's own code. */
const ENTRY_CODES: Readonly<Record<string, string>> = {
  ReceiptHandleIsInvalid: ErrorCodes.ReceiptHandleInvalid,
  MessageNotInflight: 'message_not_inflight',
  'AWS.SimpleQueueService.MessageNotInflight': 'message_not_inflight',
};

export class SqsQueue implements Queue, MessageMover {
  readonly name: string;
  /** StartMessageMoveTask's MaxNumberOfMessagesPerSecond is 1..500. */
  readonly maxMoveRatePerSecond = 500;
  private readonly client: SQSClient;
  private readonly queueUrl: string;
  private readonly visibilityTimeoutSeconds: number | undefined;
  /** Aborted by close(): a pending long poll ends at once with [] instead of after 20 s. */
  private readonly closing = new AbortController();
  private arn: Promise<string> | undefined;
  /** Per started move: the newest StartedTimestamp listed before it (see waitForMessageMove). */
  private readonly moveBaselines = new Map<string, number>();

  constructor(options: SqsQueueOptions) {
    this.client = options.client;
    this.queueUrl = options.queueUrl;
    this.name = options.name ?? queueNameOf(options.queueUrl);
    this.visibilityTimeoutSeconds = options.visibilityTimeoutSeconds;
  }

  async receive(options: ReceiveOptions): Promise<QueueMessage[]> {
    const signal = AbortSignal.any([this.closing.signal, ...(options.signal === undefined ? [] : [options.signal])]);
    // Checked before the call: an aborted caller must not take messages it would then drop.
    if (signal.aborted) return [];
    const visibility = options.visibilityTimeoutSeconds ?? this.visibilityTimeoutSeconds;
    const command = new ReceiveMessageCommand({
      QueueUrl: this.queueUrl,
      MaxNumberOfMessages: options.maxMessages,
      WaitTimeSeconds: options.waitTimeSeconds,
      ...(visibility === undefined ? {} : { VisibilityTimeout: visibility }),
      MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'ApproximateFirstReceiveTimestamp'],
      MessageAttributeNames: ['All'],
    });
    try {
      const output = await this.client.send(command, { abortSignal: signal });
      return (output.Messages ?? []).map(toQueueMessage);
    } catch (err) {
      if (signal.aborted) return [];
      throw this.translate(err);
    }
  }

  /**
   * Entries the server failed (SenderFault false) and throttled or failed calls are tried again
   * with a short backoff; whatever still fails is returned in `failed`, never dropped.
   */
  async deleteBatch(entries: readonly MessageRef[]): Promise<BatchResult> {
    const successful: string[] = [];
    const failed: BatchEntryFailure[] = [];
    let pending: readonly MessageRef[] = entries;
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      const batch = pending;
      const result = await this.inChunks(batch, chunkByCount(batch), (chunk) =>
        this.client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: chunk.map((e, i) => ({ Id: String(i), ReceiptHandle: e.receiptHandle })),
          }),
        ),
      );
      successful.push(...result.successful.map((i) => refId(batch, i)));
      const retry: MessageRef[] = [];
      for (const failure of result.failed) {
        const entry = batch[Number(failure.id)];
        if (failure.retryable && attempt < DELETE_ATTEMPTS && entry !== undefined) retry.push(entry);
        else failed.push(withId(failure, batch));
      }
      if (retry.length > 0) await sleep(DELETE_BACKOFF_MS * 2 ** (attempt - 1));
      pending = retry;
    }
    return { successful, failed };
  }

  async changeVisibilityBatch(entries: readonly VisibilityChange[]): Promise<BatchResult> {
    const result = await this.inChunks(entries, chunkByCount(entries), (chunk) =>
      this.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: chunk.map((e, i) => ({ Id: String(i), ReceiptHandle: e.receiptHandle, VisibilityTimeout: e.visibilityTimeoutSeconds })),
        }),
      ),
    );
    return {
      successful: result.successful.map((i) => refId(entries, i)),
      failed: result.failed.map((f) => withId(f, entries)),
    };
  }

  async send(message: SendOptions): Promise<{ id: string }> {
    try {
      const output = await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, ...sendEntry(message) }));
      return { id: output.MessageId ?? '' };
    } catch (err) {
      throw this.translate(err);
    }
  }

  /** `successful` holds the new message ids in input order; a failed entry's id is its index. */
  async sendBatch(messages: readonly SendOptions[]): Promise<BatchResult> {
    const ids = new Map<number, string>();
    const result = await this.inChunks(messages, chunkBySize(messages), async (chunk, offset) => {
      const output = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: chunk.map((m, i) => ({ Id: String(i), ...sendEntry(m) })),
        }),
      );
      for (const ok of output.Successful ?? []) ids.set(offset + Number(ok.Id), ok.MessageId ?? '');
      return output;
    });
    return { successful: result.successful.map((i) => ids.get(Number(i)) ?? ''), failed: result.failed };
  }

  async depth(): Promise<QueueDepth> {
    try {
      const output = await this.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: this.queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
        }),
      );
      const count = (name: QueueAttributeName): number => Number(output.Attributes?.[name] ?? 0);
      return {
        visible: count('ApproximateNumberOfMessages'),
        inFlight: count('ApproximateNumberOfMessagesNotVisible'),
        delayed: count('ApproximateNumberOfMessagesDelayed'),
      };
    } catch (err) {
      throw this.translate(err);
    }
  }

  /**
   * StartMessageMoveTask from this queue (a DLQ) to `destination`'s ARN. Answers `started: false`
   * (nothing moved) when the server lacks the action (moto 5.2.5) or the caller may not call it;
   * every other refusal is thrown.
   */
  async startMessageMove(options: MessageMoveOptions): Promise<MessageMoveStart> {
    const destination = options.destination;
    if (destination !== undefined && !(destination instanceof SqsQueue)) return { started: false, reason: 'the destination is not an SQS queue' };
    const [sourceArn, destinationArn] = await Promise.all([this.queueArn(), destination?.queueArn()]);
    try {
      // The newest earlier task: SQS stops listing a task's handle once it ends, so ours is told apart by being newer.
      const before = await this.listMoveTasks(sourceArn);
      const output = await this.client.send(
        new StartMessageMoveTaskCommand({
          SourceArn: sourceArn,
          // Named whenever known: without it ElasticMQ 1.7.1 hangs 21 s, then answers 503, for a queue no RedrivePolicy names.
          ...(destinationArn === undefined ? {} : { DestinationArn: destinationArn }),
          ...(options.maxPerSecond === undefined ? {} : { MaxNumberOfMessagesPerSecond: options.maxPerSecond }),
        }),
      );
      const handle = output.TaskHandle ?? '';
      this.moveBaselines.set(handle, Math.max(-1, ...before.map((r) => r.StartedTimestamp ?? -1)));
      return { started: true, task: { handle } };
    } catch (err) {
      const status = httpStatusOf(err);
      // No $fault: the SDK could not read an SQS error from the body (moto's HTML 500 page).
      const modeled = typeof err === 'object' && err !== null && '$fault' in err && err.$fault !== undefined;
      const code = (modeled ? awsErrorCodes(err)[0] : undefined) ?? `HTTP ${status ?? '?'}`;
      if (isUnsupportedAction(err)) return { started: false, reason: `${this.queueUrl} does not support message move tasks (${code})` };
      if (httpStatusOf(err) === 403 || hasAwsCode(err, ...ACCESS_CODES)) {
        return { started: false, reason: `message move tasks on ${this.queueUrl} were denied (${code}); grant sqs:StartMessageMoveTask and sqs:ListMessageMoveTasks to use them` };
      }
      throw this.translate(err);
    }
  }

  /**
   * Polls ListMessageMoveTasks until the task is COMPLETED, FAILED or CANCELLED. SQS lists a
   * task's handle only while it runs: a finished one is found by the start time seen while it
   * ran, or else as the one task newer than those listed before the start.
   */
  async waitForMessageMove(task: MessageMoveTask, options: MessageMoveWaitOptions = {}): Promise<MessageMoveResult> {
    const sourceArn = await this.queueArn();
    const baseline = this.moveBaselines.get(task.handle) ?? -1;
    let startedAt: number | undefined;
    let last: MessageMoveResult = { handle: task.handle, status: 'RUNNING', moved: 0 };
    for (let missing = 0, delay = MOVE_POLL_FIRST_MS; ; delay = Math.min(MOVE_POLL_MAX_MS, delay * 2)) {
      if (!(await pause(delay, options.signal))) return last;
      let results: ListMessageMoveTasksResultEntry[];
      try {
        results = await this.listMoveTasks(sourceArn);
      } catch (err) {
        const target = `SQS move task ${task.handle} from ${this.queueUrl} (it may still be running)`;
        throw classifyAwsError(err, { target, unavailable: ErrorCodes.QueueUnavailable, rejected: ErrorCodes.Internal });
      }
      const entry =
        results.find((r) => r.TaskHandle === task.handle) ??
        results.find((r) => startedAt !== undefined && r.StartedTimestamp === startedAt) ??
        (startedAt === undefined ? results.find((r) => r.TaskHandle === undefined && (r.StartedTimestamp ?? -1) > baseline) : undefined);
      if (entry === undefined) {
        missing += 1;
        if (missing >= MOVE_TASK_MISSING_POLLS) throw new FatalError(ErrorCodes.Internal, `SQS move task ${task.handle} is not listed by ListMessageMoveTasks for ${this.queueUrl}`);
        continue;
      }
      missing = 0;
      startedAt ??= entry.StartedTimestamp;
      last = toMoveResult(task.handle, entry);
      options.onProgress?.(last);
      if (last.status === 'COMPLETED' || last.status === 'FAILED' || last.status === 'CANCELLED') {
        this.moveBaselines.delete(task.handle);
        return last;
      }
    }
  }

  private async listMoveTasks(sourceArn: string): Promise<ListMessageMoveTasksResultEntry[]> {
    return (await this.client.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 }))).Results ?? [];
  }

  /** This queue's ARN (GetQueueAttributes QueueArn), asked once; a failed ask is asked again next time. */
  private queueArn(): Promise<string> {
    this.arn ??= this.fetchArn().catch((err: unknown) => {
      this.arn = undefined;
      throw err;
    });
    return this.arn;
  }

  private async fetchArn(): Promise<string> {
    try {
      const output = await this.client.send(new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['QueueArn'] }));
      const arn = output.Attributes?.['QueueArn'];
      if (arn === undefined || arn === '') throw new FatalError(ErrorCodes.Internal, `SQS queue ${this.queueUrl} reported no QueueArn`);
      return arn;
    } catch (err) {
      throw this.translate(err);
    }
  }

  /** Idempotent; ends pending long polls. The client belongs to the caller and stays open. */
  async close(): Promise<void> {
    this.closing.abort();
  }

  /**
   * Runs one batch call per chunk. Ids in the result are indexes into `entries`. A call that
   * fails as a whole turns into per-entry failures for its chunk (so none is silently lost),
   * except a fatal error (wrong URL, bad credentials), which stops everything.
   */
  private async inChunks<E>(
    entries: readonly E[],
    chunks: readonly (readonly [number, number])[],
    call: (chunk: readonly E[], offset: number) => Promise<{ Successful?: { Id?: string }[]; Failed?: BatchResultErrorEntry[] }>,
  ): Promise<BatchResult> {
    const successful: string[] = [];
    const failed: BatchEntryFailure[] = [];
    for (const [start, end] of chunks) {
      const chunk = entries.slice(start, end);
      try {
        const output = await call(chunk, start);
        for (const ok of output.Successful ?? []) successful.push(String(start + Number(ok.Id)));
        for (const bad of output.Failed ?? []) failed.push(entryFailure(bad, start));
      } catch (err) {
        const error = this.translate(err);
        if (isFatalError(error)) throw error;
        chunk.forEach((_, i) => failed.push({ id: String(start + i), code: error.code, message: error.message, retryable: error.retryable }));
      }
    }
    return { successful, failed };
  }

  private translate(err: unknown): FilesearchError {
    const target = `SQS queue ${this.queueUrl}`;
    const error = classifyAwsError(err, { target, unavailable: ErrorCodes.QueueUnavailable, rejected: ErrorCodes.Internal });
    // A missing IAM or KMS permission on the queue stops every message alike: a configuration problem.
    if (isPermanentError(error) && (httpStatusOf(err) === 403 || hasAwsCode(err, ...ACCESS_CODES))) {
      return new FatalError(
        ErrorCodes.ConfigInvalid,
        `${target}: access denied (${awsErrorCodes(err)[0] ?? 'HTTP 403'}). Grant the worker's role sqs:ReceiveMessage, ` +
          'sqs:DeleteMessage, sqs:ChangeMessageVisibility, sqs:SendMessage and sqs:GetQueueAttributes on it (and kms:Decrypt for an SSE-KMS queue).',
        { cause: err },
      );
    }
    return error;
  }
}

/** Waits `ms`; false when `signal` aborted (before or during the wait). */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    await sleep(ms, undefined, signal === undefined ? {} : { signal });
    return true;
  } catch {
    return false;
  }
}

function toMoveResult(handle: string, entry: ListMessageMoveTasksResultEntry): MessageMoveResult {
  const status = entry.Status ?? '';
  const known = MOVE_STATUSES.has(status);
  const failureReason = known ? entry.FailureReason : `unknown move task status ${JSON.stringify(status)}`;
  return {
    handle,
    // An unknown status is reported as a failure rather than waited on forever.
    status: known ? (status as MessageMoveStatus) : 'FAILED',
    moved: entry.ApproximateNumberOfMessagesMoved ?? 0,
    ...(entry.ApproximateNumberOfMessagesToMove === undefined ? {} : { toMove: entry.ApproximateNumberOfMessagesToMove }),
    ...(failureReason === undefined || failureReason === '' ? {} : { failureReason }),
  };
}

function queueNameOf(url: string): string {
  const segments = url.split('?')[0]?.split('/').filter((s) => s !== '') ?? [];
  return segments.at(-1) ?? url;
}

function toQueueMessage(m: Message): QueueMessage {
  const system = m.Attributes ?? {};
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(m.MessageAttributes ?? {})) {
    if (value.StringValue !== undefined) attributes[name] = value.StringValue;
  }
  const firstReceived = system['ApproximateFirstReceiveTimestamp'];
  return {
    id: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    body: m.Body ?? '',
    receiveCount: Number(system['ApproximateReceiveCount'] ?? 1),
    sentAt: new Date(Number(system['SentTimestamp'] ?? Date.now())),
    ...(firstReceived === undefined ? {} : { firstReceivedAt: new Date(Number(firstReceived)) }),
    attributes: Object.freeze(attributes),
  };
}

function sendEntry(message: SendOptions): Omit<SendMessageBatchRequestEntry, 'Id'> {
  const attributes = Object.entries(message.attributes ?? {}).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]);
  return {
    MessageBody: message.body,
    ...(attributes.length === 0 ? {} : { MessageAttributes: Object.fromEntries(attributes) as Record<string, MessageAttributeValue> }),
    ...(message.delaySeconds === undefined ? {} : { DelaySeconds: message.delaySeconds }),
  };
}

/** What SQS counts towards the size limit: the body plus each attribute's name, type and value. */
function payloadBytes(message: SendOptions): number {
  let bytes = Buffer.byteLength(message.body);
  for (const [k, v] of Object.entries(message.attributes ?? {})) bytes += Buffer.byteLength(k) + 'String'.length + Buffer.byteLength(v);
  return bytes;
}

function chunkByCount(entries: readonly unknown[]): [number, number][] {
  const count = Math.ceil(entries.length / MAX_BATCH_ENTRIES);
  return Array.from({ length: count }, (_, i) => [i * MAX_BATCH_ENTRIES, Math.min(entries.length, (i + 1) * MAX_BATCH_ENTRIES)]);
}

/** Consecutive runs of at most 10 messages and 256 KiB; an oversized message travels alone (and SQS refuses it). */
function chunkBySize(messages: readonly SendOptions[]): [number, number][] {
  const chunks: [number, number][] = [];
  let start = 0;
  let bytes = 0;
  messages.forEach((message, i) => {
    const size = payloadBytes(message);
    if (i > start && (i - start >= MAX_BATCH_ENTRIES || bytes + size > MAX_BATCH_BYTES)) {
      chunks.push([start, i]);
      start = i;
      bytes = 0;
    }
    bytes += size;
  });
  if (start < messages.length) chunks.push([start, messages.length]);
  return chunks;
}

function entryFailure(entry: BatchResultErrorEntry, offset: number): BatchEntryFailure {
  const sqsCode = entry.Code ?? 'unknown';
  return {
    id: String(offset + Number(entry.Id)),
    code: ENTRY_CODES[sqsCode] ?? sqsCode,
    message: `${sqsCode}: ${entry.Message ?? 'no message'}`,
    // SenderFault: the request itself is wrong (a stale handle, …); repeating it cannot help.
    retryable: entry.SenderFault !== true,
  };
}

function refId(entries: readonly { readonly id: string }[], index: string): string {
  return entries[Number(index)]?.id ?? index;
}

function withId(failure: BatchEntryFailure, entries: readonly { readonly id: string }[]): BatchEntryFailure {
  return { ...failure, id: refId(entries, failure.id) };
}
