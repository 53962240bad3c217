import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { ErrorCodes, TransientError } from '../../domain/errors.js';
import { systemClock, type Clock } from '../../ports/clock.port.js';
import type {
  BatchEntryFailure,
  BatchResult,
  MessageRef,
  Queue,
  QueueDepth,
  QueueMessage,
  ReceiveOptions,
  SendOptions,
  VisibilityChange,
} from '../../ports/queue.port.js';
import {
  prepareQueueStatements,
  type MessageRow,
  type QueueDatabase,
  type QueueStatements,
} from './sqlite-queue-schema.js';

export { closeQueueDatabase, openQueueDatabase, type QueueDatabase } from './sqlite-queue-schema.js';

/**
 * The embedded Queue: SQS semantics (visibility timeout, receipt handles, receive count,
 * redrive to a DLQ, long polling) on a SQLite file shared by several processes.
 */

export interface SqliteQueueOptions {
  /** Opened with openQueueDatabase; shared by a queue and its DLQ and closed by its opener. */
  readonly db: QueueDatabase;
  readonly name: string;
  readonly visibilityTimeoutSeconds: number;
  readonly redrive?: { readonly deadLetterQueue: string; readonly maxReceiveCount: number };
  readonly clock?: Clock;
  /** How often a long poll looks again while the queue is empty. */
  readonly pollIntervalMs?: number;
}

/** Attribute naming the queue a dead-lettered message came from. */
export const DeadLetterSourceQueueAttribute = 'DeadLetterSourceQueue';

/** Per-entry failure code: change-visibility on a message that is not in flight. */
export const MessageNotInflightCode = 'message_not_inflight';

const MAX_VISIBILITY_SECONDS = 43_200;
const MAX_DELAY_SECONDS = 900;
const MAX_WAIT_SECONDS = 20;

export class SqliteQueue implements Queue {
  readonly name: string;
  private readonly db: QueueDatabase;
  private readonly visibilityMs: number;
  private readonly redrive: SqliteQueueOptions['redrive'];
  private readonly clock: Clock;
  private readonly pollIntervalMs: number;
  /** Aborted by close() so that a pending long poll ends at once instead of after 20 s. */
  private readonly closing = new AbortController();
  private readonly sql: QueueStatements;

  constructor(options: SqliteQueueOptions) {
    requireInteger('visibilityTimeoutSeconds', options.visibilityTimeoutSeconds, 0, MAX_VISIBILITY_SECONDS);
    if (options.redrive !== undefined) {
      requireInteger('redrive.maxReceiveCount', options.redrive.maxReceiveCount, 1, 1000);
      if (options.redrive.deadLetterQueue === options.name) {
        throw new TypeError(`queue ${options.name} cannot be its own dead-letter queue`);
      }
    }
    this.name = options.name;
    this.db = options.db;
    this.visibilityMs = options.visibilityTimeoutSeconds * 1000;
    this.redrive = options.redrive;
    this.clock = options.clock ?? systemClock;
    this.pollIntervalMs = options.pollIntervalMs ?? 100;
    this.sql = this.guard(() => prepareQueueStatements(this.db));
  }

  async send(message: SendOptions): Promise<{ id: string }> {
    validateSend(message);
    const id = this.guard(() => this.insert(message, this.clock.now()));
    return { id };
  }

  /** One transaction: all of the batch is stored, or (on a SQLite error) none of it. */
  async sendBatch(messages: readonly SendOptions[]): Promise<BatchResult> {
    messages.forEach(validateSend);
    const successful = this.guard(() =>
      this.db
        .transaction(() => {
          const now = this.clock.now();
          return messages.map((message) => this.insert(message, now));
        })
        .immediate(),
    );
    return { successful, failed: [] };
  }

  async receive(options: ReceiveOptions): Promise<QueueMessage[]> {
    requireInteger('maxMessages', options.maxMessages, 1, 10);
    requireInteger('waitTimeSeconds', options.waitTimeSeconds, 0, MAX_WAIT_SECONDS);
    const visibilitySeconds = options.visibilityTimeoutSeconds;
    if (visibilitySeconds !== undefined) {
      requireInteger('visibilityTimeoutSeconds', visibilitySeconds, 0, MAX_VISIBILITY_SECONDS);
    }
    const visibilityMs = visibilitySeconds === undefined ? this.visibilityMs : visibilitySeconds * 1000;
    // The wait is measured on real time: the injected clock may be a test's frozen fake.
    const deadline = performance.now() + options.waitTimeSeconds * 1000;
    for (;;) {
      // Checked before every attempt: an aborted caller must not take messages it will drop.
      if (options.signal?.aborted === true || this.closing.signal.aborted) return [];
      const messages = this.receiveOnce(options.maxMessages, visibilityMs);
      const remaining = deadline - performance.now();
      if (messages.length > 0 || remaining <= 0) return messages;
      await pause(Math.min(this.pollIntervalMs, remaining), options.signal, this.closing.signal);
    }
  }

  async deleteBatch(entries: readonly MessageRef[]): Promise<BatchResult> {
    return this.guard(() =>
      this.db
        .transaction(() =>
          collect(entries, (entry) => {
            const row = this.sql.handle.get({ id: entry.id, queue: this.name });
            // Already gone (deleted earlier, or moved to the DLQ): deleting is idempotent.
            if (row === undefined) return undefined;
            if (row.receipt_handle !== entry.receiptHandle) return staleHandle(entry.id);
            this.sql.delete.run({ id: entry.id, queue: this.name });
            return undefined;
          }),
        )
        .immediate(),
    );
  }

  async changeVisibilityBatch(entries: readonly VisibilityChange[]): Promise<BatchResult> {
    for (const entry of entries) {
      requireInteger('visibilityTimeoutSeconds', entry.visibilityTimeoutSeconds, 0, MAX_VISIBILITY_SECONDS);
    }
    return this.guard(() =>
      this.db
        .transaction(() => {
          const now = this.clock.now();
          return collect(entries, (entry) => {
            const row = this.sql.handle.get({ id: entry.id, queue: this.name });
            if (row === undefined || row.receipt_handle !== entry.receiptHandle) return staleHandle(entry.id);
            if (row.visible_at <= now) {
              return {
                id: entry.id,
                code: MessageNotInflightCode,
                message: `message ${entry.id} is not in flight`,
                retryable: false,
              };
            }
            const visibleAt = now + entry.visibilityTimeoutSeconds * 1000;
            this.sql.setVisibility.run({ id: entry.id, queue: this.name, visibleAt });
            return undefined;
          });
        })
        .immediate(),
    );
  }

  async depth(): Promise<QueueDepth> {
    const row = this.guard(() => this.sql.depth.get({ queue: this.name, now: this.clock.now() }));
    return { visible: row?.visible ?? 0, inFlight: row?.inFlight ?? 0, delayed: row?.delayed ?? 0 };
  }

  /** Idempotent. Pending and later receives return []; the shared connection stays open (see options.db). */
  async close(): Promise<void> {
    this.closing.abort();
  }

  private insert(message: SendOptions, now: number): string {
    const id = randomUUID();
    this.sql.insert.run({
      id,
      queue: this.name,
      body: JSON.stringify(message.body),
      attributes: JSON.stringify(message.attributes ?? {}),
      sentAt: now,
      visibleAt: now + (message.delaySeconds ?? 0) * 1000,
    });
    return id;
  }

  /** One receive attempt: a single write transaction, so two processes never share a message. */
  private receiveOnce(maxMessages: number, visibilityMs: number): QueueMessage[] {
    return this.guard(() => {
      // A cheap read first: an idle long poll should not take the write lock every interval.
      if (this.sql.anyVisible.get({ queue: this.name, now: this.clock.now() }) === undefined) return [];
      return this.db.transaction(() => this.pickVisible(maxMessages, visibilityMs)).immediate();
    });
  }

  private pickVisible(maxMessages: number, visibilityMs: number): QueueMessage[] {
    const now = this.clock.now();
    const picked: QueueMessage[] = [];
    // The seq cursor, not visible_at, ends the scan: with visibility 0 a delivered message
    // stays visible and would otherwise be picked again in the same call.
    let afterSeq = -1;
    while (picked.length < maxMessages) {
      const limit = maxMessages - picked.length;
      const rows = this.sql.pick.all({ queue: this.name, now, afterSeq, limit });
      for (const row of rows) {
        afterSeq = row.seq;
        if (this.redrive !== undefined && row.receive_count >= this.redrive.maxReceiveCount) {
          this.moveToDeadLetter(row, this.redrive.deadLetterQueue, now);
        } else {
          picked.push(this.deliver(row, now, visibilityMs));
        }
      }
      if (rows.length < limit) break;
    }
    return picked;
  }

  private deliver(row: MessageRow, now: number, visibilityMs: number): QueueMessage {
    const receiptHandle = randomUUID();
    this.sql.deliver.run({ seq: row.seq, receiptHandle, visibleAt: now + visibilityMs, now });
    return {
      id: row.id,
      receiptHandle,
      body: JSON.parse(row.body) as string,
      receiveCount: row.receive_count + 1,
      sentAt: new Date(row.sent_at),
      firstReceivedAt: new Date(row.first_received_at ?? now),
      attributes: Object.freeze(JSON.parse(row.attributes) as Record<string, string>),
    };
  }

  /** Like SQS redrive: same id, body and attributes; a fresh, immediately visible message there. */
  private moveToDeadLetter(row: MessageRow, deadLetterQueue: string, now: number): void {
    const attributes = JSON.parse(row.attributes) as Record<string, string>;
    attributes[DeadLetterSourceQueueAttribute] ??= this.name;
    this.sql.move.run({ seq: row.seq, queue: deadLetterQueue, attributes: JSON.stringify(attributes), now });
  }

  /** Translates SQLite failures (SQLITE_BUSY, I/O, closed connection) into our taxonomy, once. */
  private guard<T>(work: () => T): T {
    if (!this.db.open) {
      throw new TransientError(ErrorCodes.QueueUnavailable, `queue ${this.name}: database is closed`);
    }
    try {
      return work();
    } catch (err) {
      if (err instanceof Database.SqliteError || !this.db.open) {
        const message = err instanceof Error ? err.message : String(err);
        throw new TransientError(ErrorCodes.QueueUnavailable, `queue ${this.name}: ${message}`, { cause: err });
      }
      throw err;
    }
  }
}

function collect<E extends { readonly id: string }>(
  entries: readonly E[],
  apply: (entry: E) => BatchEntryFailure | undefined,
): BatchResult {
  const successful: string[] = [];
  const failed: BatchEntryFailure[] = [];
  for (const entry of entries) {
    const failure = apply(entry);
    if (failure === undefined) successful.push(entry.id);
    else failed.push(failure);
  }
  return { successful, failed };
}

function staleHandle(id: string): BatchEntryFailure {
  return {
    id,
    code: ErrorCodes.ReceiptHandleInvalid,
    message: `receipt handle for message ${id} is not its current one`,
    retryable: false,
  };
}

function validateSend(message: SendOptions): void {
  requireInteger('delaySeconds', message.delaySeconds ?? 0, 0, MAX_DELAY_SECONDS);
}

/** Programmer errors are plain TypeErrors: they are bugs to fix, not failures to retry. */
function requireInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`${name} must be an integer in ${min}..${max}, got ${value}`);
  }
}

/** Waits without ever throwing: an abort just ends the wait early. */
async function pause(ms: number, ...signals: (AbortSignal | undefined)[]): Promise<void> {
  const signal = AbortSignal.any(signals.filter((s): s is AbortSignal => s !== undefined));
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    // AbortError: the loop re-checks the signals and returns [].
  }
}
