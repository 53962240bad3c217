import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../src/adapters/aws/s3-object-store.js';
import { ErrorCodes, isPermanentError, isTransientError } from '../../src/domain/errors.js';
import { testServers } from '../support/servers.js';
import { describeObjectStoreContract, type ObjectStoreFixture } from './object-store.contract.js';

/** S3ObjectStore against an S3-API server on loopback, with a fresh bucket per test. */

function s3Client(endpoint = testServers().s3): S3Client {
  const servers = testServers();
  // Path-style: a loopback endpoint has no per-bucket DNS names.
  return new S3Client({ region: servers.region, credentials: servers.credentials, endpoint, forcePathStyle: true, maxAttempts: 1 });
}

type S3Fixture = ObjectStoreFixture & { client: S3Client; store: S3ObjectStore };

async function s3Fixture(): Promise<S3Fixture> {
  const client = s3Client();
  const bucket = `contract-${randomUUID().slice(0, 8)}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  const store = new S3ObjectStore({ client });
  return {
    client,
    store,
    bucket,
    put: async (key, body) => {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    close: async () => {
      await store.close();
      await emptyBucket(client, bucket);
      await client.send(new DeleteBucketCommand({ Bucket: bucket }));
      client.destroy();
    },
  };
}

async function emptyBucket(client: S3Client, bucket: string): Promise<void> {
  for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket })) {
    const objects = (page.Contents ?? []).map((o) => ({ Key: o.Key }));
    if (objects.length > 0) await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
  }
}

async function failureOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (err: unknown) => err,
  );
}

describeObjectStoreContract('S3ObjectStore on moto', () => s3Fixture());

describe('S3ObjectStore on moto (S3 specifics)', () => {
  let fx: S3Fixture;
  let tmp: string;

  beforeEach(async () => {
    fx = await s3Fixture();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 's3-store-'));
  });

  afterEach(async () => {
    await fx.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('round-trips keys with spaces, Japanese, + and other characters S3 encodes', async () => {
    const keys = ['請求書/2024年 最終 版.pdf', 'a+b c.txt', 'x/%41 ?&=#;.txt', 'ｶﾀｶﾅ/全角　スペース.txt'];
    for (const [i, key] of keys.entries()) await fx.put(key, `body-${i}`);

    for (const [i, key] of keys.entries()) {
      expect((await fx.store.head(fx.bucket, key)).size).toBe(`body-${i}`.length);
      const dest = path.join(tmp, String(i));
      await fx.store.download(fx.bucket, key, dest, { maxBytes: 100 });
      expect(fs.readFileSync(dest, 'utf8')).toBe(`body-${i}`);
    }
    const listed: string[] = [];
    for await (const o of fx.store.list(fx.bucket)) listed.push(o.key);
    expect(new Set(listed)).toEqual(new Set(keys));
    // `+` is a literal plus in a key, never a space: only event notifications encode space as +.
    expect(await failureOf(fx.store.head(fx.bucket, 'a b c.txt'))).toMatchObject({ code: ErrorCodes.ObjectNotFound });
  });

  it('reports head, version and content type', async () => {
    await fx.client.send(new PutObjectCommand({ Bucket: fx.bucket, Key: 'doc.md', Body: '# title', ContentType: 'text/markdown' }));
    const head = await fx.store.head(fx.bucket, 'doc.md');
    expect(head).toMatchObject({ bucket: fx.bucket, key: 'doc.md', size: 7, contentType: 'text/markdown' });
    expect(head.etag).toMatch(/^".+"$/);
  });

  it('treats an ETag mismatch (overwritten between head and get) as transient, so it is retried', async () => {
    await fx.put('changing.txt', 'first version');
    const stale = (await fx.store.head(fx.bucket, 'changing.txt')).etag;
    await fx.put('changing.txt', 'second, longer version');
    // The same If-Match request download() sends after its head, made with the old ETag.
    const error: unknown = await failureOf(
      fx.client.send(new GetObjectCommand({ Bucket: fx.bucket, Key: 'changing.txt', IfMatch: stale })),
    );
    expect(error).toMatchObject({ $metadata: { httpStatusCode: 412 } });

    // And what download() turns it into: a transient failure that leaves no file behind.
    const dest = path.join(tmp, 'changing.txt');
    const interleaved = new S3ObjectStore({ client: fx.client });
    fx.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetObjectCommand') await fx.put('changing.txt', 'third version, written mid-download');
        return next(args);
      },
      { step: 'initialize', name: 'overwriteBeforeGet' },
    );
    const failure = await failureOf(interleaved.download(fx.bucket, 'changing.txt', dest, { maxBytes: 1000 }));
    fx.client.middlewareStack.remove('overwriteBeforeGet');
    expect(isTransientError(failure)).toBe(true);
    expect(failure).toMatchObject({ code: ErrorCodes.StoreUnavailable });
    expect(fs.existsSync(dest)).toBe(false);
    await fx.store.download(fx.bucket, 'changing.txt', dest, { maxBytes: 1000 });
    expect(fs.readFileSync(dest, 'utf8')).toBe('third version, written mid-download');
  });

  it('lists more than one page completely, in key order', async () => {
    const keys = Array.from({ length: 1_050 }, (_, i) => `many/${String(i).padStart(4, '0')}.txt`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((key) => fx.put(key, 'x')));
    }
    const listed: string[] = [];
    for await (const o of fx.store.list(fx.bucket, 'many/')) listed.push(o.key);
    expect(listed).toEqual(keys);
  });

  it('never overwrites an existing destination file', async () => {
    await fx.put('a.txt', 'new');
    const dest = path.join(tmp, 'a.txt');
    fs.writeFileSync(dest, 'precious');
    const error = await failureOf(fx.store.download(fx.bucket, 'a.txt', dest, { maxBytes: 100 }));
    expect(error).toBeDefined();
    expect(fs.readFileSync(dest, 'utf8')).toBe('precious');
  });

  it('stops a download when its signal aborts and leaves no file behind', async () => {
    await fx.put('big.bin', Buffer.alloc(1024 * 1024));
    const dest = path.join(tmp, 'big.bin');
    const error = await failureOf(fx.store.download(fx.bucket, 'big.bin', dest, { maxBytes: 10 * 1024 * 1024, signal: AbortSignal.abort() }));
    expect(isTransientError(error)).toBe(true);
    expect(fs.existsSync(dest)).toBe(false);
  });

  it('refuses an empty key with invalid_key, and fails an over-long one permanently', async () => {
    expect(await failureOf(fx.store.head(fx.bucket, ''))).toMatchObject({ code: ErrorCodes.InvalidKey });
    const tooLong = 'k'.repeat(1_100);
    const error = await failureOf(fx.store.download(fx.bucket, tooLong, path.join(tmp, 'x'), { maxBytes: 10 }));
    expect(isPermanentError(error)).toBe(true);
  });

  it('reports an unknown bucket as bucket_not_found when listing and downloading', async () => {
    const missing = `missing-${randomUUID().slice(0, 8)}`;
    const listing = (async () => {
      for await (const o of fx.store.list(missing)) void o;
    })();
    expect(await failureOf(listing)).toMatchObject({ code: ErrorCodes.BucketNotFound });
    const download = fx.store.download(missing, 'a.txt', path.join(tmp, 'x'), { maxBytes: 10 });
    const error = await failureOf(download);
    expect(isPermanentError(error)).toBe(true);
    expect(error).toMatchObject({ code: ErrorCodes.BucketNotFound });
  });
});

describe('S3ObjectStore when the server cannot be reached', () => {
  it('throws a transient store_unavailable error', async () => {
    // Port 9 (discard) on loopback: nothing listens there, so the connection is refused.
    const client = s3Client('http://127.0.0.1:9');
    try {
      const error = await failureOf(new S3ObjectStore({ client }).head('bucket', 'key.txt'));
      expect(isTransientError(error)).toBe(true);
      expect(error).toMatchObject({ code: ErrorCodes.StoreUnavailable });
    } finally {
      client.destroy();
    }
  });
});
