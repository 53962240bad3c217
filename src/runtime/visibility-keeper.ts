import { describeError } from '../domain/errors.js';
import type { Clock } from '../ports/clock.port.js';
import type { MessageRef, Queue, VisibilityChange } from '../ports/queue.port.js';
import type { Logger } from './logger.js';

/** SQS's ChangeMessageVisibilityBatch limit. */
const MAX_BATCH = 10;

export interface VisibilityKeeperOptions {
  readonly queue: Pick<Queue, 'changeVisibilityBatch'>;
  /** The queue's visibility timeout: each extension hides a message this long again. */
  readonly visibilityTimeoutSeconds: number;
  readonly logger: Logger;
  readonly clock: Clock;
}

interface Held {
  readonly ref: MessageRef;
  /** When the message's current lease started (receive or last extension). */
  leaseStartedAt: number;
}

/**
 * Keeps the messages this worker holds invisible while they are being processed, so that a file
 * that takes longer than the visibility timeout is not handed to a second worker (BullMQ's lock
 * manager): ONE timer for all of them, firing every third of the timeout, extending in batched
 * calls of at most 10 the leases that are a third used. Failures are logged, never thrown: the
 * worst case is the queue's normal redelivery.
 */
export class VisibilityKeeper {
  private readonly held = new Map<string, Held>();
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private tick: Promise<void> | undefined;
  /** Ids in the extension call that is under way. */
  private extending = new Set<string>();
  private closed = false;

  constructor(private readonly options: VisibilityKeeperOptions) {
    this.intervalMs = Math.max(100, Math.floor((options.visibilityTimeoutSeconds * 1000) / 3));
  }

  get size(): number {
    return this.held.size;
  }

  /** Everything held now (to release it all at a forced stop). */
  refs(): MessageRef[] {
    return [...this.held.values()].map((h) => h.ref);
  }

  /** Call as soon as a message is received. */
  track(message: MessageRef): void {
    if (this.closed) return;
    this.held.set(message.id, { ref: { id: message.id, receiptHandle: message.receiptHandle }, leaseStartedAt: this.options.clock.now() });
  }

  /**
   * Stop extending a message (before deleting or releasing it). Resolves once an extension of it
   * that is already under way has finished, so that it cannot undo a release's own visibility.
   */
  async untrack(id: string): Promise<void> {
    this.held.delete(id);
    if (this.extending.has(id)) await this.tick;
  }

  start(): void {
    if (this.closed || this.timer !== undefined) return;
    this.schedule();
  }

  /** Idempotent; waits for an extension under way. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.held.clear();
    await this.tick;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.tick = this.extendDue().finally(() => {
        this.tick = undefined;
        if (!this.closed) this.schedule();
      });
    }, this.intervalMs);
    // Never the reason the process stays alive.
    this.timer.unref();
  }

  /** Extends every lease at least a third used, to the full visibility timeout. Never throws. */
  async extendDue(): Promise<void> {
    const now = this.options.clock.now();
    const due = [...this.held.values()].filter((h) => now - h.leaseStartedAt >= this.intervalMs);
    if (due.length === 0) return;
    this.extending = new Set(due.map((h) => h.ref.id));
    const seconds = this.options.visibilityTimeoutSeconds;
    const batches: VisibilityChange[][] = [];
    for (let i = 0; i < due.length; i += MAX_BATCH) {
      batches.push(due.slice(i, i + MAX_BATCH).map((h) => ({ ...h.ref, visibilityTimeoutSeconds: seconds })));
    }
    await Promise.all(batches.map((b) => this.extendBatch(b, now)));
    this.extending = new Set();
  }

  private async extendBatch(batch: readonly VisibilityChange[], startedAt: number): Promise<void> {
    const { logger } = this.options;
    try {
      const result = await this.options.queue.changeVisibilityBatch(batch);
      for (const id of result.successful) {
        const h = this.held.get(id);
        if (h !== undefined) h.leaseStartedAt = startedAt;
      }
      for (const f of result.failed) {
        logger.warn({ event: 'visibility_extend_failed', messageId: f.id, code: f.code, error: f.message, retryable: f.retryable });
        // The receipt handle is no longer ours (expired, or deleted elsewhere): nothing to keep.
        if (!f.retryable) this.held.delete(f.id);
      }
      logger.debug({ event: 'visibility_extended', messages: result.successful.length, visibilityTimeoutSeconds: this.options.visibilityTimeoutSeconds });
    } catch (err) {
      logger.warn({ event: 'visibility_extend_failed', messages: batch.length, ...describeError(err) });
    }
  }
}
