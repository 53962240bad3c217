import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { errors, type Client } from '@opensearch-project/opensearch';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createOpenSearchClient } from '../../src/adapters/opensearch/opensearch-client.js';
import { toIndexError } from '../../src/adapters/opensearch/opensearch-errors.js';
import { OpenSearchSearchIndex, type AnalyzerOption } from '../../src/adapters/opensearch/opensearch-search-index.js';
import { ErrorCodes, isFatalError, isPermanentError, isTransientError } from '../../src/domain/errors.js';
import type { IndexOperation } from '../../src/ports/search-index.port.js';
import { testServers } from '../support/servers.js';
import { describeSearchIndexContract, makeDoc, type IndexUnderTest } from './search-index.contract.js';

/**
 * OpenSearchSearchIndex against a real OpenSearch on loopback: the shared contract (with the
 * kuromoji plugin, once as detected and once forced onto the built-in fallback), then what only
 * this adapter has: analyzer detection, tombstones on disk, item and request failures.
 */

const servers = testServers();
const kuromoji = servers.opensearchPlugins.includes('analysis-kuromoji');
const clock = { now: () => Date.parse('2024-06-01T00:00:00Z') };

const admin = createOpenSearchClient({ endpoint: servers.opensearch, auth: { kind: 'none' } });
afterAll(() => admin.close());

const freshName = (): string => `contract-${randomUUID().slice(0, 12)}`;

function openIndex(name: string, analyzer: AnalyzerOption = 'auto', client?: Client): OpenSearchSearchIndex {
  const own = client ?? createOpenSearchClient({ endpoint: servers.opensearch, auth: { kind: 'none' } });
  return new OpenSearchSearchIndex({ client: own, index: name, analyzer, clock });
}

async function subject(analyzer: AnalyzerOption): Promise<IndexUnderTest & { index: OpenSearchSearchIndex; name: string }> {
  const name = freshName();
  const index = openIndex(name, analyzer);
  return {
    index,
    name,
    refresh: async () => {
      await admin.indices.refresh({ index: name });
    },
    close: async () => {
      await admin.indices.delete({ index: name }, { ignore: [404] });
      await index.close();
    },
  };
}

describeSearchIndexContract(`OpenSearchSearchIndex (auto: ${kuromoji ? 'kuromoji' : 'cjk_bigram'})`, () => subject('auto'));
if (kuromoji) describeSearchIndexContract('OpenSearchSearchIndex (forced standard: cjk_bigram)', () => subject('standard'));

describe('OpenSearchSearchIndex', () => {
  it(`detects the analyzer the cluster offers (${servers.opensearchPlugins.join(', ') || 'no plugins'})`, async () => {
    const auto = await subject('auto');
    const standard = await subject('standard');
    try {
      expect(auto.index.analysis).toBeUndefined();
      await auto.index.ensureSchema();
      await standard.index.ensureSchema();
      expect(auto.index.analysis).toBe(kuromoji ? 'kuromoji' : 'cjk_bigram');
      expect(standard.index.analysis).toBe('cjk_bigram');
      // A second worker on the same index reads the choice from the mapping, whatever its option.
      const second = openIndex(auto.name, 'standard');
      await second.ensureSchema();
      expect(second.analysis).toBe(auto.index.analysis);
      await second.close();
    } finally {
      await auto.close();
      await standard.close();
    }
  });

  it('creates the index once when workers start together', async () => {
    const name = freshName();
    const workers = Array.from({ length: 4 }, () => openIndex(name));
    try {
      await Promise.all(workers.map((w) => w.ensureSchema()));
      expect(new Set(workers.map((w) => w.analysis)).size).toBe(1);
    } finally {
      await admin.indices.delete({ index: name }, { ignore: [404] });
      await Promise.all(workers.map((w) => w.close()));
    }
  });

  it('refuses an index it did not create, naming OPENSEARCH_INDEX', async () => {
    const name = freshName();
    await admin.indices.create({ index: name, body: { mappings: { properties: { content: { type: 'text' } } } } });
    const index = openIndex(name);
    try {
      const failure = await index.ensureSchema().catch((err: unknown) => err);
      expect(isFatalError(failure)).toBe(true);
      expect(String(failure)).toContain('OPENSEARCH_INDEX');
    } finally {
      await admin.indices.delete({ index: name }, { ignore: [404] });
      await index.close();
    }
  });

  it('stores text once, and keeps a tombstone (no content) after a sequenced delete', async () => {
    const s = await subject('auto');
    try {
      await s.index.ensureSchema();
      const kept = makeDoc({ key: 'k.txt', content: '保存される本文', sequencer: '0A' });
      const gone = makeDoc({ key: 'g.txt', content: '削除される本文', sequencer: '0A' });
      const plain = makeDoc({ key: 'p.txt', content: '順序のない削除' });
      await s.index.bulk([kept, gone, plain].map((document): IndexOperation => ({ type: 'upsert', document })));
      const raw = async (id: string) => (await admin.get({ index: s.name, id }, { ignore: [404] })).body as { found: boolean; _source?: Record<string, unknown> };
      expect(Object.keys((await raw(kept.id))._source ?? {})).not.toContain('tokens');

      const results = await s.index.bulk([
        { type: 'delete', id: gone.id, sequencer: '0B' },
        { type: 'delete', id: plain.id },
      ]);
      expect(results.map((r) => r.outcome)).toEqual(['deleted', 'deleted']);
      await s.refresh?.();
      expect((await raw(gone.id))._source).toEqual({
        id: gone.id,
        bucket: 'docs',
        key: 'g.txt',
        deleted: true,
        sequencer: '0B',
        deletedAt: '2024-06-01T00:00:00.000Z',
        deleteOutcome: 'deleted',
      });
      expect((await raw(plain.id)).found).toBe(false);
      expect(await s.index.count()).toBe(1);
      expect((await s.index.search({ text: '本文' })).hits.map((h) => h.id)).toEqual([kept.id]);
      // Deleting again, or with an older event, finds nothing to delete.
      expect(await s.index.bulk([{ type: 'delete', id: gone.id, sequencer: '0C' }])).toEqual([{ id: gone.id, outcome: 'not_found' }]);
      expect(await s.index.bulk([{ type: 'delete', id: gone.id, sequencer: '01' }])).toEqual([{ id: gone.id, outcome: 'not_found' }]);
      expect((await raw(gone.id))._source?.['sequencer']).toBe('0C');
      // Sequencers of different lengths compare after right-padding with zeros, case-insensitively.
      const padded = makeDoc({ key: 'g.txt', content: 'old', sequencer: '0bff' });
      expect(await s.index.bulk([{ type: 'upsert', document: padded }])).toEqual([{ id: gone.id, outcome: 'stale' }]);
      const newer = makeDoc({ key: 'g.txt', content: 'new', sequencer: '0c01' });
      expect(await s.index.bulk([{ type: 'upsert', document: newer }])).toEqual([{ id: gone.id, outcome: 'indexed' }]);
      expect(await s.index.get(gone.id)).toEqual(newer);
    } finally {
      await s.close();
    }
  });

  it('fails only the items OpenSearch rejects, as permanent errors', async () => {
    const s = await subject('auto');
    try {
      await s.index.ensureSchema();
      const good = makeDoc({ key: 'good.txt', content: 'fine' });
      const unmappable = makeDoc({ key: 'bad.txt', content: 'x', size: 'huge' as unknown as number });
      const unserialisable = makeDoc({ key: 'big.txt', content: 'x', size: 1n as unknown as number });
      const results = await s.index.bulk([good, unmappable, unserialisable].map((document): IndexOperation => ({ type: 'upsert', document })));
      expect(results.map((r) => [r.id, r.outcome])).toEqual([
        [good.id, 'indexed'],
        [unmappable.id, 'failed'],
        [unserialisable.id, 'failed'],
      ]);
      for (const r of results.slice(1)) {
        expect(isPermanentError(r.error)).toBe(true);
        expect(r.error?.code).toBe(ErrorCodes.IndexRejected);
      }
      expect(results[1]?.error?.message).toContain('mapper_parsing_exception');
    } finally {
      await s.close();
    }
  });

  it('fails every item as transient when OpenSearch cannot be reached, and search rejects transient', async () => {
    const client = createOpenSearchClient({ endpoint: 'http://127.0.0.1:9', auth: { kind: 'none' }, requestTimeoutMs: 2_000 });
    const index = openIndex(freshName(), 'auto', client);
    const docs = [makeDoc({ key: 'a.txt' }), makeDoc({ key: 'b.txt' })];
    const results = await index.bulk([...docs.map((document): IndexOperation => ({ type: 'upsert', document })), { type: 'delete', id: 'x' }]);
    expect(results.map((r) => r.outcome)).toEqual(['failed', 'failed', 'failed']);
    expect(results.every((r) => isTransientError(r.error) && r.error.code === ErrorCodes.IndexUnavailable)).toBe(true);
    await expect(index.search({ text: 'a' })).rejects.toSatisfy(isTransientError);
    await expect(index.count()).rejects.toSatisfy(isTransientError);
    await expect(index.ensureSchema()).rejects.toSatisfy(isTransientError);
    await index.close();
    await index.close();
    expect((await index.bulk([{ type: 'delete', id: 'x' }]))[0]?.error).toSatisfy(isTransientError);
  });

  it('classifies HTTP failures at the boundary', () => {
    const response = (statusCode: number, type: string) =>
      new errors.ResponseError({ body: { error: { type, reason: 'r' }, status: statusCode }, statusCode, headers: {}, warnings: null, meta: {} as never });
    const unauthorised = toIndexError(response(401, 'security_exception'));
    expect(isFatalError(unauthorised) && unauthorised.code).toBe(ErrorCodes.ConfigInvalid);
    expect(unauthorised.message).toContain('OPENSEARCH_ENDPOINT');
    expect(isFatalError(toIndexError(response(403, 'security_exception')))).toBe(true);
    // A read-only block (disk full) is operational, not a credentials problem.
    expect(isTransientError(toIndexError(response(403, 'cluster_block_exception')))).toBe(true);
    expect(isTransientError(toIndexError(response(429, 'rejected_execution_exception')))).toBe(true);
    expect(isTransientError(toIndexError(response(503, 'unavailable')))).toBe(true);
    expect(toIndexError(response(400, 'mapper_parsing_exception')).code).toBe(ErrorCodes.IndexRejected);
    expect(isPermanentError(toIndexError(response(400, 'mapper_parsing_exception')))).toBe(true);
    expect(isTransientError(toIndexError(new errors.ConnectionError('connect ECONNREFUSED')))).toBe(true);
  });

  it('ranks by kuromoji words without changing which documents match', async () => {
    const s = await subject('auto');
    try {
      await s.index.ensureSchema();
      const tokyo = makeDoc({ key: 't.txt', content: '東京都の支店で会議を開きます' });
      const kyoto = makeDoc({ key: 'k.txt', content: '京都の支店で明日の会議を開きます' });
      await s.index.bulk([tokyo, kyoto].map((document): IndexOperation => ({ type: 'upsert', document })));
      await s.refresh?.();
      const { hits } = await s.index.search({ text: '京都' });
      // Both contain the characters 京都 (what SQLite finds too); only one contains the word.
      expect(hits.map((h) => h.id).sort()).toEqual([tokyo.id, kyoto.id].sort());
      if (s.index.analysis === 'kuromoji') expect(hits[0]?.id).toBe(kyoto.id);
    } finally {
      await s.close();
    }
  });

  it('signs with SigV4 from the default credential chain, or sends basic auth', async () => {
    const seen: Array<string | undefined> = [];
    const server = await fakeOpenSearch((req, res) => {
      seen.push(req.headers.authorization);
      res.end(JSON.stringify({ count: 0 }));
    });
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDFILESEARCHTEST');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    try {
      const signed = createOpenSearchClient({ endpoint: server.url, auth: { kind: 'sigv4', region: 'ap-northeast-1' } });
      const basic = createOpenSearchClient({ endpoint: server.url, auth: { kind: 'basic', username: 'u', password: 'p' } });
      await signed.count({ index: 'x' });
      await basic.count({ index: 'x' });
      await Promise.all([signed.close(), basic.close()]);
      expect(seen[0]).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDFILESEARCHTEST\/\d{8}\/ap-northeast-1\/es\/aws4_request/);
      expect(seen[1]).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    } finally {
      vi.unstubAllEnvs();
      await server.close();
    }
  });

  it('fails items fatal on 401, transient on 429, and splits a request refused as too large', async () => {
    let status = 401;
    const sizes: number[] = [];
    const server = await fakeOpenSearch((req, res, body) => {
      const ids = body.split('\n').filter(Boolean).filter((_, i) => i % 2 === 0).map((line) => (JSON.parse(line) as { update: { _id: string } }).update._id);
      sizes.push(ids.length);
      res.statusCode = status === 413 && ids.length > 1 ? 413 : status === 413 ? 200 : status;
      const items = ids.map((_id) => ({ update: { _id, status: 201, result: 'created' } }));
      res.end(JSON.stringify(res.statusCode === 200 ? { errors: false, items } : { error: { type: 'x', reason: 'y' }, status: res.statusCode }));
    });
    const index = openIndex('fake', 'auto', createOpenSearchClient({ endpoint: server.url, auth: { kind: 'none' } }));
    const ops = ['a', 'b', 'c'].map((k): IndexOperation => ({ type: 'upsert', document: makeDoc({ key: `${k}.txt` }) }));
    try {
      const unauthorised = await index.bulk(ops);
      expect(unauthorised.every((r) => isFatalError(r.error) && r.error.code === ErrorCodes.ConfigInvalid)).toBe(true);
      await expect(index.ensureSchema()).rejects.toSatisfy(isFatalError);
      status = 429;
      expect((await index.bulk(ops)).every((r) => isTransientError(r.error))).toBe(true);
      status = 413;
      sizes.length = 0;
      expect((await index.bulk(ops)).map((r) => r.outcome)).toEqual(['indexed', 'indexed', 'indexed']);
      expect(sizes).toEqual([3, 2, 1, 1, 1]);
    } finally {
      await index.close();
      await server.close();
    }
  });

  it('indexes 1,000 documents in one bulk call', async () => {
    const s = await subject('auto');
    try {
      await s.index.ensureSchema();
      const docs = Array.from({ length: 1_000 }, (_, i) =>
        makeDoc({ key: `bulk/${i}.txt`, content: `文書番号 ${i} の本文。定例会議の議事録を含みます。`.repeat(20) }),
      );
      const started = performance.now();
      const results = await s.index.bulk(docs.map((document): IndexOperation => ({ type: 'upsert', document })));
      const elapsed = performance.now() - started;
      console.log(`OpenSearch bulk of 1,000 documents (${s.index.analysis}): ${elapsed.toFixed(0)} ms`);
      expect(results.every((r) => r.outcome === 'indexed')).toBe(true);
      await s.refresh?.();
      expect(await s.index.count()).toBe(1_000);
      expect((await s.index.search({ text: '議事録', limit: 5 })).total).toBe(1_000);
      expect((await s.index.search({ text: '番号 999' })).total).toBe(1);
    } finally {
      await s.close();
    }
  });
});

/** A loopback HTTP server standing in for OpenSearch where a real one cannot be made to fail on cue. */
async function fakeOpenSearch(
  handle: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      handle(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
