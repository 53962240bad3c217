import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { documentId } from '../../src/domain/document.js';
import { deadLetterDetails } from '../../src/domain/settlement.js';
import { corpusRoot, drainQueue, openEmbedded, repoRoot, runCli, tempHome } from '../support/cli.js';
import { writeHostileSet } from '../support/hostile-files.js';

/** What the corpus README promises for each file of broken/ (and the MANIFEST notes). */
interface Expectation {
  readonly reason?: string;
  readonly indexed?: 'empty' | 'text';
  readonly contains?: string;
}

const BROKEN: Record<string, Expectation> = {
  'pdfjs_issue21579.pdf': { reason: 'encrypted_file' },
  'pdfjs_issue3371.pdf': { reason: 'encrypted_file' },
  'pdfjs_REDHAT-1531897-0.pdf': { reason: 'corrupt_file' },
  'pdfjs_issue18986.pdf': { reason: 'corrupt_file' },
  'pdfjs_xref_command_missing.pdf': { indexed: 'text', contains: 'Reduced test-case' },
  'tika_testWORD_truncated.docx': { reason: 'corrupt_file' },
  'tika_testWORD_protected_passtika.docx': { reason: 'encrypted_file' },
  'tika_zero_bytes.txt': { indexed: 'empty' },
};

interface LogLine {
  event?: string;
  rssMb?: number;
  heapUsedMb?: number;
}

/**
 * Issue #4, must-show 2: every file of corpus/broken plus generated hostile inputs (truncated
 * PDF, zip-bomb docx, a 50,000×50,000-pixel PNG header, 0-byte file, wrong extensions) go through
 * the real worker: each ends as a specific permanent DLQ reason or as an indexed document; the
 * worker does not crash, leaves no temp file, and its memory is back near where it started.
 */
describe('broken and hostile inputs', () => {
  it('are classified one by one, lose nothing, leave no temp file and no memory behind', async () => {
    const home = tempHome('fs-hostile-');
    const inbox = path.join(home, 'inbox');
    const tmp = path.join(home, 'tmp');
    fs.mkdirSync(inbox);
    for (const name of Object.keys(BROKEN)) fs.copyFileSync(path.join(corpusRoot, 'broken', name), path.join(inbox, name));
    const generated = writeHostileSet(path.join(inbox, 'generated'), fs.readFileSync(path.join(repoRoot, 'samples', '製品カタログ_2026.pdf')));
    const expected: Record<string, Expectation> = { ...BROKEN, ...Object.fromEntries(Object.entries(generated).map(([k, v]) => [`generated/${k}`, v])) };

    expect((await runCli(['ingest', inbox, '--bucket', 'inbox'], home)).code).toBe(0);
    const run = await runCli(['run', '--until-idle'], home, { LOG_LEVEL: 'info', TEMP_DIR: tmp, MAX_DECOMPRESSED_MB: '64' });
    expect(run.code, run.stderr).toBe(0);

    const rt = await openEmbedded(home);
    try {
      const dead = await drainQueue(rt.dlq);
      const reasons = Object.fromEntries(dead.map((m) => [deadLetterDetails(m.attributes).key, m.attributes]));
      for (const [key, want] of Object.entries(expected)) {
        const doc = await rt.index.get(documentId('inbox', key));
        if (want.reason !== undefined) {
          expect(reasons[key], `${key} should be dead-lettered`).toMatchObject({ reason: want.reason, errorType: 'permanent' });
          expect(doc, `${key} must not be indexed`).toBeUndefined();
        } else {
          expect(doc, `${key} should be indexed`).toBeDefined();
          if (want.indexed === 'empty') expect(doc?.charCount).toBe(0);
          else expect(doc?.charCount ?? 0).toBeGreaterThan(0);
          if (want.contains !== undefined) expect(doc?.content.replace(/\s+/g, '')).toContain(want.contains.replace(/\s+/g, ''));
        }
      }
      expect(dead).toHaveLength(Object.values(expected).filter((e) => e.reason !== undefined).length);
      expect((await rt.index.get(documentId('inbox', 'generated/really-a-pdf.txt')))?.typeMismatch).toMatch(/pdf/);
      expect(await rt.queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    } finally {
      await rt.close();
    }

    // No temp file left behind: the worker's private temp folder is gone.
    expect(fs.existsSync(tmp) ? fs.readdirSync(tmp) : []).toEqual([]);
    // The worker's own memory: hostile files are opened in extraction children, never here.
    const lines = run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine);
    const start = lines.find((l) => l.event === 'worker_started');
    const stop = lines.find((l) => l.event === 'worker_stopped');
    expect(start?.rssMb).toBeGreaterThan(0);
    expect((stop?.heapUsedMb ?? Infinity) - (start?.heapUsedMb ?? 0)).toBeLessThan(64);
    console.log(`worker memory: rss ${start?.rssMb} → ${stop?.rssMb} MiB, heap ${start?.heapUsedMb} → ${stop?.heapUsedMb} MiB`);
  });
});
