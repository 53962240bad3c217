import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { documentId } from '../../src/domain/document.js';
import { deadLetterDetails } from '../../src/domain/settlement.js';
import { drainQueue, openEmbedded, runCli, tempHome } from '../support/cli.js';
import { makeFifo, processes, writeEndlessPdf } from '../support/hang.js';

/** Live (not zombie) processes whose command line mentions `needle`. */
function liveProcessesMentioning(needle: string): number[] {
  return processes()
    .filter((p) => p.state !== 'Z')
    .filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').includes(needle);
      } catch {
        return false;
      }
    })
    .map((p) => p.pid);
}

/**
 * PROCESSING_TIMEOUT through the real CLI: a file whose extraction never ends is killed at the
 * deadline and dead-lettered as extraction_timeout, the rest is indexed, and `run --until-idle`
 * exits 0 promptly.
 *
 * The hang: a FIFO cannot reach extraction here. The folder store lists regular files only (ingest
 * skips the FIFO) and refuses to download anything else (invalid_key, fetch stage), so it never
 * blocks a download either; both are asserted below. The hang that does reach extraction is a
 * 2 KB PDF of nested form XObjects: pdfinfo answers at once, pdftotext (a grandchild of the worker,
 * in the extraction child's process group) would interpret 10^12 operations.
 */
describe('PROCESSING_TIMEOUT', () => {
  it('kills a hanging extraction, dead-letters it as extraction_timeout, indexes the rest and exits 0', async () => {
    const home = tempHome('fs-timeout-');
    const inbox = path.join(home, 'inbox');
    fs.mkdirSync(inbox);
    fs.writeFileSync(path.join(inbox, 'normal.txt'), '通常のファイル。定例会議の議事録です。');
    writeEndlessPdf(path.join(inbox, 'endless.pdf'));
    makeFifo(path.join(inbox, 'pipe.txt'));
    const env = { PROCESSING_TIMEOUT: '2', EXTRACT_POOL_SIZE: '2' };

    const ingest = await runCli(['ingest', inbox, '--bucket', 'inbox', '--json'], home, env);
    expect(ingest.code, ingest.stderr).toBe(0);
    expect(JSON.parse(ingest.stdout)).toMatchObject({ ingested: [{ files: 2 }] }); // the FIFO is not a file to ingest

    const rt = await openEmbedded(home, env);
    try {
      await rt.queue.send({ body: JSON.stringify({ bucket: 'inbox', key: 'pipe.txt' }) });
      const started = Date.now();
      const run = await runCli(['run', '--until-idle'], home, env);
      const elapsed = Date.now() - started;
      expect(run.code, run.stderr).toBe(0);
      expect(elapsed).toBeLessThan(20_000);

      expect((await rt.index.get(documentId('inbox', 'normal.txt')))?.content).toContain('定例会議の議事録');
      expect(await rt.index.get(documentId('inbox', 'endless.pdf'))).toBeUndefined();
      expect(await rt.queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });

      const dead = await drainQueue(rt.dlq);
      const byKey = new Map(dead.map((m) => [deadLetterDetails(m.attributes).key, m.attributes]));
      expect(byKey.get('endless.pdf')).toMatchObject({ reason: 'extraction_timeout', stage: 'extract', errorType: 'permanent', attempts: '1' });
      expect(byKey.get('pipe.txt')).toMatchObject({ reason: 'invalid_key', stage: 'fetch' });
      expect(dead).toHaveLength(2);

      // Nothing the worker started outlives it: no pdftotext still reading its temp copy.
      expect(liveProcessesMentioning(path.join(home, 'tmp'))).toEqual([]);
    } finally {
      await rt.close();
    }
  });
});
