import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { documentId, extensionOf, fileNameOf, type SearchDocument } from '../../src/domain/document.js';
import type { IndexOperation, SearchIndex, SearchResult } from '../../src/ports/search-index.port.js';

/**
 * The behaviour every SearchIndex adapter owes the worker and the search page, run against each
 * adapter (embedded SQLite, OpenSearch). Japanese cases are the reason this service exists.
 */

export interface IndexUnderTest {
  readonly index: SearchIndex;
  close(): Promise<void>;
  /** OpenSearch makes writes searchable only after a refresh. */
  refresh?(): Promise<void>;
}

type DocInput = Partial<SearchDocument> & { readonly key: string };

/** A document as the pipeline would build it; content is passed through as given. */
export function makeDoc(input: DocInput): SearchDocument {
  const bucket = input.bucket ?? 'docs';
  const content = input.content ?? '';
  return {
    id: documentId(bucket, input.key),
    bucket,
    fileName: fileNameOf(input.key),
    extension: extensionOf(input.key),
    mimeType: 'text/plain',
    size: content.length,
    content,
    truncated: false,
    charCount: [...content].length,
    language: 'ja',
    ocrUsed: false,
    metadataOnly: false,
    extractor: 'text',
    warnings: [],
    processingMs: 1,
    indexedAt: '2024-05-01T00:00:00.000Z',
    ...input,
  };
}

const upsert = (document: SearchDocument): IndexOperation => ({ type: 'upsert', document });

export function describeSearchIndexContract(name: string, makeIndex: () => Promise<IndexUnderTest>): void {
  describe(`SearchIndex contract: ${name}`, () => {
    let subject: IndexUnderTest;
    let index: SearchIndex;

    beforeEach(async () => {
      subject = await makeIndex();
      index = subject.index;
      await index.ensureSchema();
    });
    afterEach(async () => {
      await subject.close();
    });

    async function write(ops: IndexOperation[]) {
      const results = await index.bulk(ops);
      await subject.refresh?.();
      return results;
    }
    const put = (...docs: SearchDocument[]) => write(docs.map(upsert));
    const ids = (r: SearchResult) => r.hits.map((h) => h.id);
    const found = async (text: string) => ids(await index.search({ text, limit: 100 }));

    it('indexes a document that can then be fetched, counted and found', async () => {
      const doc = makeDoc({ key: 'notes/plan.txt', content: 'quarterly planning notes', title: 'Plan' });
      expect(await put(doc)).toEqual([{ id: doc.id, outcome: 'indexed' }]);
      expect(await index.get(doc.id)).toEqual(doc);
      expect(await index.count()).toBe(1);
      const result = await index.search({ text: 'planning' });
      expect(result.total).toBe(1);
      expect(result.hits[0]?.id).toBe(doc.id);
      expect(result.hits[0]?.document).not.toHaveProperty('content');
      expect(result.hits[0]?.document.key).toBe('notes/plan.txt');
      expect(await index.get('missing')).toBeUndefined();
      await expect(index.ping()).resolves.toBeUndefined();
    });

    it('replaces a document upserted again under the same id', async () => {
      await put(makeDoc({ key: 'a.txt', content: 'old wording' }));
      await put(makeDoc({ key: 'a.txt', content: 'new wording' }));
      expect(await index.count()).toBe(1);
      expect(await found('new')).toHaveLength(1);
      expect(await found('old')).toEqual([]);
    });

    it('deletes, and reports a delete of nothing as not_found', async () => {
      const doc = makeDoc({ key: 'gone.txt', content: 'ephemeral' });
      await put(doc);
      expect(await write([{ type: 'delete', id: doc.id }])).toEqual([{ id: doc.id, outcome: 'deleted' }]);
      expect(await index.get(doc.id)).toBeUndefined();
      expect(await found('ephemeral')).toEqual([]);
      expect(await write([{ type: 'delete', id: doc.id }])).toEqual([{ id: doc.id, outcome: 'not_found' }]);
      expect(await index.count()).toBe(0);
    });

    it('returns one result per operation, in order, for a mixed batch', async () => {
      const a = makeDoc({ key: 'a.txt', content: 'alpha' });
      const b = makeDoc({ key: 'b.txt', content: 'beta' });
      const c = makeDoc({ key: 'c.txt', content: 'gamma' });
      const results = await write([upsert(a), upsert(b), { type: 'delete', id: a.id }, { type: 'delete', id: 'nope' }, upsert(c)]);
      expect(results.map((r) => [r.id, r.outcome])).toEqual([
        [a.id, 'indexed'],
        [b.id, 'indexed'],
        [a.id, 'deleted'],
        ['nope', 'not_found'],
        [c.id, 'indexed'],
      ]);
      expect(await index.count()).toBe(2);
    });

    describe('Japanese', () => {
      it('finds a two-character word inside a longer compound, and not its characters apart', async () => {
        const minutes = makeDoc({ key: 'm.txt', content: '定例会議の議事録を共有します。' });
        const apart = makeDoc({ key: 'x.txt', content: '会社の議題について' });
        await put(minutes, apart);
        expect(await found('会議')).toEqual([minutes.id]);
      });

      it('finds a single kanji', async () => {
        const drawing = makeDoc({ key: 'd.txt', content: '配管の図面を添付します' });
        const other = makeDoc({ key: 'o.txt', content: '配管の写真を添付します' });
        await put(drawing, other);
        expect(await found('図')).toEqual([drawing.id]);
      });

      it('matches full-width and half-width alphanumerics both ways', async () => {
        const half = makeDoc({ key: 'h.txt', content: '型番 abc123 の仕様' });
        const full = makeDoc({ key: 'f.txt', content: '品番 ＸＹＺ９８７ の仕様' });
        await put(half, full);
        expect(await found('ＡＢＣ１２３')).toEqual([half.id]);
        expect(await found('xyz987')).toEqual([full.id]);
      });

      it('matches half-width katakana against full-width', async () => {
        const doc = makeDoc({ key: 'k.txt', content: '本日のカイギは中止です' });
        await put(doc);
        expect(await found('ｶｲｷﾞ')).toEqual([doc.id]);
      });

      it('finds a phrase broken by a line break in the document', async () => {
        const doc = makeDoc({ key: 'p.txt', content: 'あのイーハ\nトーヴォのすきとおった風' });
        await put(doc);
        expect(await found('あのイーハトーヴォ')).toEqual([doc.id]);
      });
    });

    it('matches English case-insensitively, across hyphenated words', async () => {
      const doc = makeDoc({ key: 'e.txt', content: 'Trace-based sampling of requests' });
      await put(doc);
      expect(await found('TRACE')).toEqual([doc.id]);
    });

    it('ranks a file-name match above a body-only match', async () => {
      // The body mentions the word three times; the file name once still has to win.
      const body = makeDoc({ key: 'misc/notes.txt', content: '予算の確認。来週の予算会議で予算案を決める' });
      const named = makeDoc({ key: 'finance/2024/予算.txt', content: '来週の資料を準備する' });
      const filler = ['one', 'two', 'three', 'four'].map((k) => makeDoc({ key: `${k}.txt`, content: '関係のない文書' }));
      await put(body, named, ...filler);
      const result = await index.search({ text: '予算' });
      expect(ids(result)).toEqual([named.id, body.id]);
      expect(result.hits[0]!.score).toBeGreaterThan(result.hits[1]!.score);
    });

    it('returns a snippet whose highlight covers exactly the matched word', async () => {
      const filler = 'この段落は検索語を含まない前置きの文章です。'.repeat(12);
      const doc = makeDoc({ key: 's.txt', content: `${filler}本件の議事録は共有フォルダにあります。${filler}` });
      const english = makeDoc({ key: 'en.txt', content: `${'padding words here '.repeat(20)}the Gateway timed out` });
      await put(doc, english);

      const [hit] = (await index.search({ text: '議事録' })).hits;
      expect(hit!.snippet.text).toContain('議事録');
      expect(hit!.snippet.text.length).toBeLessThan(300);
      const [start, end] = hit!.snippet.highlights[0]!;
      expect(hit!.snippet.text.slice(start, end)).toBe('議事録');

      const [en] = (await index.search({ text: 'gateway' })).hits;
      const [s, e] = en!.snippet.highlights[0]!;
      expect(en!.snippet.text.slice(s, e)).toBe('Gateway');
    });

    describe('event ordering', () => {
      it('does not let an older event overwrite a newer document', async () => {
        const newer = makeDoc({ key: 'o.txt', content: 'newer text', sequencer: '0000000000000002' });
        const older = makeDoc({ key: 'o.txt', content: 'older text', sequencer: '0000000000000001' });
        await put(newer);
        expect(await put(older)).toEqual([{ id: newer.id, outcome: 'stale' }]);
        expect((await index.get(newer.id))?.content).toBe('newer text');
        expect(await write([{ type: 'delete', id: newer.id, sequencer: '0000000000000001' }])).toEqual([
          { id: newer.id, outcome: 'stale' },
        ]);
        expect(await index.count()).toBe(1);
      });

      it('does not let an older create resurrect a document deleted by a newer event', async () => {
        const created = makeDoc({ key: 'r.txt', content: 'zombie', sequencer: '0000000000000001' });
        await put(created);
        await write([{ type: 'delete', id: created.id, sequencer: '0000000000000003' }]);
        const late = makeDoc({ key: 'r.txt', content: 'zombie again', sequencer: '0000000000000002' });
        expect(await put(late)).toEqual([{ id: late.id, outcome: 'stale' }]);
        expect(await index.get(late.id)).toBeUndefined();
        const newer = makeDoc({ key: 'r.txt', content: 'reborn', sequencer: '0000000000000004' });
        expect(await put(newer)).toEqual([{ id: newer.id, outcome: 'indexed' }]);
        expect(await found('reborn')).toEqual([newer.id]);
      });
    });

    it('filters by extension, bucket and modification time', async () => {
      const pdf = makeDoc({ key: 'r.pdf', content: 'budget report', lastModified: '2024-01-10T09:00:00.000Z' });
      const txt = makeDoc({ key: 'r.txt', content: 'budget report', lastModified: '2024-03-10T09:00:00.000Z' });
      const other = makeDoc({ bucket: 'other', key: 'r.docx', content: 'budget report', lastModified: '2024-02-10T09:00:00.000Z' });
      await put(pdf, txt, other);
      const search = async (filters: object) => ids(await index.search({ text: 'budget', filters }));
      expect(await search({ extensions: ['pdf'] })).toEqual([pdf.id]);
      expect((await search({ extensions: ['pdf', 'txt'] })).sort()).toEqual([pdf.id, txt.id].sort());
      expect(await search({ bucket: 'other' })).toEqual([other.id]);
      expect(await search({ modifiedFrom: '2024-02-01', modifiedTo: '2024-02-29' })).toEqual([other.id]);
      expect(await search({ modifiedTo: '2024-01-10' })).toEqual([pdf.id]);
    });

    it('pages with limit and offset and reports the total', async () => {
      const docs = Array.from({ length: 25 }, (_, i) => makeDoc({ key: `p/${i}.txt`, content: `page item ${i}` }));
      await put(...docs);
      const pages = await Promise.all([0, 10, 20].map((offset) => index.search({ text: 'page', limit: 10, offset })));
      expect(pages.map((p) => p.total)).toEqual([25, 25, 25]);
      expect(pages.map((p) => p.hits.length)).toEqual([10, 10, 5]);
      expect(new Set(pages.flatMap(ids))).toEqual(new Set(docs.map((d) => d.id)));
      expect((await index.search({ text: 'page' })).hits).toHaveLength(10);
    });

    it('never throws on hostile queries', async () => {
      await put(makeDoc({ key: 'h.txt', content: 'a b and or not near text' }));
      const hostile = ['"', '""', 'AND OR NOT', '*', 'NEAR(', 'NEAR(a b', 'a:b', '-', '^', 'body:text', '(a', 'a)', "'", '\\', '\u0000'];
      // Pasted walls of text: hundreds of terms, or one very long phrase.
      const manyTerms = Array.from({ length: 500 }, (_, i) => String.fromCodePoint(0x4e00 + i)).join(' ');
      hostile.push(manyTerms, '東京'.repeat(600), 'x'.repeat(5_000));
      for (const text of hostile) {
        await expect(index.search({ text }), text).resolves.toHaveProperty('total');
      }
      expect(await index.search({ text: '' })).toEqual({ total: 0, hits: [] });
      expect(await index.search({ text: '   ' })).toEqual({ total: 0, hits: [] });
      expect(await index.search({ text: '*' })).toEqual({ total: 0, hits: [] });
      expect((await index.search({ text: 'AND OR NOT' })).total).toBe(1);
    });
  });
}
