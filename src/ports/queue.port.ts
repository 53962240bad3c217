/**
 * A message queue with Amazon SQS semantics: batch receive with long polling, a visibility
 * timeout, a per-message receive count, batch delete / change-visibility with per-entry
 * results, send, and an approximate depth. Implemented by SqliteQueue (embedded) and SqsQueue.
 */

export interface QueueMessage {
  readonly id: string;
  /** Changes on every receive; only the latest one deletes or changes visibility. */
  readonly receiptHandle: string;
  readonly body: string;
  /** 1 on the first receive (SQS `ApproximateReceiveCount`). */
  readonly receiveCount: number;
  readonly sentAt: Date;
  readonly firstReceivedAt?: Date;
  /** String message attributes (the DLQ's reason, error type, …). */
  readonly attributes: Readonly<Record<string, string>>;
}

export interface ReceiveOptions {
  /** 1..10 */
  readonly maxMessages: number;
  /** Long polling: wait up to this long for the first message (0..20). */
  readonly waitTimeSeconds: number;
  /** Overrides the queue's default visibility timeout for these messages. */
  readonly visibilityTimeoutSeconds?: number;
  readonly signal?: AbortSignal;
}

export interface MessageRef {
  readonly id: string;
  readonly receiptHandle: string;
}

export interface VisibilityChange extends MessageRef {
  readonly visibilityTimeoutSeconds: number;
}

export interface BatchEntryFailure {
  readonly id: string;
  readonly code: string;
  readonly message: string;
  /** True when trying the same entry again may succeed. */
  readonly retryable: boolean;
}

export interface BatchResult {
  readonly successful: readonly string[];
  readonly failed: readonly BatchEntryFailure[];
}

export interface SendOptions {
  readonly body: string;
  readonly attributes?: Readonly<Record<string, string>>;
  readonly delaySeconds?: number;
}

export interface QueueDepth {
  /** Ready to be received. */
  readonly visible: number;
  /** Received and not yet deleted nor visible again. */
  readonly inFlight: number;
  /** Sent with a delay that has not passed. */
  readonly delayed: number;
}

export interface Queue {
  /** A name for logs and DLQ attributes (queue name or URL). */
  readonly name: string;
  receive(options: ReceiveOptions): Promise<QueueMessage[]>;
  /** Any number of entries; adapters split them into calls of at most 10. */
  deleteBatch(entries: readonly MessageRef[]): Promise<BatchResult>;
  changeVisibilityBatch(entries: readonly VisibilityChange[]): Promise<BatchResult>;
  send(message: SendOptions): Promise<{ id: string }>;
  /**
   * Many sends; adapters group them (SQS: 10 per call, SQLite: one transaction).
   * `successful` holds the new message ids; a failed entry's `id` is its index in `messages`.
   */
  sendBatch(messages: readonly SendOptions[]): Promise<BatchResult>;
  depth(): Promise<QueueDepth>;
  close(): Promise<void>;
}

/**
 * Optional capability of a dead-letter queue whose server moves messages itself (SQS
 * StartMessageMoveTask): nothing is received, held or re-sent by us. SqsQueue has it,
 * SqliteQueue does not; check with `isMessageMover`.
 */
export interface MessageMover {
  /** The highest rate the server accepts for a move (SQS: 500 messages per second). */
  readonly maxMoveRatePerSecond: number;
  /** Starts moving every message of this queue; `started: false` when the server cannot. */
  startMessageMove(options: MessageMoveOptions): Promise<MessageMoveStart>;
  /** Polls until the move ends; when `signal` aborts, returns the last status seen (the move goes on). */
  waitForMessageMove(task: MessageMoveTask, options?: MessageMoveWaitOptions): Promise<MessageMoveResult>;
}

export interface MessageMoveOptions {
  /** A queue of the same backend; absent: each message goes back to the queue it came from. */
  readonly destination?: Pick<Queue, 'send'>;
  /** Absent: the server's own pace. */
  readonly maxPerSecond?: number;
}

export interface MessageMoveTask {
  readonly handle: string;
}

export type MessageMoveStart = { readonly started: true; readonly task: MessageMoveTask } | { readonly started: false; readonly reason: string };

export type MessageMoveStatus = 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLING' | 'CANCELLED';

export interface MessageMoveResult {
  readonly handle: string;
  readonly status: MessageMoveStatus;
  /** Approximate, as the server counts. */
  readonly moved: number;
  readonly toMove?: number;
  readonly failureReason?: string;
}

export interface MessageMoveWaitOptions {
  readonly signal?: AbortSignal;
  /** Called after each poll. */
  readonly onProgress?: (progress: MessageMoveResult) => void;
}

export function isMessageMover(queue: object): queue is MessageMover {
  const q = queue as Partial<MessageMover>;
  return typeof q.startMessageMove === 'function' && typeof q.waitForMessageMove === 'function';
}
