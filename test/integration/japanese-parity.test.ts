import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openIndexDatabase, SqliteSearchIndex } from '../../src/adapters/embedded/sqlite-search-index.js';
import { defaultExtractors, ExtractorRegistry } from '../../src/adapters/extract/registry.js';
import { MagicTypeDetector } from '../../src/adapters/extract/type-detector.js';
import { createOpenSearchClient } from '../../src/adapters/opensearch/opensearch-client.js';
import { OpenSearchSearchIndex, type AnalyzerOption } from '../../src/adapters/opensearch/opensearch-search-index.js';
import { buildDocument, type SearchDocument } from '../../src/domain/document.js';
import type { SearchIndex } from '../../src/ports/search-index.port.js';
import { corpusRoot, repoRoot } from '../support/cli.js';
import { testServers } from '../support/servers.js';

/**
 * The embedded index and OpenSearch must find the same files for the same query, or search
 * results would change with the deployment. The real corpus files are extracted and built into
 * documents exactly as the worker does, bulk-indexed into both, then queried with every Japanese
 * snippet of the MANIFEST, short words, width variants and Latin punctuation/diacritics cases.
 */

const INDEXED_FOLDERS = ['text/', 'pdf-text/'];
const CORPUS_BUCKET = 'corpus';
const samplesRoot = path.join(repoRoot, 'samples');

interface Row {
  readonly file: string;
  readonly language: string;
  readonly snippet: string;
  readonly stretch: boolean;
}

const rows: Row[] = readFileSync(path.join(corpusRoot, 'MANIFEST.tsv'), 'utf8')
  .split('\n')
  .slice(1)
  .filter((line) => line.trim() !== '')
  .map((line) => line.split('\t'))
  .map((c) => ({ file: c[0] ?? '', language: c[6] ?? '', snippet: c[7] ?? '', stretch: (c[8] ?? '').startsWith('STRETCH') }));

const japaneseRows = rows.filter((r) => (r.language === 'ja' || r.language === 'mixed') && r.snippet !== '');
const indexedFiles = [...new Set(rows.map((r) => r.file).filter((f) => INDEXED_FOLDERS.some((d) => f.startsWith(d))))];

/** One- and two-character words, width variants that NFKC must fold on both sides, a word broken by a line. */
const SHORT_QUERIES = ['図', '会議', 'の', '東京', '日本', '概要', 'ｶﾀｶﾅ', 'カタカナ', 'ＵＴＦ', 'utf', '見積', '図表', '文字 コード', '"日本 語"'];

/** A memo with Japanese short words, a word broken by a line, and Latin text where Lucene's
 * standard tokenizer and SQLite's unicode61 would disagree (my_report, example.com, 3.14, é). */
const MEMO_KEY = 'notes/東京出張メモ.txt';
const MEMO_TEXT = [
  '東京出張メモ (2026-05-12)',
  'ｶﾀｶﾅの品番はＵＴＦ－８で保存すること。会議資料の図',
  '表は共有フォルダへ。',
  "Café au lait: see my_report version 3.14 at example.com, Ωμέγα ñandú straße don't ÆON.",
].join('\n');
const LATIN_QUERIES = ['cafe', 'café', 'CAFÉ', 'report', 'my_report', '3.14', '14', 'example', 'example.com', 'ωμεγα', 'Ωμέγα', 'nandu', 'strasse', 'straße', 'don', 'aeon', 'æon'];

const detector = new MagicTypeDetector();
const registry = new ExtractorRegistry(defaultExtractors());

/** A real file extracted and built into a document exactly as the worker does. */
async function corpusDocument(root: string, bucket: string, file: string): Promise<SearchDocument> {
  const full = path.join(root, file);
  const extension = path.extname(file).slice(1).toLowerCase();
  const type = await detector.detect(full, extension);
  const { size, mtime } = await stat(full);
  const extraction = await registry.extract({ path: full, fileName: path.basename(file), extension, size, type });
  return buildDocument({
    event: { action: 'upsert', bucket, key: file, size, eventName: 'ObjectCreated:Put' },
    object: { size, lastModified: mtime },
    mimeType: type.mime,
    ...(type.mismatch === undefined ? {} : { typeMismatch: type.mismatch }),
    extraction,
    maxChars: 1_000_000,
    processingMs: extraction.timings['extractMs'] ?? 0,
    now: new Date('2024-06-01T00:00:00Z'),
  });
}

function memoDocument(): SearchDocument {
  return buildDocument({
    event: { action: 'upsert', bucket: 'notes', key: MEMO_KEY, eventName: 'ObjectCreated:Put' },
    object: { size: Buffer.byteLength(MEMO_TEXT) },
    mimeType: 'text/plain',
    extraction: { text: MEMO_TEXT, ocrUsed: false, metadataOnly: false, extractor: 'text/utf-8', warnings: [] },
    maxChars: 1_000_000,
    processingMs: 0,
    now: new Date('2024-06-01T00:00:00Z'),
  });
}

const servers = testServers();
const analyzers: AnalyzerOption[] = servers.opensearchPlugins.includes('analysis-kuromoji') ? ['auto', 'standard'] : ['auto'];
const tempDir = mkdtempSync(path.join(tmpdir(), 'parity-'));
let documents: SearchDocument[] = [];
let sqlite: SqliteSearchIndex;

beforeAll(async () => {
  const samples = readdirSync(samplesRoot).map((name) => path.join(samplesRoot, name));
  documents = [
    ...(await Promise.all(indexedFiles.map((file) => corpusDocument(corpusRoot, CORPUS_BUCKET, file)))),
    ...(await Promise.all(samples.map((file) => corpusDocument(samplesRoot, 'samples', path.relative(samplesRoot, file))))),
    memoDocument(),
  ];
  sqlite = new SqliteSearchIndex({ db: openIndexDatabase(path.join(tempDir, 'index.db')) });
  await sqlite.ensureSchema();
  const results = await sqlite.bulk(documents.map((document) => ({ type: 'upsert', document })));
  expect(results.every((r) => r.outcome === 'indexed')).toBe(true);
});

afterAll(async () => {
  await sqlite?.close();
  rmSync(tempDir, { recursive: true, force: true });
});

async function ids(index: SearchIndex, text: string): Promise<{ total: number; ids: string[] }> {
  const result = await index.search({ text, limit: 1_000 });
  return { total: result.total, ids: result.hits.map((h) => h.id).sort() };
}

const idOfFile = (key: string): string | undefined => documents.find((d) => d.key === key)?.id;

describe.each(analyzers)('Japanese search parity: SQLite and OpenSearch (analyzer %s)', (analyzer) => {
  const name = `parity-${randomUUID().slice(0, 12)}`;
  const client = createOpenSearchClient({ endpoint: servers.opensearch, auth: { kind: 'none' } });
  const opensearch = new OpenSearchSearchIndex({ client, index: name, analyzer, refreshOnWrite: true });

  beforeAll(async () => {
    await opensearch.ensureSchema();
    const results = await opensearch.bulk(documents.map((document) => ({ type: 'upsert', document })));
    expect(results.filter((r) => r.outcome !== 'indexed')).toEqual([]);
    expect(await opensearch.count()).toBe(documents.length);
  });
  afterAll(async () => {
    await client.indices.delete({ index: name }, { ignore: [404] });
    await opensearch.close();
  });

  it.each(japaneseRows)('MANIFEST snippet of $file: $snippet', async ({ file, snippet, stretch }) => {
    const [embedded, server] = await Promise.all([ids(sqlite, snippet), ids(opensearch, snippet)]);
    expect(server).toEqual(embedded);
    const source = idOfFile(file);
    if (source !== undefined && !stretch) expect(embedded.ids, `${file} not found by its own snippet`).toContain(source);
  });

  it.each([...SHORT_QUERIES, ...LATIN_QUERIES])('query %s', async (text) => {
    const [embedded, server] = await Promise.all([ids(sqlite, text), ids(opensearch, text)]);
    expect(server).toEqual(embedded);
  });

  it('finds what the queries are meant to find', async () => {
    const memo = idOfFile(MEMO_KEY);
    const found = async (text: string) => (await ids(opensearch, text)).ids;
    for (const text of ['cafe', 'report', 'example', 'nandu', '3.14', '東京', 'ｶﾀｶﾅ', 'ＵＴＦ', '図表', '会議']) expect(await found(text), text).toContain(memo);
    for (const text of ['ωμεγα', 'strasse', 'aeon']) expect(await found(text), text).not.toContain(memo);
    expect(await found('会議')).toContain(idOfFile('議事録_定例会議_第12回.txt'));
    expect(await found('見積')).toContain(idOfFile('見積依頼_ShiftJIS.txt'));
    expect(await found('概要')).toContain(idOfFile('text/chardet_sjis_readme.txt'));
  });
});
