/**
 * Collects items and runs them in batches, flushing by count, by bytes or after a delay,
 * whichever comes first. Each `add` resolves with that item's own result. Used for bulk
 * indexing and for batched deletes, so both share one well-tested flushing rule.
 */
export interface BatcherOptions<T, R> {
  readonly maxItems: number;
  readonly maxBytes?: number;
  readonly sizeOf?: (item: T) => number;
  /** Flush a partial batch this long after its first item arrived. */
  readonly maxDelayMs: number;
  /** Must return one result per item, in order. A throw fails every item of the batch with `onBatchError`. */
  readonly run: (items: T[]) => Promise<R[]>;
  readonly onBatchError: (err: unknown, item: T) => R;
}

interface Pending<T, R> {
  readonly item: T;
  readonly resolve: (r: R) => void;
}

export class Batcher<T, R> {
  private buffer: Pending<T, R>[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: BatcherOptions<T, R>) {}

  get pending(): number {
    return this.buffer.length;
  }

  add(item: T): Promise<R> {
    return new Promise<R>((resolve) => {
      this.buffer.push({ item, resolve });
      this.bytes += this.options.sizeOf?.(item) ?? 0;
      const full =
        this.buffer.length >= this.options.maxItems ||
        (this.options.maxBytes !== undefined && this.bytes >= this.options.maxBytes);
      if (full) this.flushNow();
      else this.timer ??= setTimeout(() => this.flushNow(), this.options.maxDelayMs);
    });
  }

  /** Sends what is buffered now, without waiting for it (nothing more is coming soon). */
  send(): void {
    this.flushNow();
  }

  /** Sends what is buffered and waits for every batch under way. */
  async flush(): Promise<void> {
    this.flushNow();
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private flushNow(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    this.bytes = 0;
    const done = this.runBatch(batch).finally(() => this.running.delete(done));
    this.running.add(done);
  }

  private async runBatch(batch: Pending<T, R>[]): Promise<void> {
    const items = batch.map((p) => p.item);
    let results: R[];
    try {
      results = await this.options.run(items);
      if (results.length !== items.length) throw new Error(`batch returned ${results.length} results for ${items.length} items`);
    } catch (err) {
      results = items.map((item) => this.options.onBatchError(err, item));
    }
    batch.forEach((p, i) => p.resolve(results[i] as R));
  }
}
