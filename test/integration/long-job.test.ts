import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deadLetterDetails } from '../../src/domain/settlement.js';
import type { QueueMessage } from '../../src/ports/queue.port.js';
import { drainQueue, openEmbedded, runCli, tempHome } from '../support/cli.js';
import { writeEndlessPdf } from '../support/hang.js';

/**
 * The visibility keeper through the real CLI: a file whose extraction takes three times the
 * visibility timeout (an endless PDF, stopped by PROCESSING_TIMEOUT) stays hidden from every
 * other consumer the whole time, so it is received once and processed once.
 */
describe('a job longer than the visibility timeout', () => {
  it('is never handed to a second receiver while the first worker still works on it', async () => {
    const home = tempHome('fs-long-job-');
    const inbox = path.join(home, 'inbox');
    fs.mkdirSync(inbox);
    writeEndlessPdf(path.join(inbox, 'endless.pdf'));
    const env = { SQS_VISIBILITY_TIMEOUT: '2', PROCESSING_TIMEOUT: '6', EXTRACT_POOL_SIZE: '1' };

    const ingest = await runCli(['ingest', inbox, '--bucket', 'inbox', '--json'], home, env);
    expect(ingest.code, ingest.stderr).toBe(0);

    // A second consumer: its own connection to the same queue database.
    const rt = await openEmbedded(home, env);
    try {
      const started = Date.now();
      let done = false;
      const run = runCli(['run', '--until-idle'], home, env).finally(() => (done = true));
      const stolen: QueueMessage[] = [];
      let polledWhileHeld = 0;
      let held = false;
      while (!done) {
        // From the moment the worker holds the message until it exits, try to take it.
        held ||= (await rt.queue.depth()).inFlight > 0;
        if (held) {
          stolen.push(...(await rt.queue.receive({ maxMessages: 10, waitTimeSeconds: 0 })));
          polledWhileHeld += 1;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      const result = await run;
      expect(result.code, result.stderr).toBe(0);

      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThan(6_000); // three visibility timeouts: without the keeper it would reappear
      expect(polledWhileHeld).toBeGreaterThan(15); // polled throughout, including after 2 s
      expect(stolen).toEqual([]);
      expect(result.stderr).toContain('1 received');

      // Processed exactly once: the timeout dead-letters it on its first (and only) receive.
      const dead = await drainQueue(rt.dlq);
      expect(dead).toHaveLength(1);
      expect(dead[0]?.attributes).toMatchObject({ reason: 'extraction_timeout', attempts: '1' });
      expect(deadLetterDetails(dead[0]?.attributes ?? {}).key).toBe('endless.pdf');
      expect(await rt.queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    } finally {
      await rt.close();
      fs.rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);
});
