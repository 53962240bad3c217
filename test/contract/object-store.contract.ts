import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../src/ports/object-store.port.js';

export interface ObjectStoreFixture {
  readonly store: ObjectStore;
  readonly bucket: string;
  /** Creates an object out of band (a file in the folder, a PutObject on S3). */
  put(key: string, body: Buffer | string): Promise<void>;
  close(): Promise<void>;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { code?: string }).code ?? 'no code';
  }
  return 'no error';
}

/** The ObjectStore contract: every adapter (folder, S3) must pass it. */
export function describeObjectStoreContract(name: string, makeFixture: () => Promise<ObjectStoreFixture>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let f: ObjectStoreFixture;
    let tmp: string;
    beforeEach(async () => {
      f = await makeFixture();
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'store-contract-'));
    });
    afterEach(async () => {
      await f.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    });

    it('heads an object: size, etag and last-modified', async () => {
      await f.put('dir/会議 資料.txt', 'こんにちは');
      const head = await f.store.head(f.bucket, 'dir/会議 資料.txt');
      expect(head).toMatchObject({ bucket: f.bucket, key: 'dir/会議 資料.txt', size: Buffer.byteLength('こんにちは') });
      expect(head.etag).toBeTruthy();
      expect(head.lastModified).toBeInstanceOf(Date);
    });

    it('downloads the exact bytes to a file', async () => {
      const body = Buffer.from([0, 1, 2, 255, 254, 0x82, 0xa0]);
      await f.put('bin/a.bin', body);
      const dest = path.join(tmp, 'a.bin');
      const info = await f.store.download(f.bucket, 'bin/a.bin', dest, { maxBytes: 1024 });
      expect(fs.readFileSync(dest).equals(body)).toBe(true);
      expect(info.size).toBe(body.length);
    });

    it('refuses an object over the size cap with too_large and leaves no file behind', async () => {
      await f.put('big.txt', 'x'.repeat(2048));
      const dest = path.join(tmp, 'big.txt');
      expect(await codeOf(f.store.download(f.bucket, 'big.txt', dest, { maxBytes: 1000 }))).toBe('too_large');
      expect(fs.existsSync(dest)).toBe(false);
    });

    it('reports a missing object as object_not_found (permanent)', async () => {
      expect(await codeOf(f.store.head(f.bucket, 'nope.txt'))).toBe('object_not_found');
      expect(await codeOf(f.store.download(f.bucket, 'nope.txt', path.join(tmp, 'n'), { maxBytes: 10 }))).toBe('object_not_found');
    });

    it('reports an unknown bucket as bucket_not_found', async () => {
      expect(await codeOf(f.store.head('no-such-bucket-here', 'a.txt'))).toBe('bucket_not_found');
    });

    it('lists objects in key order, filtered by prefix', async () => {
      await f.put('b/2.txt', '2');
      await f.put('a/1.txt', '1');
      await f.put('b/1.txt', '11');
      const all: string[] = [];
      for await (const o of f.store.list(f.bucket)) all.push(o.key);
      expect(all).toEqual(['a/1.txt', 'b/1.txt', 'b/2.txt']);
      const b: Array<[string, number]> = [];
      for await (const o of f.store.list(f.bucket, 'b/')) b.push([o.key, o.size]);
      expect(b).toEqual([
        ['b/1.txt', 2],
        ['b/2.txt', 1],
      ]);
    });

    it('puts an object whole: head and download give back the exact bytes, and a second put replaces it', async () => {
      const body = Buffer.from([0x7b, 0, 0xff, 0x82, 0xa0, 0x0a]);
      const put = await f.store.put(f.bucket, 'archive/2026/会議.jsonl', body, { contentType: 'application/x-ndjson' });
      expect(put).toMatchObject({ bucket: f.bucket, key: 'archive/2026/会議.jsonl', size: body.length });
      expect((await f.store.head(f.bucket, 'archive/2026/会議.jsonl')).size).toBe(body.length);
      const dest = path.join(tmp, 'put.bin');
      await f.store.download(f.bucket, 'archive/2026/会議.jsonl', dest, { maxBytes: 1024 });
      expect(fs.readFileSync(dest).equals(body)).toBe(true);

      await f.store.put(f.bucket, 'archive/2026/会議.jsonl', '二回目\n');
      const again = path.join(tmp, 'again.txt');
      await f.store.download(f.bucket, 'archive/2026/会議.jsonl', again, { maxBytes: 1024 });
      expect(fs.readFileSync(again, 'utf8')).toBe('二回目\n');
      const keys: string[] = [];
      for await (const o of f.store.list(f.bucket, 'archive/')) keys.push(o.key);
      expect(keys).toEqual(['archive/2026/会議.jsonl']);
    });

    it('refuses a put into an unknown bucket with bucket_not_found', async () => {
      expect(await codeOf(f.store.put('no-such-bucket-here', 'a.txt', 'x'))).toBe('bucket_not_found');
    });
  });
}
