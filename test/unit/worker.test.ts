import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openQueueDatabase, SqliteQueue, closeQueueDatabase, type QueueDatabase } from '../../src/adapters/embedded/sqlite-queue.js';
import type { PrepareDeps } from '../../src/app/prepare-message.js';
import { documentId, type SearchDocument } from '../../src/domain/document.js';
import { ErrorCodes, PermanentError, TransientError } from '../../src/domain/errors.js';
import { deadLetterDetails } from '../../src/domain/settlement.js';
import type { Extractor, TypeDetector } from '../../src/ports/extractor.port.js';
import type { ObjectStore } from '../../src/ports/object-store.port.js';
import type { Queue } from '../../src/ports/queue.port.js';
import type { IndexItemResult, IndexOperation, SearchIndex } from '../../src/ports/search-index.port.js';
import { silentLogger } from '../../src/runtime/logger.js';
import type { BackoffPolicy } from '../../src/domain/settlement.js';
import { createDownstreams, resilientIndex } from '../../src/runtime/resilience.js';
import { Worker, type WorkerDeps } from '../../src/runtime/worker.js';

/**
 * The worker's promises, with small hand-written fakes for the store, extractor and index
 * (STYLE: unit tests fake the ports) and the real embedded queue (it is in-process and fast).
 */

class FakeIndex implements SearchIndex {
  readonly docs = new Map<string, SearchDocument>();
  /** Per-id scripted outcome for the next bulk: 'transient' | 'permanent'. */
  failNext = new Map<string, 'transient' | 'permanent'>();
  throwNext = false;
  /** An outage: every bulk fails as a whole (503), and so does the health probe. */
  down = false;
  bulkCalls = 0;
  async ensureSchema() {}
  async bulk(ops: readonly IndexOperation[]): Promise<IndexItemResult[]> {
    this.bulkCalls += 1;
    if (this.down) {
      return ops.map((op) => ({ id: op.type === 'upsert' ? op.document.id : op.id, outcome: 'failed', error: new TransientError(ErrorCodes.IndexUnavailable, '503') }));
    }
    if (this.throwNext) {
      this.throwNext = false;
      throw new Error('connection reset');
    }
    return ops.map((op) => {
      const id = op.type === 'upsert' ? op.document.id : op.id;
      const fail = this.failNext.get(id);
      if (fail !== undefined) {
        this.failNext.delete(id);
        const error = fail === 'transient' ? new TransientError(ErrorCodes.IndexUnavailable, '429') : new PermanentError(ErrorCodes.IndexRejected, 'mapping');
        return { id, outcome: 'failed', error };
      }
      if (op.type === 'upsert') this.docs.set(id, op.document);
      else this.docs.delete(id);
      return { id, outcome: op.type === 'upsert' ? 'indexed' : 'deleted' };
    });
  }
  async search() {
    return { total: 0, hits: [] };
  }
  async get(id: string) {
    return this.docs.get(id);
  }
  async count() {
    if (this.down) throw new TransientError(ErrorCodes.IndexUnavailable, '503');
    return this.docs.size;
  }
  async ping() {
    if (this.down) throw new TransientError(ErrorCodes.IndexUnavailable, '503');
  }
  async close() {}
}

const files: Record<string, string> = { 'a.txt': 'alpha', 'b.txt': 'bravo', 'c.txt': 'charlie' };
const store: ObjectStore = {
  head: async () => {
    throw new Error('unused');
  },
  download: async (bucket, key, dest) => {
    const body = files[key];
    if (body === undefined) throw new PermanentError(ErrorCodes.ObjectNotFound, `${key} missing`);
    fs.writeFileSync(dest, body);
    return { bucket, key, size: body.length };
  },
  list: async function* () {},
  put: async () => {
    throw new Error('unused');
  },
  close: async () => {},
};
const detector: TypeDetector = { detect: async () => ({ mime: 'text/plain', ext: 'txt', source: 'text' }) };
const extractor: Extractor = {
  name: 'fake',
  supports: () => true,
  extract: async (i) => ({ text: fs.readFileSync(i.path, 'utf8'), ocrUsed: false, metadataOnly: false, extractor: 'fake', warnings: [], timings: {} }),
};

describe('Worker', () => {
  let dir: string;
  let db: QueueDatabase;
  let queue: SqliteQueue;
  let dlqStore: SqliteQueue;
  let index: FakeIndex;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-unit-'));
    db = openQueueDatabase(path.join(dir, 'q.db'));
    queue = new SqliteQueue({ db, name: 'main', visibilityTimeoutSeconds: 30, redrive: { deadLetterQueue: 'dlq', maxReceiveCount: 3 } });
    dlqStore = new SqliteQueue({ db, name: 'dlq', visibilityTimeoutSeconds: 30 });
    index = new FakeIndex();
  });
  afterEach(() => {
    closeQueueDatabase(db);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function worker(dlq: Queue = dlqStore, over: Partial<Pick<WorkerDeps, 'health' | 'index' | 'queue' | 'logger'>> & { backoff?: BackoffPolicy } = {}) {
    const prepare: PrepareDeps = {
      store,
      detector,
      extractor,
      tempFiles: { allocate: (ext) => path.join(dir, `${Math.random()}.${ext}`), release: async (p) => fs.rmSync(p, { force: true }) },
      clock: { now: () => Date.now() },
      limits: { maxFileBytes: 1_000, maxContentChars: 10_000, processingTimeoutMs: 10_000 },
    };
    return new Worker({
      queue: over.queue ?? queue,
      dlq,
      index: over.index ?? index,
      ...(over.health === undefined ? {} : { health: over.health }),
      prepare,
      logger: over.logger ?? silentLogger,
      clock: { now: () => Date.now() },
      options: {
        batchSize: 10,
        waitTimeSeconds: 0,
        concurrency: 2,
        bulk: { maxDocuments: 10, maxBytes: 1_000_000, flushMs: 5 },
        backoff: over.backoff ?? { initialDelaySeconds: 60, maxDelaySeconds: 300, random: () => 0 },
        workerId: 'test:1',
        visibilityTimeoutSeconds: 30,
      },
    });
  }

  const send = (key: string) => queue.send({ body: JSON.stringify({ bucket: 'b', key }) });

  it('indexes every file and deletes every message', async () => {
    for (const k of Object.keys(files)) await send(k);
    const stats = await worker().run({ untilIdle: true });
    expect(stats).toMatchObject({ received: 3, indexed: 3, deleted: 3, deadLettered: 0, released: 0 });
    expect(index.docs.size).toBe(3);
    expect(await queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('releases (does not delete) a message whose index item failed transiently', async () => {
    await send('a.txt');
    await send('b.txt');
    index.failNext.set(documentId('b', 'a.txt'), 'transient');
    const stop = new AbortController();
    const run = worker().run({ signal: stop.signal });
    await new Promise((r) => setTimeout(r, 300));
    stop.abort();
    const stats = await run;
    expect(stats).toMatchObject({ indexed: 1, deleted: 1, released: 1 });
    // Still in the queue, hidden for the backoff: it will come back, not be lost.
    expect(await queue.depth()).toMatchObject({ visible: 0, inFlight: 1 });
  });

  it('releases every message of a bulk request that threw', async () => {
    await send('a.txt');
    index.throwNext = true;
    const stop = new AbortController();
    const run = worker().run({ signal: stop.signal });
    await new Promise((r) => setTimeout(r, 300));
    stop.abort();
    expect(await run).toMatchObject({ deleted: 0, released: 1 });
    expect(await queue.depth()).toMatchObject({ inFlight: 1 });
  });

  it('dead-letters a permanent index rejection and a missing object, then deletes them', async () => {
    await send('a.txt');
    await send('gone.txt');
    index.failNext.set(documentId('b', 'a.txt'), 'permanent');
    const stats = await worker().run({ untilIdle: true });
    expect(stats).toMatchObject({ deadLettered: 2, deleted: 2 });
    const dead = await dlqStore.receive({ maxMessages: 10, waitTimeSeconds: 0 });
    expect(dead.map((m) => m.attributes['reason']).sort()).toEqual(['index_rejected', 'object_not_found']);
  });

  it('never deletes a message the DLQ did not accept', async () => {
    await queue.send({ body: 'not json' });
    const brokenDlq: Queue = Object.assign(Object.create(dlqStore) as Queue, {
      send: async () => {
        throw new TransientError(ErrorCodes.QueueUnavailable, 'DLQ down');
      },
    });
    const stop = new AbortController();
    const run = worker(brokenDlq).run({ signal: stop.signal });
    await new Promise((r) => setTimeout(r, 300));
    stop.abort();
    expect(await run).toMatchObject({ deadLettered: 0, deleted: 0, released: 1 });
    expect(await queue.depth()).toMatchObject({ inFlight: 1 });
  });

  it('keeps the re-drive count of a message it dead-letters again, so dlq reprocess stays capped', async () => {
    await queue.send({ body: 'still not json', attributes: { redriveCount: '2' } });
    expect(await worker().run({ untilIdle: true })).toMatchObject({ deadLettered: 1 });
    const [dead] = await dlqStore.receive({ maxMessages: 1, waitTimeSeconds: 0 });
    expect(deadLetterDetails(dead?.attributes ?? {}).redriveCount).toBe('2');
  });

  it('acknowledges s3:TestEvent without indexing anything', async () => {
    await queue.send({ body: JSON.stringify({ Event: 's3:TestEvent' }) });
    expect(await worker().run({ untilIdle: true })).toMatchObject({ ignored: 1, deleted: 1, indexed: 0 });
  });

  it('stops receiving while the index circuit is open, dead-letters nothing, and indexes everything after recovery', async () => {
    for (const k of Object.keys(files)) await send(k);
    index.down = true;
    const events: string[] = [];
    const logger = { ...silentLogger, info: (o: object) => void events.push((o as { event: string }).event), warn: (o: object) => void events.push((o as { event: string }).event) };
    // 5 attempts of the first bulk (1 + 4 retries) open the circuit; it probes every 200 ms.
    const ds = createDownstreams({ maxRetries: 4, initialDelaySeconds: 0.005, breakerThreshold: 5, halfOpenAfterMs: 200, random: () => 1, logger }, index);
    let receives = 0;
    const counting: Queue = Object.assign(Object.create(queue) as Queue, {
      receive: (o: Parameters<Queue['receive']>[0]) => {
        receives += 1;
        return queue.receive(o);
      },
    });
    const w = worker(dlqStore, {
      queue: counting,
      index: resilientIndex(index, ds.index),
      health: ds.health,
      logger,
      backoff: { initialDelaySeconds: 0, maxDelaySeconds: 1, random: () => 0 },
    });
    const run = w.run({ untilIdle: true });

    await until(() => ds.index.state === 'open');
    expect(index.bulkCalls).toBe(5);
    const receivesAtOpen = receives;
    await new Promise((r) => setTimeout(r, 700)); // three probe periods, all failing
    expect(receives).toBe(receivesAtOpen);
    expect(index.bulkCalls).toBe(5); // the probe is a count, not a message
    expect(ds.index.state).not.toBe('closed');

    index.down = false;
    const stats = await run;
    expect(stats).toMatchObject({ indexed: 3, deleted: 3, deadLettered: 0 });
    expect(index.docs.size).toBe(3);
    expect(await dlqStore.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(await queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(events).toEqual(expect.arrayContaining(['breaker_open', 'receive_paused', 'breaker_closed', 'receive_resumed']));
    expect(events.indexOf('breaker_closed')).toBeGreaterThan(events.indexOf('breaker_open'));
  }, 10_000);
});

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
