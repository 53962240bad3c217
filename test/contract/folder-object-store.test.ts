import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BucketRegistry } from '../../src/adapters/embedded/bucket-registry.js';
import { FolderObjectStore } from '../../src/adapters/embedded/folder-object-store.js';
import { describeObjectStoreContract } from './object-store.contract.js';

function folderFixture() {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'folder-store-'));
  const root = path.join(home, 'files');
  fs.mkdirSync(root);
  const registry = new BucketRegistry(path.join(home, 'state'));
  const bucket = registry.register(root, 'files');
  const store = new FolderObjectStore((b) => registry.resolve(b));
  return {
    home,
    root,
    registry,
    store,
    bucket,
    put: async (key: string, body: Buffer | string) => {
      const file = path.join(root, key);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, body);
    },
    close: async () => fs.rmSync(home, { recursive: true, force: true }),
  };
}

describeObjectStoreContract('FolderObjectStore', async () => folderFixture());

describe('FolderObjectStore: keys never leave the bucket', () => {
  async function codeOf(p: Promise<unknown>): Promise<string> {
    return p.then(
      () => 'no error',
      (err: { code?: string }) => err.code ?? 'no code',
    );
  }

  it('refuses .. segments and absolute keys with invalid_key', async () => {
    const f = folderFixture();
    fs.writeFileSync(path.join(f.home, 'secret.txt'), 'secret');
    expect(await codeOf(f.store.head(f.bucket, '../secret.txt'))).toBe('invalid_key');
    expect(await codeOf(f.store.head(f.bucket, 'a/../../secret.txt'))).toBe('invalid_key');
    expect(await codeOf(f.store.head(f.bucket, path.join(f.home, 'secret.txt')))).toBe('invalid_key');
    expect(await codeOf(f.store.head(f.bucket, ''))).toBe('invalid_key');
    await f.close();
  });

  it('refuses a symlink pointing outside with access_denied, follows one inside, and lists only inside ones', async () => {
    const f = folderFixture();
    fs.writeFileSync(path.join(f.home, 'secret.txt'), 'secret');
    await f.put('real.txt', 'inside');
    fs.symlinkSync(path.join(f.home, 'secret.txt'), path.join(f.root, 'out.txt'));
    fs.symlinkSync(path.join(f.root, 'real.txt'), path.join(f.root, 'alias.txt'));
    expect(await codeOf(f.store.head(f.bucket, 'out.txt'))).toBe('access_denied');
    expect((await f.store.head(f.bucket, 'alias.txt')).size).toBe(6);
    const keys: string[] = [];
    for await (const o of f.store.list(f.bucket)) keys.push(o.key);
    expect(keys).toEqual(['alias.txt', 'real.txt']);
    await f.close();
  });

  it('registers folders under unique bucket names shared through the state file', () => {
    const f = folderFixture();
    const other = path.join(f.home, 'x', 'files');
    fs.mkdirSync(other, { recursive: true });
    expect(f.registry.register(other)).toBe('files-2');
    expect(f.registry.register(f.root)).toBe('files');
    expect(new BucketRegistry(path.join(f.home, 'state')).resolve('files-2')).toBe(fs.realpathSync(other));
    expect(() => f.registry.register(other, 'files')).toThrow(/already the folder/);
    fs.rmSync(f.home, { recursive: true, force: true });
  });

  it('puts only inside the bucket: .. and absolute keys are invalid_key, a folder link leading out is access_denied', async () => {
    const f = folderFixture();
    const outside = path.join(f.home, 'outside');
    fs.mkdirSync(outside);
    fs.symlinkSync(outside, path.join(f.root, 'exit'));
    expect(await codeOf(f.store.put(f.bucket, '../escape.txt', 'x'))).toBe('invalid_key');
    expect(await codeOf(f.store.put(f.bucket, path.join(f.home, 'abs.txt'), 'x'))).toBe('invalid_key');
    expect(await codeOf(f.store.put(f.bucket, 'dir/', 'x'))).toBe('invalid_key');
    expect(await codeOf(f.store.put(f.bucket, 'exit/new/leak.txt', 'x'))).toBe('access_denied');
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(fs.existsSync(path.join(f.home, 'escape.txt'))).toBe(false);
    await f.store.put(f.bucket, 'in/ok.txt', 'ok');
    expect(fs.readdirSync(path.join(f.root, 'in'))).toEqual(['ok.txt']);
    await f.close();
  });
});
