import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DlqAnalysis } from '../../src/app/analyze-dlq.js';
import type { ArchiveLine, ArchiveSummary } from '../../src/app/archive-dlq.js';
import type { RedriveSummary } from '../../src/app/redrive-dlq.js';
import { corpusRoot, drainQueue, openEmbedded, runCli, tempHome } from '../support/cli.js';

/**
 * `filesearch dlq analyze|redrive|archive` through the real CLI on the embedded backend: a DLQ
 * with known poison is analysed without being consumed, one reason is redriven with bodies
 * byte for byte, and the permanent rest is archived as JSON Lines and then removed.
 */
describe('dlq tooling (embedded, real CLI)', () => {
  it('analyzes, redrives by reason and archives, losing nothing', async () => {
    const home = tempHome('fs-dlq-');
    const inbox = path.join(home, 'inbox');
    const archiveDir = path.join(home, 'archive');
    fs.mkdirSync(inbox);
    fs.mkdirSync(archiveDir);
    fs.writeFileSync(path.join(inbox, 'good.txt'), '正常なファイルです。');
    fs.copyFileSync(path.join(corpusRoot, 'broken', 'pdfjs_issue21579.pdf'), path.join(inbox, 'encrypted.pdf'));
    expect((await runCli(['ingest', inbox, '--bucket', 'inbox'], home)).code).toBe(0);

    const malformed = ['{"Records": [', '\u0000\u0001binary\uFFFD\u00ff body'];
    const missing = [JSON.stringify({ bucket: 'inbox', key: 'gone/missing.txt' }), JSON.stringify({ bucket: 'inbox', key: 'gone/lost.DOCX' })];
    const rt = await openEmbedded(home);
    try {
      expect(rt.registerFolder?.(archiveDir, 'archive')).toBe('archive');
      for (const body of [...malformed, ...missing]) await rt.queue.send({ body });
      const run = await runCli(['run', '--until-idle'], home);
      expect(run.code, run.stderr).toBe(0);
      const fullDlq = { visible: 5, inFlight: 0, delayed: 0 };
      expect(await rt.dlq.depth()).toEqual(fullDlq);

      // analyze: the exact breakdown, and the DLQ is left as it was.
      const analyzed = await runCli(['dlq', 'analyze', '--json', '--samples', '5'], home);
      expect(analyzed.code, analyzed.stderr).toBe(0);
      const analysis = JSON.parse(analyzed.stdout) as DlqAnalysis;
      expect(analysis).toMatchObject({
        total: 5,
        byReason: { malformed_message: 2, object_not_found: 2, encrypted_file: 1 },
        byErrorType: { permanent: 5 },
        byExtension: { '(no key)': 2, docx: 1, pdf: 1, txt: 1 },
        notReleased: 0,
      });
      expect(Object.values(analysis.byHour).reduce((a, b) => a + b, 0)).toBe(5);
      expect(Date.parse(analysis.oldest ?? '')).toBeLessThanOrEqual(Date.parse(analysis.newest ?? ''));
      expect(analysis.samples['malformed_message']?.map((s) => s.body).sort()).toEqual([...malformed].sort());
      expect(analysis.samples['object_not_found']?.map((s) => s.body).sort()).toEqual([...missing].sort());
      const encryptedBody = analysis.samples['encrypted_file']?.[0]?.body ?? '';
      expect(encryptedBody).toContain('encrypted.pdf');
      expect(await rt.dlq.depth()).toEqual(fullDlq);

      // The readable table names every reason; a dry run and an unmet age filter move nothing.
      const table = await runCli(['dlq', 'analyze'], home);
      expect(table.stdout).toMatch(/^malformed_message\s+2$/m);
      expect(table.stdout).toMatch(/^encrypted_file\s+1$/m);
      const dry = JSON.parse((await runCli(['dlq', 'redrive', '--type', 'permanent', '--dry-run', '--json'], home)).stdout) as RedriveSummary;
      expect(dry).toMatchObject({ dryRun: true, matched: 5, redriven: 0 });
      const young = JSON.parse((await runCli(['dlq', 'redrive', '--older-than', '1h', '--json'], home)).stdout) as RedriveSummary;
      expect(young).toMatchObject({ matched: 0, redriven: 0, skipped: 5 });
      expect(await rt.dlq.depth()).toEqual(fullDlq);
      expect(await rt.queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });

      // redrive one reason: exactly those go back, bodies byte for byte; the rest stay.
      const redrive = await runCli(['dlq', 'redrive', '--reason', 'object_not_found', '--rate', '50', '--json'], home);
      expect(redrive.code, redrive.stderr).toBe(0);
      expect(JSON.parse(redrive.stdout)).toEqual({ dryRun: false, matched: 2, redriven: 2, skipped: 3, byReason: { object_not_found: 2 }, failures: [], method: 'receive-send-delete' });
      expect(await rt.dlq.depth()).toEqual({ visible: 3, inFlight: 0, delayed: 0 });
      const back = await drainQueue(rt.queue);
      expect(back.map((m) => m.body).sort()).toEqual([...missing].sort());
      await rt.queue.deleteBatch(back);

      // archive: the three permanent failures as JSON Lines in the folder bucket, then gone.
      const archived = await runCli(['dlq', 'archive', '--to', 's3://archive/dlq/', '--json'], home);
      expect(archived.code, archived.stderr).toBe(0);
      const summary = JSON.parse(archived.stdout) as ArchiveSummary;
      expect(summary).toMatchObject({ archived: 3, skipped: 0, notDeleted: 0, byReason: { malformed_message: 2, encrypted_file: 1 } });
      const files = fs.readdirSync(path.join(archiveDir, 'dlq'));
      expect(files).toHaveLength(1);
      expect(summary.location).toBe(`s3://archive/dlq/${files[0]}`);
      const lines = fs
        .readFileSync(path.join(archiveDir, 'dlq', files[0] ?? ''), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as ArchiveLine);
      expect(lines.map((l) => l.body).sort()).toEqual([...malformed, encryptedBody].sort());
      for (const line of lines) {
        expect(line.attributes).toMatchObject({ errorType: 'permanent', sourceQueue: 'filesearch' });
        expect(Number.isNaN(Date.parse(line.archivedAt))).toBe(false);
        expect(line.messageId).toBeTruthy();
      }
      expect(await rt.dlq.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    } finally {
      await rt.close();
    }
  });

  it('refuses a bad archive URL or duration as a usage problem and touches nothing', async () => {
    const home = tempHome('fs-dlq-bad-');
    const bad = await runCli(['dlq', 'archive', '--to', 'archive/dlq'], home);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('s3://bucket/prefix');
    const age = await runCli(['dlq', 'redrive', '--older-than', 'soon'], home);
    expect(age.code).toBe(2);
    expect(age.stderr).toContain('invalid duration');
  });

  it('reprocess redrives recoverable messages once per run up to the cap', async () => {
    const home = tempHome('fs-dlq-re-');
    const rt = await openEmbedded(home);
    try {
      const body = '{"bucket":"inbox","key":"flaky.txt"}';
      await rt.dlq.send({ body, attributes: { reason: 'extraction_timeout', errorType: 'permanent' } });
      await rt.dlq.send({ body: '{"x":1}', attributes: { reason: 'malformed_message', errorType: 'permanent' } });
      const first = await runCli(['dlq', 'reprocess', '--max-redrives', '1', '--json'], home);
      expect(first.code, first.stderr).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({ redriven: 1, overCap: 0, skipped: 1 });
      const [back] = await drainQueue(rt.queue);
      expect(back?.body).toBe(body);
      expect(back?.attributes['redriveCount']).toBe('1');
      // As if it failed again and the queue's redrive policy moved it back with its attributes.
      await rt.dlq.send({ body, attributes: { ...back?.attributes } });
      const second = await runCli(['dlq', 'reprocess', '--max-redrives', '1', '--json'], home);
      expect(JSON.parse(second.stdout)).toMatchObject({ redriven: 0, overCap: 1, skipped: 2 });
      expect(await rt.dlq.depth()).toEqual({ visible: 2, inFlight: 0, delayed: 0 });
    } finally {
      await rt.close();
    }
  });
});
