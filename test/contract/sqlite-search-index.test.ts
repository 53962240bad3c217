import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openIndexDatabase, SqliteSearchIndex } from '../../src/adapters/embedded/sqlite-search-index.js';
import type { SearchDocument } from '../../src/domain/document.js';
import { isPermanentError, isTransientError } from '../../src/domain/errors.js';
import { describeSearchIndexContract, makeDoc } from './search-index.contract.js';

const dirs: string[] = [];
function tempFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sqlite-index-'));
  dirs.push(dir);
  return path.join(dir, 'index', 'search.db');
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function openIndex(file: string): SqliteSearchIndex {
  return new SqliteSearchIndex({ db: openIndexDatabase(file), clock: { now: () => Date.parse('2024-06-01T00:00:00Z') } });
}

describeSearchIndexContract('SqliteSearchIndex', async () => {
  const index = openIndex(tempFile());
  return { index, close: () => index.close() };
});

describe('SqliteSearchIndex', () => {
  it('keeps documents and tombstones across a reopen', async () => {
    const file = tempFile();
    const first = openIndex(file);
    await first.ensureSchema();
    const kept = makeDoc({ key: 'keep/議事録.txt', content: '保存される文書' });
    const deleted = makeDoc({ key: 'gone.txt', content: 'x', sequencer: '01' });
    await first.bulk([{ type: 'upsert', document: kept }, { type: 'upsert', document: deleted }]);
    await first.bulk([{ type: 'delete', id: deleted.id, sequencer: '03' }]);
    await first.close();
    await first.close();

    const second = openIndex(file);
    await second.ensureSchema();
    await second.ensureSchema();
    expect(await second.count()).toBe(1);
    expect(await second.get(kept.id)).toEqual(kept);
    expect((await second.search({ text: '保存' })).hits.map((h) => h.id)).toEqual([kept.id]);
    const late = makeDoc({ key: 'gone.txt', content: 'x', sequencer: '02' });
    expect(await second.bulk([{ type: 'upsert', document: late }])).toEqual([{ id: late.id, outcome: 'stale' }]);
    await second.close();
  });

  it('indexes 1,000 documents in one call', async () => {
    const index = openIndex(tempFile());
    const docs = Array.from({ length: 1_000 }, (_, i) =>
      makeDoc({ key: `bulk/${i}.txt`, content: `文書番号 ${i} の本文。定例会議の議事録を含みます。`.repeat(20) }),
    );
    const results = await index.bulk(docs.map((document) => ({ type: 'upsert', document })));
    expect(results).toHaveLength(1_000);
    expect(results.every((r) => r.outcome === 'indexed')).toBe(true);
    expect(await index.count()).toBe(1_000);
    expect((await index.search({ text: '議事録', limit: 5 })).total).toBe(1_000);
    expect((await index.search({ text: '番号 999' })).total).toBe(1);
    await index.close();
  });

  it('fails only the item that cannot be stored, as a permanent error', async () => {
    const index = openIndex(tempFile());
    const good = makeDoc({ key: 'good.txt', content: 'fine' });
    // JSON.stringify throws on a BigInt: a document the index cannot store.
    const bad = makeDoc({ key: 'bad.txt', content: 'broken', size: 1n as unknown as number });
    // Fails after its documents row is written: the savepoint must roll that row back.
    const late = { ...makeDoc({ key: 'late.txt' }), content: 42 as unknown as string };
    const results = await index.bulk([
      { type: 'upsert', document: good },
      { type: 'upsert', document: bad },
      { type: 'upsert', document: late },
      { type: 'delete', id: 'absent' },
    ]);
    expect(results.map((r) => r.outcome)).toEqual(['indexed', 'failed', 'failed', 'not_found']);
    expect(await index.get(late.id)).toBeUndefined();
    expect(results[1]?.id).toBe(bad.id);
    expect(isPermanentError(results[1]?.error)).toBe(true);
    expect(results[1]?.error?.code).toBe('index_rejected');
    expect(await index.count()).toBe(1);
    expect((await index.search({ text: 'broken' })).total).toBe(0);
    await index.close();
  });

  it('fails every item as transient when the database is locked', async () => {
    const file = tempFile();
    const index = openIndex(file);
    await index.ensureSchema();
    const other = new Database(file);
    other.pragma('busy_timeout = 0');
    other.exec('BEGIN IMMEDIATE');
    try {
      const db = (index as unknown as { db: Database.Database }).db;
      db.pragma('busy_timeout = 0');
      const docs: SearchDocument[] = [makeDoc({ key: 'a.txt' }), makeDoc({ key: 'b.txt' })];
      const results = await index.bulk(docs.map((document) => ({ type: 'upsert', document })));
      expect(results.map((r) => [r.id, r.outcome])).toEqual(docs.map((d) => [d.id, 'failed']));
      expect(results.every((r) => isTransientError(r.error) && r.error.code === 'index_unavailable')).toBe(true);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(await index.count()).toBe(0);
    await index.close();
  });

  it('answers ping while free and fails it (transient) while another process holds the write lock; opens under the lock', async () => {
    const file = tempFile();
    const index = openIndex(file);
    await index.ensureSchema();
    await expect(index.ping()).resolves.toBeUndefined();
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    try {
      const db = (index as unknown as { db: Database.Database }).db;
      db.pragma('busy_timeout = 0');
      const err: unknown = await index.ping().catch((e: unknown) => e);
      expect(isTransientError(err) && err.code === 'index_unavailable', String(err)).toBe(true);
      // A worker restarting during the outage can open the index (nothing to write): it waits, it does not crash.
      const second = openIndex(file);
      await expect(second.ensureSchema()).resolves.toBeUndefined();
      expect(await second.count()).toBe(0);
      await second.close();
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await expect(index.ping()).resolves.toBeUndefined();
    await index.close();
  });

  it('fails every item as transient after close instead of throwing', async () => {
    const index = openIndex(tempFile());
    await index.close();
    const results = await index.bulk([{ type: 'delete', id: 'x' }]);
    expect(results[0]?.outcome).toBe('failed');
    expect(isTransientError(results[0]?.error)).toBe(true);
    await expect(index.count()).rejects.toSatisfy(isTransientError);
  });

  it('finds documents by a folder name in the key', async () => {
    const index = openIndex(tempFile());
    const doc = makeDoc({ key: '設計部/2024/図面一覧.pdf', content: 'no match in body' });
    await index.bulk([{ type: 'upsert', document: doc }]);
    expect((await index.search({ text: '設計部' })).hits.map((h) => h.id)).toEqual([doc.id]);
    expect((await index.search({ text: '図面一覧' })).hits[0]?.snippet).toEqual({ text: 'no match in body', highlights: [] });
    await index.close();
  });
});
