import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusRoot, manifestRows, runCli, tempHome } from '../support/cli.js';

/**
 * Issue #2, must-show 2: ingest the corpus's text and pdf-text folders, run until idle, and find
 * every file with `filesearch search "<expected_text_snippet>" --json`.
 */
describe('CLI end to end on the real corpus (text + pdf-text)', () => {
  const home = tempHome('fs-corpus-');
  const rows = manifestRows(['text', 'pdf-text']);

  beforeAll(async () => {
    const ingest = await runCli(['ingest', path.join(corpusRoot, 'text'), path.join(corpusRoot, 'pdf-text'), '--json'], home);
    expect(ingest.code, ingest.stderr).toBe(0);
    const run = await runCli(['run', '--until-idle'], home);
    expect(run.code, run.stderr).toBe(0);
  });

  it('ingested one message per file and left nothing in the queue or the DLQ', async () => {
    const status = await runCli(['status', '--json'], home);
    const s = JSON.parse(status.stdout) as { queue: Record<string, number>; dlq: Record<string, number>; documents: number };
    expect(s.queue).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(s.dlq).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(s.documents).toBe(rows.length);
  });

  const required = rows.filter((r) => !r.stretch);
  it.each(required.map((r) => [r.path, r.snippet]))('%s is found by its snippet %s', async (file, snippet) => {
    const r = await runCli(['search', snippet, '--json', '--limit', '50'], home);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { hits: Array<{ document: { key: string }; snippet: { text: string; highlights: number[][] } }> };
    const hit = out.hits.find((h) => h.document.key === path.basename(file));
    expect(hit, `no hit for ${file}; got ${out.hits.map((h) => h.document.key).join(', ')}`).toBeDefined();
    expect(hit?.snippet.highlights.length).toBeGreaterThan(0);
  });

  // Stretch rows are reported, not required (a report is not a test: it cannot fail).
  afterAll(async () => {
    const report: string[] = [];
    for (const r of rows.filter((x) => x.stretch)) {
      const res = await runCli(['search', r.snippet, '--json'], home);
      const found = (JSON.parse(res.stdout) as { hits: Array<{ document: { key: string } }> }).hits.some((h) => h.document.key === path.basename(r.path));
      report.push(`${found ? 'found    ' : 'not found'} ${r.path} (${r.snippet})`);
    }
    console.log(`stretch rows (reported, not required):\n  ${report.join('\n  ')}`);
  });
});
