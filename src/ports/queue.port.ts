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
