import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { documentId } from '../../src/domain/document.js';
import { deadLetterDetails } from '../../src/domain/settlement.js';
import { corpusRoot, drainQueue, openEmbedded, runCli, tempHome } from '../support/cli.js';

/**
 * Issue #2, must-show 5 (and the rest of "bad input loses nothing"): malformed messages land in
 * the DLQ with their reason and their body byte for byte, a permanently bad file is
 * dead-lettered with its own reason, and the good work around them still gets indexed.
 */
describe('poison messages', () => {
  it('dead-letters malformed bodies and bad files with reasons, and keeps going', async () => {
    const home = tempHome('fs-poison-');
    const inbox = path.join(home, 'inbox');
    fs.mkdirSync(inbox);
    fs.writeFileSync(path.join(inbox, 'good.txt'), '正常なファイルです。会議の資料。');
    fs.copyFileSync(path.join(corpusRoot, 'broken', 'pdfjs_issue21579.pdf'), path.join(inbox, 'encrypted.pdf'));
    fs.copyFileSync(path.join(corpusRoot, 'broken', 'tika_zero_bytes.txt'), path.join(inbox, 'empty.txt'));
    expect((await runCli(['ingest', inbox, '--bucket', 'inbox'], home)).code).toBe(0);

    const malformed = ['{"Records": [', '{"hello":"world"}', '\u0000\u0001binary\uFFFD\u00ff body', '[]'];
    const rt = await openEmbedded(home);
    try {
      for (const body of malformed) await rt.queue.send({ body });
      await rt.queue.send({ body: JSON.stringify({ Event: 's3:TestEvent', Service: 'Amazon S3' }) });
      await rt.queue.send({ body: JSON.stringify({ bucket: 'inbox', key: 'missing.txt' }) });

      const run = await runCli(['run', '--until-idle'], home);
      expect(run.code, run.stderr).toBe(0);

      expect((await rt.index.get(documentId('inbox', 'good.txt')))?.content).toContain('会議の資料');
      expect((await rt.index.get(documentId('inbox', 'empty.txt')))?.charCount).toBe(0);
      expect(await rt.queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });

      const dead = await drainQueue(rt.dlq);
      const byBody = new Map(dead.map((m) => [m.body, m.attributes]));
      for (const body of malformed) {
        expect(byBody.get(body), `DLQ lacks ${JSON.stringify(body)}`).toMatchObject({ reason: 'malformed_message', stage: 'parse', errorType: 'permanent', attempts: '1' });
      }
      const reasons = dead.map((m) => m.attributes['reason']).sort();
      expect(reasons).toEqual(['encrypted_file', 'malformed_message', 'malformed_message', 'malformed_message', 'malformed_message', 'object_not_found']);
      const encrypted = dead.find((m) => m.attributes['reason'] === 'encrypted_file');
      expect(encrypted?.attributes).toMatchObject({ stage: 'extract', sourceQueue: 'filesearch' });
      expect(deadLetterDetails(encrypted?.attributes ?? {}).key).toBe('encrypted.pdf');
      expect(encrypted?.attributes['workerId']).toMatch(/:\d+$/);
    } finally {
      await rt.close();
    }
  });

  it('removes the document when an ObjectRemoved event arrives', async () => {
    const home = tempHome('fs-remove-');
    const inbox = path.join(home, 'inbox');
    fs.mkdirSync(inbox);
    fs.writeFileSync(path.join(inbox, 'doomed.txt'), '削除される文書');
    expect((await runCli(['ingest', inbox, '--bucket', 'inbox'], home)).code).toBe(0);
    expect((await runCli(['run', '--until-idle'], home)).code).toBe(0);

    const rt = await openEmbedded(home);
    try {
      const id = documentId('inbox', 'doomed.txt');
      expect(await rt.index.get(id)).toBeDefined();
      const removed = {
        Records: [{ eventName: 'ObjectRemoved:Delete', s3: { bucket: { name: 'inbox' }, object: { key: 'doomed.txt', sequencer: 'FFFFFFFFFFFFFFFFFF' } } }],
      };
      await rt.queue.send({ body: JSON.stringify(removed) });
      expect((await runCli(['run', '--until-idle'], home)).code).toBe(0);
      expect(await rt.index.get(id)).toBeUndefined();
      expect((await rt.index.search({ text: '削除' })).total).toBe(0);
    } finally {
      await rt.close();
    }
  });
});
