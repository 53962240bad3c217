import { expect } from 'vitest';
import type { ArchiveLine, ArchiveSummary } from '../../src/app/archive-dlq.js';
import type { Runtime } from '../../src/composition/runtime.js';
import { sourceIdOf } from '../../src/app/dlq-messages.js';
import { documentId } from '../../src/domain/document.js';
import type { QueueMessage } from '../../src/ports/queue.port.js';
import { runCli } from './cli.js';
import { events, leftovers, peekAll, receiveHistogram, type ChaosReport, type Workload, type WorkloadFile } from './chaos.js';

/**
 * What the chaos suite asserts after the storm, the same on every backend. `rt` is the test's own
 * view of the backends the worker used (queue, DLQ, index).
 */

const TRANSIENT_REASONS = ['index_unavailable', 'circuit_open', 'store_unavailable', 'queue_unavailable', 'internal_error', 'extraction_timeout'];

/** The files a set of messages is about, by body, to tell which poison a DLQ message is. */
function expectedReasons(w: Workload): Map<string, string> {
  return new Map(w.messages.filter((m) => m.expect !== 'indexed').map((m) => [m.body, m.expect]));
}

export async function expectDocuments(rt: Runtime, bucket: string, files: readonly WorkloadFile[]): Promise<void> {
  const missing: string[] = [];
  const wrong: string[] = [];
  for (const f of files) {
    const doc = await rt.index.get(documentId(bucket, f.key));
    if (doc === undefined) missing.push(f.key);
    else if (doc.key !== f.key || (f.token !== undefined && !doc.content.includes(f.token))) wrong.push(f.key);
  }
  expect(missing, 'documents missing from the index').toEqual([]);
  expect(wrong, 'documents with the wrong key or content').toEqual([]);
}

export interface AfterStorm {
  readonly report: ChaosReport;
  readonly tempDir: string;
  readonly total: number;
}

/** Must-show 1: indexed == expected, no duplicates, DLQ == exactly the poison with reasons, nothing left over. */
export async function expectNothingLost(rt: Runtime, w: Workload, { report, tempDir }: AfterStorm): Promise<{ duplicates: number }> {
  expect(report.finalExitCode, report.finalStderr).toBe(0);
  expect(report.kills).toHaveLength(10);
  expect(report.kills.some((k) => k.duringOutage), 'a kill landed during the outage').toBe(true);

  // Indexed: exactly the good files (count == expected and every expected id present ⇒ no extras, no duplicates).
  expect(await rt.index.count()).toBe(w.good.length);
  await expectDocuments(rt, w.bucket, w.good);
  expect(await rt.queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });

  // Dead-lettered: exactly the poison, each with its own reason, body byte for byte. A kill between
  // the DLQ send and the source delete dead-letters a message twice (two systems, no transaction):
  // copies carry the same source message id, and the DLQ tools count and move each source once.
  const dead = await peekAll(rt.dlq);
  const expected = expectedReasons(w);
  const bySource = new Map<string, QueueMessage[]>();
  for (const m of dead) bySource.set(sourceIdOf(m), [...(bySource.get(sourceIdOf(m)) ?? []), m]);
  const firsts = [...bySource.values()].map((copies) => copies[0] as QueueMessage);
  expect(firsts.map((m) => m.body).sort()).toEqual([...expected.keys()].sort());
  for (const copies of bySource.values()) expect(new Set(copies.map((m) => `${m.body}|${m.attributes['reason']}`)).size).toBe(1);
  const duplicates = dead.length - bySource.size;
  expect(duplicates, 'duplicate DLQ copies (at most one per kill)').toBeLessThanOrEqual(report.kills.length);
  const wrongReason = firsts.filter((m) => m.attributes['reason'] !== expected.get(m.body)).map((m) => [m.body.slice(0, 80), m.attributes['reason']]);
  expect(wrongReason, 'DLQ messages with an unexpected reason').toEqual([]);
  // Zero dead-lettered because of the outage or the kills: all permanent, none transient.
  expect(dead.filter((m) => m.attributes['errorType'] !== 'permanent' || TRANSIENT_REASONS.includes(m.attributes['reason'] ?? ''))).toEqual([]);

  // The outage was seen and handled by the breaker: receiving paused, then resumed.
  const all = events(report.logs);
  expect(all.some((e) => e.event === 'breaker_open' && e.downstream === 'index'), 'the index breaker opened').toBe(true);
  expect(all.some((e) => e.event === 'receive_paused')).toBe(true);

  // No orphan temp files: the crashed workers' directories were swept, the last one removed its own.
  expect(leftovers(tempDir)).toEqual([]);
  return { duplicates };
}

export interface DlqRound {
  readonly home: string;
  readonly env: Record<string, string>;
  /** Puts the late files where the worker fetches objects. */
  upload(files: readonly WorkloadFile[]): Promise<void>;
  /** The archive's `s3://bucket/prefix/` and a reader for what it wrote there. */
  readonly archiveTo: string;
  readObject(location: string): Promise<string>;
}

async function cliJson<T>(args: string[], home: string, env: Record<string, string>): Promise<T> {
  const r = await runCli(args, home, env);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as T;
}

/**
 * Must-show 2 on the chaos DLQ: `dlq analyze` prints the breakdown; `dlq redrive --reason
 * object_not_found` moves exactly those back (and, the objects having arrived since, they index);
 * `dlq archive` writes JSON Lines that round-trip to the original bodies, then empties the DLQ.
 */
export async function expectDlqTooling(rt: Runtime, w: Workload, round: DlqRound): Promise<string> {
  const { home, env } = round;
  const expected = expectedReasons(w);
  const count = (reason: string) => [...expected.values()].filter((r) => r === reason).length;

  const table = await runCli(['dlq', 'analyze'], home, env);
  expect(table.code, table.stderr).toBe(0);
  for (const reason of ['malformed_message', 'object_not_found', 'corrupt_file']) {
    expect(table.stdout).toMatch(new RegExp(`${reason}\\s+${count(reason)}\\b`));
  }
  const analysis = await cliJson<{ total: number; byReason: Record<string, number> }>(['dlq', 'analyze', '--json'], home, env);
  expect(analysis.total).toBe(expected.size);
  expect(analysis.byReason).toEqual({ malformed_message: count('malformed_message'), object_not_found: count('object_not_found'), corrupt_file: count('corrupt_file') });

  const redrive = await cliJson<{ redriven: number; skipped: number }>(['dlq', 'redrive', '--reason', 'object_not_found', '--json'], home, env);
  expect(redrive).toMatchObject({ matched: count('object_not_found'), redriven: count('object_not_found') });
  const back = await peekAll(rt.queue);
  const missingBodies = [...expected].filter(([, r]) => r === 'object_not_found').map(([b]) => b);
  expect(back.map((m) => m.body).sort()).toEqual(missingBodies.sort());
  const stillDead = await peekAll(rt.dlq);
  const permanentBodies = [...expected].filter(([, r]) => r !== 'object_not_found').map(([b]) => b);
  expect([...new Set(stillDead.map((m) => m.body))].sort()).toEqual([...permanentBodies].sort());
  // `skipped` counts the copies that stayed; every copy of a redriven message is gone.
  expect(redrive.skipped).toBe(stillDead.length);

  // The objects arrive late; the redriven events now index them.
  await round.upload(w.missing);
  const rerun = await runCli(['run', '--until-idle'], home, env);
  expect(rerun.code, rerun.stderr).toBe(0);
  expect(await rt.index.count()).toBe(w.good.length + w.missing.length);
  await expectDocuments(rt, w.bucket, w.missing);
  expect(new Set((await peekAll(rt.dlq)).map(sourceIdOf)).size).toBe(permanentBodies.length);

  const archived = await cliJson<ArchiveSummary>(['dlq', 'archive', '--to', round.archiveTo, '--json'], home, env);
  expect(archived).toMatchObject({ archived: permanentBodies.length, notDeleted: 0 });
  expect(archived.location?.startsWith(round.archiveTo)).toBe(true);
  const lines = (await round.readObject(archived.location ?? ''))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ArchiveLine);
  expect(lines.map((l) => l.body).sort()).toEqual([...permanentBodies].sort());
  for (const line of lines) expect(line.attributes['reason']).toBe(expected.get(line.body));
  expect(await rt.dlq.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  return table.stdout;
}

/** One paragraph for the test log (and the closing note). */
export function describeStorm(label: string, seed: number, report: ChaosReport, startedAt: number): string {
  const kills = report.kills.map((k) => `${k.progress}${k.duringOutage ? '*' : ''}`).join(', ');
  return (
    `${label}: seed ${seed}; SIGKILLs at settled = ${kills} (* during the outage); index outage ${(report.outageMs / 1000).toFixed(1)} s; ` +
    `documents indexed by receive count ${JSON.stringify(receiveHistogram(report.logs))}; total ${((Date.now() - startedAt) / 1000).toFixed(0)} s`
  );
}

/**
 * Looks at `filesearch status` while the index is away (the target's `duringOutage` and
 * `outageObserved`), and afterwards asserts it showed the paused worker with its open circuit.
 */
export function statusDuringOutage(home: string, env: Record<string, string>) {
  let seen: string | undefined;
  return {
    duringOutage: async (): Promise<void> => {
      const status = await runCli(['status'], home, env);
      if (seen === undefined && /index open/.test(status.stdout)) seen = status.stdout;
    },
    outageObserved: (): boolean => seen !== undefined,
    expectShown: (): void => {
      expect(seen, 'status never showed the index circuit open').toBeDefined();
      expect(seen).toMatch(/pid \d+ (paused|running), \d+ in flight, .* circuits: index open \(probe in \d+ s\), object_store closed/);
      console.log(`status during the outage:\n${seen ?? ''}`);
    },
  };
}
