import fs from 'node:fs';
import path from 'node:path';
import Encoding from 'encoding-japanese';
import { describe, expect, it } from 'vitest';
import { documentId } from '../../src/domain/document.js';
import { openEmbedded, repoRoot, runCli, spawnCli, tempHome } from '../support/cli.js';

const FILES = 240;

/** Text in three encodings plus copies of the sample PDF: the worker's real mix. */
function makeFiles(dir: string): string[] {
  const pdf = fs.readFileSync(path.join(repoRoot, 'samples', '製品カタログ_2026.pdf'));
  const keys: string[] = [];
  for (let i = 0; i < FILES; i += 1) {
    const sub = `batch-${Math.floor(i / 50)}`;
    fs.mkdirSync(path.join(dir, sub), { recursive: true });
    const text = `文書番号 ${i}: 定例会議の議事録。識別子 doc${i}x`;
    let key: string;
    let body: Buffer | string;
    switch (i % 4) {
      case 0:
        key = `${sub}/utf8-${i}.txt`;
        body = text;
        break;
      case 1:
        key = `${sub}/sjis-${i}.txt`;
        body = Buffer.from(Encoding.convert(Encoding.stringToCode(text), { to: 'SJIS', from: 'UNICODE' }));
        break;
      case 2:
        key = `${sub}/eucjp-${i}.txt`;
        body = Buffer.from(Encoding.convert(Encoding.stringToCode(text), { to: 'EUCJP', from: 'UNICODE' }));
        break;
      default:
        key = `${sub}/catalog-${i}.pdf`;
        body = pdf;
    }
    fs.writeFileSync(path.join(dir, key), body);
    keys.push(key);
  }
  return keys;
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not reached in time');
}

/**
 * Issue #2, must-show 3: SIGKILL `run` in the middle of a batch of 240 files, run again, and
 * find every file indexed exactly once with the queue empty. A short visibility timeout lets
 * the killed worker's messages come back quickly.
 */
describe('crash safety', () => {
  it('loses nothing and duplicates nothing when the worker is SIGKILLed mid-batch', async () => {
    const home = tempHome('fs-crash-');
    const folder = path.join(home, 'inbox');
    const keys = makeFiles(folder);
    const env = { SQS_VISIBILITY_TIMEOUT: '3', MAX_WORKERS: '2', BULK_FLUSH_MS: '20' };

    const ingest = await runCli(['ingest', folder, '--bucket', 'inbox'], home, env);
    expect(ingest.code, ingest.stderr).toBe(0);

    const probe = await openEmbedded(home, env);
    const worker = spawnCli(['run'], home, env);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => worker.on('exit', (_code, signal) => resolve(signal)));
    let indexedAtKill = 0;
    let inFlightAtKill = 0;
    try {
      // Kill once some documents are indexed and the worker holds messages it has not finished.
      await until(async () => {
        indexedAtKill = await probe.index.count();
        inFlightAtKill = (await probe.queue.depth()).inFlight;
        return indexedAtKill >= 20 && inFlightAtKill > 0;
      }, 60_000);
      worker.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      expect(indexedAtKill).toBeLessThan(FILES);

      const rerun = await runCli(['run', '--until-idle'], home, env);
      expect(rerun.code, rerun.stderr).toBe(0);

      expect(await probe.index.count()).toBe(FILES);
      for (const key of keys) {
        const doc = await probe.index.get(documentId('inbox', key));
        expect(doc?.key, `missing ${key}`).toBe(key);
      }
      expect(await probe.queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      expect(await probe.dlq.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      const hits = await probe.index.search({ text: 'doc17x' });
      expect(hits.hits.map((h) => h.document.key)).toEqual(['batch-0/sjis-17.txt']);
    } finally {
      worker.kill('SIGKILL');
      await probe.close();
    }
    console.log(`killed with ${indexedAtKill}/${FILES} indexed and ${inFlightAtKill} messages in flight`);
  });
});
