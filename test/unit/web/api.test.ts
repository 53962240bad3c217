import { describe, expect, it } from 'vitest';
import type { SearchDocument } from '../../../src/domain/document.js';
import type { SearchQuery } from '../../../src/ports/search-index.port.js';
import { BadRequest, documentApi, MAX_CONTENT_CHARS, searchApi } from '../../../src/web/api.js';

function doc(over: Partial<SearchDocument> = {}): SearchDocument {
  return {
    id: 'abc123',
    bucket: 'docs',
    key: 'a/会議.txt',
    fileName: '会議.txt',
    extension: 'txt',
    mimeType: 'text/plain',
    size: 10,
    content: '今日の会議は中止。次の会議は明日。',
    truncated: false,
    charCount: 17,
    language: 'ja',
    ocrUsed: false,
    metadataOnly: false,
    extractor: 'text',
    warnings: [],
    processingMs: 3,
    indexedAt: '2026-11-22T00:00:00.000Z',
    ...over,
  };
}

describe('searchApi', () => {
  it('maps page and size to offset and limit, and passes the filters', async () => {
    const seen: SearchQuery[] = [];
    const index = {
      search: async (q: SearchQuery) => {
        seen.push(q);
        const d = doc();
        const { content: _content, ...summary } = d;
        return { total: 41, hits: [{ id: d.id, score: 1, document: summary, snippet: { text: '会議', highlights: [[0, 2] as const] } }] };
      },
    };
    const r = await searchApi(index, new URLSearchParams('q=会議&page=3&size=20&type=PDF,.docx&from=2026-01-01&to=2026-12-31'));
    expect(seen[0]).toEqual({ text: '会議', limit: 20, offset: 40, filters: { extensions: ['pdf', 'docx'], modifiedFrom: '2026-01-01', modifiedTo: '2026-12-31' } });
    expect(r).toMatchObject({ query: '会議', total: 41, page: 3, pageSize: 20 });
    expect(r.hits[0]).toMatchObject({ fileName: '会議.txt', extension: 'txt', snippet: { text: '会議', highlights: [[0, 2]] } });
    expect(r.hits[0]).not.toHaveProperty('content');
  });

  it('answers an empty query without asking the index', async () => {
    const r = await searchApi({ search: () => Promise.reject(new Error('not called')) }, new URLSearchParams('q=  '));
    expect(r).toEqual({ query: '', total: 0, page: 1, pageSize: 20, hits: [] });
  });

  it.each([
    ['q=a&page=0', /^page:/],
    ['q=a&page=x', /^page:/],
    ['q=a&size=101', /^size:/],
    ['q=a&page=600&size=20', /^page:.*10000/],
    ['q=a&type=p*f', /^type:/],
    ['q=a&from=2026-13-45', /^from:/],
    ['q=a&to=yesterday', /^to:/],
  ])('refuses %s with a message naming the parameter', async (query, message) => {
    await expect(searchApi({ search: async () => ({ total: 0, hits: [] }) }, new URLSearchParams(query))).rejects.toSatisfy((e: unknown) => e instanceof BadRequest && message.test(e.message));
  });
});

describe('documentApi', () => {
  it('returns the metadata and content with the query highlighted', async () => {
    const r = await documentApi({ get: async () => doc() }, new URLSearchParams('id=abc123&q=会議'));
    expect(r?.highlights).toEqual([
      [3, 5],
      [11, 13],
    ]);
    expect(r).toMatchObject({ fileName: '会議.txt', contentClipped: false, truncated: false });
  });

  it('clips very long content and says so; 404s an unknown id; refuses a malformed one', async () => {
    const long = await documentApi({ get: async () => doc({ content: 'あ'.repeat(MAX_CONTENT_CHARS + 5) }) }, new URLSearchParams('id=abc'));
    expect(long?.content).toHaveLength(MAX_CONTENT_CHARS);
    expect(long?.contentClipped).toBe(true);
    expect(await documentApi({ get: async () => undefined }, new URLSearchParams('id=nope'))).toBeUndefined();
    await expect(documentApi({ get: async () => doc() }, new URLSearchParams('id=../etc'))).rejects.toBeInstanceOf(BadRequest);
  });
});
