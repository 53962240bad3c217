import fs from 'node:fs';
import path from 'node:path';
import { BucketRegistry } from '../adapters/embedded/bucket-registry.js';
import { FolderObjectStore } from '../adapters/embedded/folder-object-store.js';
import { closeQueueDatabase, openQueueDatabase, SqliteQueue } from '../adapters/embedded/sqlite-queue.js';
import { openIndexDatabase, SqliteSearchIndex } from '../adapters/embedded/sqlite-search-index.js';
import type { Config } from '../config/config.js';
import { createExtraction } from './extraction.js';
import { ensureIndexReady } from './index-startup.js';
import { closer, type Runtime, type RuntimeOptions } from './runtime.js';

export const EMBEDDED_QUEUE = 'filesearch';
export const EMBEDDED_DLQ = 'filesearch-dlq';

/** Embedded mode: SQLite queue + DLQ, local folders as buckets, SQLite full-text index. */
export async function createEmbeddedRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  fs.mkdirSync(config.home, { recursive: true });
  const queueDb = openQueueDatabase(path.join(config.home, 'queue.db'));
  const queue = new SqliteQueue({
    db: queueDb,
    name: EMBEDDED_QUEUE,
    visibilityTimeoutSeconds: config.SQS_VISIBILITY_TIMEOUT,
    redrive: { deadLetterQueue: EMBEDDED_DLQ, maxReceiveCount: config.MAX_RECEIVE_COUNT },
  });
  const dlq = new SqliteQueue({ db: queueDb, name: EMBEDDED_DLQ, visibilityTimeoutSeconds: config.SQS_VISIBILITY_TIMEOUT });
  const buckets = new BucketRegistry(config.home);
  const store = new FolderObjectStore((bucket) => buckets.resolve(bucket));
  const index = new SqliteSearchIndex({ db: openIndexDatabase(path.join(config.home, 'index.db')) });
  const queueDbCloser = { close: () => closeQueueDatabase(queueDb) };
  try {
    if (options.ensureIndex !== false) await ensureIndexReady(index, options.waitForIndex);
  } catch (err) {
    await closer([queueDbCloser, queue, dlq, store, index])();
    throw err;
  }
  const { extractor, detector } = createExtraction(config);
  return {
    config,
    queue,
    dlq,
    store,
    index,
    extractor,
    detector,
    registerFolder: (dir, bucket) => buckets.register(dir, bucket),
    close: closer([queueDbCloser, queue, dlq, store, index, extractor]),
  };
}
