import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/composition/runtime.js';
import type { QueueDepth } from '../../src/ports/queue.port.js';
import { chaosSeed, buildWorkload, runChaos, type ChaosReport, type WorkloadFile } from '../support/chaos.js';
import { describeStorm, expectDlqTooling, expectNothingLost, statusDuringOutage } from '../support/chaos-checks.js';
import { killLeftoverCli, openEmbedded, spawnCli, tempHome } from '../support/cli.js';

/**
 * Issue #5, must-shows 1 and 2 on the embedded backends: 1,000 messages with 5 % poison, the
 * worker SIGKILLed at 10 random moments and restarted, the index file write-locked by another
 * process for 12 s in the middle. Then the DLQ tooling on what the storm left in the DLQ.
 *
 * Settings: a 6 s visibility timeout so a killed worker's messages come back quickly; a redrive
 * policy of 10 receives, because every SIGKILL spends a receive of each message the worker held
 * (that is the queue's redrive policy doing its job, not the worker's — the assertion here is that
 * the worker dead-letters nothing but poison); breaker threshold 3 and 2 s cool-down so the
 * outage is noticed and probed within the test's time. Replay a run with CHAOS_SEED=<seed>.
 */
const TOTAL = 1_000;
const seed = chaosSeed();
const home = tempHome('fs-chaos-');
const inbox = path.join(home, 'inbox');
const env = {
  SQS_VISIBILITY_TIMEOUT: '6',
  MAX_RECEIVE_COUNT: '10',
  SQS_WAIT_TIME: '1',
  MAX_WORKERS: '2',
  MAX_RETRIES: '2',
  INITIAL_RETRY_DELAY: '0.5',
  CIRCUIT_BREAKER_THRESHOLD: '3',
  CIRCUIT_BREAKER_COOLDOWN: '2',
  BULK_FLUSH_MS: '50',
  LOG_LEVEL: 'info',
};
const workload = buildWorkload('chaos', seed, TOTAL);
const depth = (d: QueueDepth) => d.visible + d.inFlight + d.delayed;

function put(files: readonly WorkloadFile[]): void {
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(inbox, f.key)), { recursive: true });
    fs.writeFileSync(path.join(inbox, f.key), f.body);
  }
}

describe('chaos on the embedded backends (SQLite queue, folder store, SQLite index)', () => {
  // A test that fails half-way must not leave a running worker behind.
  afterEach(() => killLeftoverCli());
  let rt: Runtime;
  let report: ChaosReport;

  afterAll(async () => {
    await rt.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('indexes every good file once, dead-letters exactly the poison, loses nothing to SIGKILLs and an index outage', async () => {
    const startedAt = Date.now();
    put([...workload.good, ...workload.corrupt]);
    rt = await openEmbedded(home, env);
    expect(rt.registerFolder?.(inbox, workload.bucket)).toBe(workload.bucket);
    const sent = await rt.queue.sendBatch(workload.messages.map((m) => ({ body: m.body })));
    expect(sent.failed).toEqual([]);

    let lock: Database.Database | undefined;
    const status = statusDuringOutage(home, env);
    report = await runChaos(
      {
        spawnWorker: () => spawnCli(['run', '--until-idle'], home, env),
        progress: async () => (await rt.index.count()) + depth(await rt.dlq.depth()),
        // Another process takes the index's write lock and keeps it: every write fails SQLITE_BUSY.
        beginOutage: async () => {
          lock = new Database(path.join(home, 'index.db'));
          lock.exec('BEGIN IMMEDIATE');
        },
        endOutage: async () => {
          lock?.exec('ROLLBACK');
          lock?.close();
        },
        duringOutage: status.duringOutage,
        outageObserved: status.outageObserved,
      },
      { seed, total: TOTAL, outageMs: 12_000 },
    );
    console.log(describeStorm('embedded chaos', seed, report, startedAt));
    const { duplicates } = await expectNothingLost(rt, workload, { report, tempDir: path.join(home, 'tmp'), total: TOTAL });
    console.log(`DLQ copies beyond one per source message (a kill between DLQ send and delete): ${duplicates}`);
    // While the index was locked, `status` showed the open circuit of a paused worker.
    status.expectShown();
  }, 600_000);

  it('dlq analyze / redrive --reason / archive on the DLQ the storm left', async () => {
    const table = await expectDlqTooling(rt, workload, {
      home,
      env,
      upload: async (files) => put(files),
      archiveTo: 's3://chaos/dlq-archive/',
      readObject: async (location) => fs.readFileSync(path.join(inbox, location.replace('s3://chaos/', '')), 'utf8'),
    });
    console.log(table.split('\n').slice(0, 8).join('\n'));
  }, 300_000);
});
