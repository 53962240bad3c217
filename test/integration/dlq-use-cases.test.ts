import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../src/adapters/aws/s3-object-store.js';
import { SqsQueue } from '../../src/adapters/aws/sqs-queue.js';
import { BucketRegistry } from '../../src/adapters/embedded/bucket-registry.js';
import { FolderObjectStore } from '../../src/adapters/embedded/folder-object-store.js';
import { closeQueueDatabase, openQueueDatabase, SqliteQueue } from '../../src/adapters/embedded/sqlite-queue.js';
import { analyzeDlq } from '../../src/app/analyze-dlq.js';
import { archiveDlq, parseArchiveUrl, type ArchiveLine } from '../../src/app/archive-dlq.js';
import { redriveDlq } from '../../src/app/redrive-dlq.js';
import { reprocessDlq } from '../../src/app/reprocess-dlq.js';
import type { ObjectStore } from '../../src/ports/object-store.port.js';
import type { Queue } from '../../src/ports/queue.port.js';
import { drainQueue } from '../support/cli.js';
import { testServers } from '../support/servers.js';

/**
 * The DLQ use cases through the ports on both backends (SQLite + folders, SQS on ElasticMQ +
 * S3 on moto), including what happens when the send or the archive write fails: nothing is lost.
 */

interface Backend {
  readonly queue: Queue;
  readonly dlq: Queue;
  readonly store: ObjectStore;
  readonly bucket: string;
  close(): Promise<void>;
}

async function embedded(): Promise<Backend> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dlq-uc-'));
  const db = openQueueDatabase(path.join(home, 'queue.db'));
  const registry = new BucketRegistry(path.join(home, 'state'));
  fs.mkdirSync(path.join(home, 'archive'));
  const bucket = registry.register(path.join(home, 'archive'), 'archive');
  return {
    queue: new SqliteQueue({ db, name: 'main', visibilityTimeoutSeconds: 30 }),
    dlq: new SqliteQueue({ db, name: 'main-dlq', visibilityTimeoutSeconds: 30 }),
    store: new FolderObjectStore((b) => registry.resolve(b)),
    bucket,
    close: async () => {
      closeQueueDatabase(db);
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

async function aws(): Promise<Backend> {
  const servers = testServers();
  const sqs = new SQSClient({ region: servers.region, credentials: servers.credentials, endpoint: servers.sqs.elasticmq, maxAttempts: 1 });
  const s3 = new S3Client({ region: servers.region, credentials: servers.credentials, endpoint: servers.s3, forcePathStyle: true, maxAttempts: 1 });
  const name = `dlq-uc-${randomUUID().slice(0, 8)}`;
  const [queueUrl, dlqUrl] = await Promise.all(
    [name, `${name}-dlq`].map(async (q) => (await sqs.send(new CreateQueueCommand({ QueueName: q }))).QueueUrl ?? ''),
  );
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  return {
    queue: new SqsQueue({ client: sqs, queueUrl: queueUrl ?? '' }),
    dlq: new SqsQueue({ client: sqs, queueUrl: dlqUrl ?? '' }),
    store: new S3ObjectStore({ client: s3 }),
    bucket: name,
    close: async () => {
      await Promise.all([queueUrl, dlqUrl].map((url) => sqs.send(new DeleteQueueCommand({ QueueUrl: url }))));
      sqs.destroy();
      s3.destroy();
    },
  };
}

function dead(reason: string, errorType: string, key: string, lastFailureAt: string): Record<string, string> {
  return { reason, errorType, stage: 'fetch', attempts: '1', lastFailureAt, sourceQueue: 'main', details: JSON.stringify({ key }) };
}

const POISON = [
  { body: '{"Records": [', attributes: dead('malformed_message', 'permanent', '', '2026-01-01T10:15:00.000Z') },
  { body: '{"bucket":"b","key":"a/x.pdf"}', attributes: dead('object_not_found', 'permanent', 'a/x.pdf', '2026-01-01T10:45:00.000Z') },
  { body: '{"bucket":"b","key":"y.PDF"}', attributes: dead('object_not_found', 'permanent', 'y.PDF', '2026-01-01T11:05:00.000Z') },
  { body: '{"bucket":"b","key":"slow.tif"}', attributes: dead('extraction_timeout', 'permanent', 'slow.tif', '2026-01-01T11:30:00.000Z') },
];

for (const [name, make] of [
  ['SQLite queue + folder store', embedded],
  ['SQS on ElasticMQ + S3 on moto', aws],
] as const) {
  describe(`DLQ use cases: ${name}`, () => {
    let b: Backend;
    beforeEach(async () => {
      b = await make();
      for (const m of POISON) await b.dlq.send(m);
    });
    afterEach(async () => b.close());

    it('analyzes without consuming: counts by reason, type, extension and hour', async () => {
      const a = await analyzeDlq(b.dlq, { samplesPerReason: 1 });
      expect(a).toMatchObject({
        total: 4,
        byReason: { object_not_found: 2, extraction_timeout: 1, malformed_message: 1 },
        byErrorType: { permanent: 4 },
        byExtension: { pdf: 2, '(no key)': 1, tif: 1 },
        byHour: { '2026-01-01T10:00Z': 2, '2026-01-01T11:00Z': 2 },
        oldest: '2026-01-01T10:15:00.000Z',
        newest: '2026-01-01T11:30:00.000Z',
        notReleased: 0,
      });
      expect(a.samples['object_not_found']).toHaveLength(1);
      expect((await drainQueue(b.dlq)).map((m) => m.body).sort()).toEqual(POISON.map((m) => m.body).sort());
    });

    it('redrives the filtered ones byte for byte and leaves the rest', async () => {
      const summary = await redriveDlq(b.dlq, b.queue, { filter: { reason: 'object_not_found', olderThanMs: 60_000 } });
      expect(summary).toMatchObject({ matched: 2, redriven: 2, skipped: 2, failures: [] });
      expect((await drainQueue(b.queue)).map((m) => m.body).sort()).toEqual([POISON[1]?.body, POISON[2]?.body].sort());
      expect((await drainQueue(b.dlq)).map((m) => m.attributes['reason']).sort()).toEqual(['extraction_timeout', 'malformed_message']);
    });

    it('keeps a message in the DLQ when sending it back fails', async () => {
      const failing: Pick<Queue, 'send'> = {
        send: async (m) => {
          if (m.body.includes('y.PDF')) throw new Error('send refused');
          return b.queue.send(m);
        },
      };
      const summary = await redriveDlq(b.dlq, failing, { filter: { reason: 'object_not_found' } });
      expect(summary).toMatchObject({ matched: 2, redriven: 1, failures: [{ stage: 'send', message: 'send refused' }] });
      const left = await drainQueue(b.dlq);
      expect(left.map((m) => m.body)).toContain(POISON[2]?.body);
      expect(left).toHaveLength(3);
    });

    it('archives as JSON Lines, then deletes; a failed write deletes nothing', async () => {
      const broken: Pick<ObjectStore, 'put'> = { put: async () => Promise.reject(new Error('disk full')) };
      await expect(archiveDlq(b.dlq, broken, parseArchiveUrl(`s3://${b.bucket}/x`))).rejects.toThrow('disk full');
      expect(await b.dlq.depth()).toMatchObject({ visible: 4, inFlight: 0 });

      const summary = await archiveDlq(b.dlq, b.store, parseArchiveUrl(`s3://${b.bucket}/dlq`), { filter: { reason: 'object_not_found' } });
      expect(summary).toMatchObject({ archived: 2, skipped: 2, notDeleted: 0 });
      const key = summary.location?.replace(`s3://${b.bucket}/`, '') ?? '';
      expect(key).toMatch(/^dlq\/dlq-archive-.*\.jsonl$/);
      const dest = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dlq-arch-')), 'a.jsonl');
      await b.store.download(b.bucket, key, dest, { maxBytes: 1_000_000 });
      const lines = fs.readFileSync(dest, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ArchiveLine);
      expect(lines.map((l) => l.body).sort()).toEqual([POISON[1]?.body, POISON[2]?.body].sort());
      expect(lines[0]?.attributes['reason']).toBe('object_not_found');
      expect((await drainQueue(b.dlq)).map((m) => m.attributes['reason']).sort()).toEqual(['extraction_timeout', 'malformed_message']);
    });

    it('counts, redrives and archives a message dead-lettered twice (a crash between DLQ send and delete) once', async () => {
      // The same source message twice, as a worker killed after the DLQ send but before the delete leaves it.
      const copy = (key: string, id: string) => ({ body: `{"bucket":"b","key":"${key}"}`, attributes: { ...dead('object_not_found', 'permanent', key, '2026-01-01T12:00:00.000Z'), details: JSON.stringify({ key, sourceMessageId: id }) } });
      await b.dlq.send(copy('twice.txt', 'src-1'));
      await b.dlq.send(copy('twice.txt', 'src-1'));
      await b.dlq.send(copy('twice.pdf', 'src-2'));
      await b.dlq.send(copy('twice.pdf', 'src-2'));
      const a = await analyzeDlq(b.dlq);
      expect(a).toMatchObject({ total: 6, duplicates: 2, byReason: { object_not_found: 4, extraction_timeout: 1, malformed_message: 1 } });

      const summary = await redriveDlq(b.dlq, b.queue, { filter: { reason: 'object_not_found' } });
      expect(summary).toMatchObject({ matched: 4, redriven: 4, duplicatesDeleted: 2, failures: [] });
      const back = (await drainQueue(b.queue)).map((m) => m.body);
      expect(back.filter((x) => x.includes('twice'))).toHaveLength(2);
      expect(await b.dlq.depth()).toMatchObject({ visible: 2, inFlight: 0 });

      await b.dlq.send(copy('late.txt', 'src-3'));
      await b.dlq.send(copy('late.txt', 'src-3'));
      const archived = await archiveDlq(b.dlq, b.store, parseArchiveUrl(`s3://${b.bucket}/dup`), { filter: { reason: 'object_not_found' } });
      expect(archived).toMatchObject({ archived: 1, duplicatesDeleted: 1, notDeleted: 0 });
      expect(await b.dlq.depth()).toMatchObject({ visible: 2, inFlight: 0 });
    });

    it('reprocesses only recoverable failures, counting redrives and skipping those at the cap', async () => {
      const exhausted = { body: '{"bucket":"b","key":"flaky.txt"}', attributes: { DeadLetterSourceQueue: 'main' } };
      const capped = { body: '{"bucket":"b","key":"again.txt"}', attributes: { DeadLetterSourceQueue: 'main', redriveCount: '2' } };
      await b.dlq.send(exhausted);
      await b.dlq.send(capped);
      const summary = await reprocessDlq(b.dlq, b.queue, { maxRedrives: 2 });
      expect(summary).toMatchObject({ redriven: 2, overCap: 1, failures: [], byReason: { extraction_timeout: 1, '(none)': 1 } });
      const back = await drainQueue(b.queue);
      expect(back.map((m) => [m.body, m.attributes['redriveCount']]).sort()).toEqual([
        [exhausted.body, '1'],
        [POISON[3]?.body, '1'],
      ].sort());
      const left = await drainQueue(b.dlq);
      expect(left.map((m) => m.body).sort()).toEqual([POISON[0]?.body, POISON[1]?.body, POISON[2]?.body, capped.body].sort());
    });
  });
}

describe('redrive rate limit', () => {
  it('spaces sends evenly at --rate messages per second', async () => {
    const b = await embedded();
    try {
      for (const m of POISON) await b.dlq.send(m);
      let now = 1_000_000;
      const waits: number[] = [];
      const summary = await redriveDlq(b.dlq, b.queue, {
        ratePerSecond: 2,
        clock: { now: () => now },
        sleep: async (ms) => {
          waits.push(ms);
          now += ms;
        },
        waitTimeSeconds: 0,
      });
      expect(summary.redriven).toBe(4);
      expect(waits).toEqual([500, 500, 500]);
    } finally {
      await b.close();
    }
  });
});
