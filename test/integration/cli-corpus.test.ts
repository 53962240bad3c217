import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentId } from '../../src/domain/document.js';
import { normalizeText } from '../../src/domain/text.js';
import type { Runtime } from '../../src/composition/runtime.js';
import { corpusRoot, manifestRows, openEmbedded, runCli, tempHome, type ManifestRow } from '../support/cli.js';

const FOLDERS = ['text', 'pdf-text', 'pdf-scanned', 'images', 'office'] as const;
const squash = (s: string) => normalizeText(s).replace(/\s+/g, '');

/**
 * Issues #2 and #4, the corpus must-shows: ingest every corpus folder but broken/ through the real
 * CLI, run until idle, then for every MANIFEST row the extracted text contains the snippet
 * (whitespace-insensitive, after the index's normalisation) and `filesearch search "<snippet>"
 * --json` returns the file. STRETCH rows are reported, not required. Prints a table per category.
 */
describe('the real corpus through the CLI: extract, index, search', () => {
  const home = tempHome('fs-corpus-');
  const rows = manifestRows(FOLDERS);
  const bucketOf = (row: ManifestRow) => row.path.split('/')[0] ?? '';
  const keyOf = (row: ManifestRow) => path.basename(row.path);
  let rt: Runtime;
  /** Whether `filesearch search` found each row's file: filled by the tests, read by the table. */
  const searched = new Map<string, boolean>();
  const searchFinds = async (row: ManifestRow): Promise<boolean> => {
    const res = await runCli(['search', row.snippet, '--json', '--limit', '50'], home);
    expect(res.code, res.stderr).toBe(0);
    const hits = (JSON.parse(res.stdout) as { hits: Array<{ document: { key: string; bucket: string } }> }).hits;
    const found = hits.some((h) => h.document.key === keyOf(row) && h.document.bucket === bucketOf(row));
    searched.set(row.path, found);
    return found;
  };

  beforeAll(async () => {
    const ingest = await runCli(['ingest', ...FOLDERS.map((f) => path.join(corpusRoot, f)), '--json'], home);
    expect(ingest.code, ingest.stderr).toBe(0);
    const run = await runCli(['run', '--until-idle'], home);
    expect(run.code, run.stderr).toBe(0);
    rt = await openEmbedded(home);
  }, 600_000);

  afterAll(async () => {
    const table = new Map<string, { files: number; extracted: number; found: number; ms: number[] }>();
    const report: string[] = [];
    for (const row of rows) {
      const doc = await rt.index.get(documentId(bucketOf(row), keyOf(row)));
      const extracted = doc !== undefined && squash(doc.content).includes(squash(row.snippet));
      const found = searched.get(row.path) ?? (await searchFinds(row));
      const t = table.get(bucketOf(row)) ?? { files: 0, extracted: 0, found: 0, ms: [] };
      table.set(bucketOf(row), { files: t.files + 1, extracted: t.extracted + (extracted ? 1 : 0), found: t.found + (found ? 1 : 0), ms: [...t.ms, doc?.processingMs ?? NaN] });
      if (row.stretch) report.push(`${found ? 'found    ' : 'not found'} ${row.path} (${row.snippet}) — STRETCH`);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    const lines = ['category      files  extracted  found  median ms', ...[...table].map(([c, t]) => `${c.padEnd(13)} ${String(t.files).padStart(5)} ${String(t.extracted).padStart(10)} ${String(t.found).padStart(6)} ${String(Math.round(median(t.ms))).padStart(10)}`)];
    console.log(`${lines.join('\n')}\n${report.join('\n')}`);
    await rt.close();
  }, 120_000);

  it('left nothing in the queue or the DLQ and indexed one document per file', async () => {
    expect(await rt.queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(await rt.dlq.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(await rt.index.count()).toBe(rows.length);
  });

  it.each(rows.filter((r) => !r.stretch).map((r) => [r.path, r] as const))('%s: the text holds its snippet and search finds it', async (_p, row) => {
    const doc = await rt.index.get(documentId(bucketOf(row), keyOf(row)));
    expect(doc, `${row.path} was not indexed`).toBeDefined();
    expect(squash(doc?.content ?? ''), `extracted text of ${row.path} lacks ${row.snippet}`).toContain(squash(row.snippet));
    expect(await searchFinds(row), `filesearch search ${JSON.stringify(row.snippet)} does not return ${row.path}`).toBe(true);
  });
});
