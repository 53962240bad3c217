import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeQueueDatabase, openQueueDatabase, SqliteQueue, type QueueDatabase } from '../../src/adapters/embedded/sqlite-queue.js';
import type { PrepareDeps } from '../../src/app/prepare-message.js';
import type { Extractor } from '../../src/ports/extractor.port.js';
import type { ObjectStore } from '../../src/ports/object-store.port.js';
import type { IndexOperation, IndexItemResult, SearchIndex } from '../../src/ports/search-index.port.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { Worker } from '../../src/runtime/worker.js';

/**
 * Issue #9's changes to the worker: downloads (network) overlap up to MAX_IN_FLIGHT while
 * extraction (CPU) keeps to MAX_WORKERS slots; PROCESSING_TIMEOUT starts for the extraction when
 * its slot is free; a bulk request goes out when nothing else is being extracted instead of
 * waiting BULK_FLUSH_MS. Fakes for the store, extractor and index (STYLE: unit tests fake ports).
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Worker concurrency', () => {
  let dir: string;
  let db: QueueDatabase;
  let queue: SqliteQueue;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-conc-'));
    db = openQueueDatabase(path.join(dir, 'q.db'));
    queue = new SqliteQueue({ db, name: 'main', visibilityTimeoutSeconds: 30 });
  });
  afterEach(() => {
    closeQueueDatabase(db);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function setup(o: { inFlight: number; slots: number; downloadMs: number; extractMs: number; timeoutMs: number; flushMs: number; batchSize?: number; prefetch?: boolean }) {
    const now = { downloads: 0, extractions: 0, maxDownloads: 0, maxExtractions: 0, bulkCalls: 0 };
    const store: ObjectStore = {
      head: async () => Promise.reject(new Error('unused')),
      download: async (bucket, key, dest) => {
        now.downloads += 1;
        now.maxDownloads = Math.max(now.maxDownloads, now.downloads);
        await sleep(o.downloadMs);
        fs.writeFileSync(dest, `text of ${key}`);
        now.downloads -= 1;
        return { bucket, key, size: 10 };
      },
      list: async function* () {},
      put: async () => Promise.reject(new Error('unused')),
      close: async () => {},
    };
    const extractor: Extractor = {
      name: 'slow',
      supports: () => true,
      extract: async (i) => {
        now.extractions += 1;
        now.maxExtractions = Math.max(now.maxExtractions, now.extractions);
        await sleep(o.extractMs);
        if (i.signal?.aborted === true) throw new Error('aborted');
        now.extractions -= 1;
        return { text: fs.readFileSync(i.path, 'utf8'), ocrUsed: false, metadataOnly: false, extractor: 'slow', warnings: [], timings: {} };
      },
    };
    const docs = new Set<string>();
    const index = {
      ensureSchema: async () => {},
      bulk: async (ops: readonly IndexOperation[]): Promise<IndexItemResult[]> => {
        now.bulkCalls += 1;
        return ops.map((op) => {
          const id = op.type === 'upsert' ? op.document.id : op.id;
          docs.add(id);
          return { id, outcome: 'indexed' };
        });
      },
      search: async () => ({ total: 0, hits: [] }),
      get: async () => undefined,
      count: async () => docs.size,
      ping: async () => {},
      close: async () => {},
    } satisfies SearchIndex;
    const prepare: PrepareDeps = {
      store,
      detector: { detect: async () => ({ mime: 'text/plain', ext: 'txt', source: 'text' }) },
      extractor,
      tempFiles: { allocate: (ext) => path.join(dir, `${Math.random()}.${ext}`), release: async (p) => fs.rmSync(p, { force: true }) },
      clock: { now: () => Date.now() },
      limits: { maxFileBytes: 1_000, maxContentChars: 10_000, processingTimeoutMs: o.timeoutMs },
      extractionSlot: pLimit(o.slots),
    };
    const worker = new Worker({
      queue,
      dlq: new SqliteQueue({ db, name: 'dlq', visibilityTimeoutSeconds: 30 }),
      index,
      prepare,
      logger: silentLogger,
      clock: { now: () => Date.now() },
      options: {
        batchSize: o.batchSize ?? 10,
        waitTimeSeconds: 0,
        concurrency: o.slots,
        inFlight: o.inFlight,
        ...(o.prefetch === undefined ? {} : { prefetch: o.prefetch }),
        bulk: { maxDocuments: 100, maxBytes: 10_000_000, flushMs: o.flushMs },
        backoff: { initialDelaySeconds: 60, maxDelaySeconds: 300, random: () => 0 },
        workerId: 'test:1',
        visibilityTimeoutSeconds: 30,
      },
    });
    return { worker, now, docs };
  }

  const send = async (n: number) => {
    for (let i = 0; i < n; i += 1) await queue.send({ body: JSON.stringify({ bucket: 'b', key: `f${i}.txt` }) });
  };

  it('overlaps downloads up to the messages in flight while extraction keeps to its slots', async () => {
    await send(24);
    const { worker, now, docs } = setup({ inFlight: 12, slots: 2, downloadMs: 40, extractMs: 5, timeoutMs: 10_000, flushMs: 20 });
    const stats = await worker.run({ untilIdle: true });
    expect(stats).toMatchObject({ indexed: 24, deadLettered: 0 });
    expect(docs.size).toBe(24);
    expect(now.maxDownloads).toBeGreaterThanOrEqual(8);
    expect(now.maxExtractions).toBe(2);
  });

  it('starts PROCESSING_TIMEOUT for an extraction when its slot is free, not while it queues', async () => {
    // Ten files, one slot, 60 ms each: the last waits ~540 ms for its slot, far past the 200 ms
    // timeout, and must still be indexed.
    await send(10);
    const { worker, docs } = setup({ inFlight: 10, slots: 1, downloadMs: 1, extractMs: 60, timeoutMs: 200, flushMs: 20 });
    const stats = await worker.run({ untilIdle: true });
    expect(stats).toMatchObject({ indexed: 10, deadLettered: 0, released: 0 });
    expect(docs.size).toBe(10);
  });

  it('sends the bulk request when nothing else is being extracted instead of waiting BULK_FLUSH_MS', async () => {
    // A one-minute flush timer: were it awaited, the run would outlast the test's timeout.
    await send(5);
    const { worker, now } = setup({ inFlight: 4, slots: 2, downloadMs: 1, extractMs: 1, timeoutMs: 10_000, flushMs: 60_000 });
    const stats = await worker.run({ untilIdle: true });
    expect(stats).toMatchObject({ indexed: 5 });
    expect(now.bulkCalls).toBeGreaterThanOrEqual(1);
  }, 10_000);

  it('with PREFETCH=false holds one batch at a time (the old worker, the benchmark baseline)', async () => {
    await send(9);
    const { worker, now } = setup({ inFlight: 8, slots: 2, downloadMs: 20, extractMs: 1, timeoutMs: 10_000, flushMs: 20, batchSize: 3, prefetch: false });
    const stats = await worker.run({ untilIdle: true });
    expect(stats).toMatchObject({ indexed: 9 });
    expect(now.maxDownloads).toBe(3);
  });
});
