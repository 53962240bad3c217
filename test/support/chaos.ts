import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Encoding from 'encoding-japanese';
import type { MessageRef, Queue, QueueMessage } from '../../src/ports/queue.port.js';
import { repoRoot } from './cli.js';
import { buildZip, docxEntries, wordDocument } from './zip-builder.js';

/**
 * The chaos suite's shared parts (issue #5, must-show 1): a 1,000-message workload with 5 %
 * poison, a worker that is SIGKILLed at random moments and restarted, an index outage in the
 * middle, and the read-back helpers that check what the user relies on afterwards.
 */

export type Expectation = 'indexed' | 'malformed_message' | 'object_not_found' | 'corrupt_file';

export interface WorkloadFile {
  readonly key: string;
  readonly body: Buffer;
  /** A word only this file contains (absent for the PDFs, which share the sample's text). */
  readonly token?: string;
}

export interface Workload {
  readonly bucket: string;
  /** Uploaded and expected in the index. */
  readonly good: readonly WorkloadFile[];
  /** Uploaded, unreadable: dead-lettered as corrupt_file. */
  readonly corrupt: readonly WorkloadFile[];
  /** Never uploaded (until the redrive step): object_not_found. */
  readonly missing: readonly WorkloadFile[];
  /** Every message body, shuffled, with what must become of it. */
  readonly messages: ReadonlyArray<{ readonly body: string; readonly expect: Expectation }>;
}

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with CHAOS_SEED. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function chaosSeed(): number {
  const fromEnv = Number(process.env['CHAOS_SEED']);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : Math.floor(Math.random() * 2 ** 31) + 1;
}

const paragraph = (text: string) => `<w:p><w:r><w:t>${text}</w:t></w:r></w:p>`;
const encode = (text: string, to: 'SJIS' | 'EUCJP') => Buffer.from(Encoding.convert(Encoding.stringToCode(text), { to, from: 'UNICODE' }));

/** An S3 `ObjectCreated:Put` notification, key URL-encoded the way S3 encodes it. */
export function s3Event(bucket: string, key: string, size: number, sequence: number): string {
  const encodedKey = encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        eventTime: new Date(Date.UTC(2026, 10, 22, 0, 0, sequence % 60)).toISOString(),
        s3: { s3SchemaVersion: '1.0', bucket: { name: bucket }, object: { key: encodedKey, size, sequencer: `00${(0x10000 + sequence).toString(16).toUpperCase()}` } },
      },
    ],
  });
}

/**
 * 950 good files (UTF-8, Shift_JIS and EUC-JP text, .docx, the sample PDF) under Japanese folder
 * names with spaces, and 50 poison messages: 17 malformed bodies, 17 events for objects that do
 * not exist, 16 corrupt files (truncated PDFs and .docx).
 */
export function buildWorkload(bucket: string, seed: number, total = 1_000): Workload {
  const random = seededRandom(seed);
  const pdf = fs.readFileSync(path.join(repoRoot, 'samples', '製品カタログ_2026.pdf'));
  const poison = Math.round(total * 0.05);
  const malformedCount = Math.ceil(poison / 3);
  const missingCount = Math.ceil(poison / 3);
  const corruptCount = poison - malformedCount - missingCount;
  const good: WorkloadFile[] = [];
  for (let i = 0; i < total - poison; i += 1) {
    const folder = `カオス ${Math.floor(i / 100)}`;
    const token = `chaos${i}x`;
    const text = `障害試験の文書 ${i}。定例会議の議事録と見積書。識別子 ${token}`;
    const kind = i % 10;
    if (kind === 0) good.push({ key: `${folder}/カタログ-${i}.pdf`, body: pdf });
    else if (kind === 1) good.push({ key: `${folder}/報告書-${i}.docx`, body: buildZip(docxEntries(wordDocument(paragraph(text)))), token });
    else if (kind <= 4) good.push({ key: `${folder}/utf8-${i}.txt`, body: Buffer.from(text), token });
    else if (kind <= 7) good.push({ key: `${folder}/sjis-${i}.txt`, body: encode(text, 'SJIS'), token });
    else good.push({ key: `${folder}/eucjp-${i}.txt`, body: encode(text, 'EUCJP'), token });
  }
  const docx = buildZip(docxEntries(wordDocument(paragraph('途中で切れた文書'))));
  const corrupt: WorkloadFile[] = Array.from({ length: corruptCount }, (_, j) =>
    j % 2 === 0
      ? { key: `壊れた/truncated-${j}.pdf`, body: pdf.subarray(0, 200 + j) }
      : { key: `壊れた/truncated-${j}.docx`, body: docx.subarray(0, Math.floor(docx.length / 2) + j) },
  );
  const missing: WorkloadFile[] = Array.from({ length: missingCount }, (_, j) => ({
    key: `後から届く/missing-${j}.txt`,
    body: Buffer.from(`遅れて届いたファイル ${j}。識別子 late${j}x`),
    token: `late${j}x`,
  }));
  const malformed = Array.from({ length: malformedCount }, (_, j) => {
    switch (j % 3) {
      case 0:
        return `not json, message ${j} {`;
      case 1:
        return JSON.stringify({ Records: `broken ${j}` });
      default:
        return JSON.stringify({ Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: {}, n: j } }] });
    }
  });
  let sequence = 0;
  const event = (f: WorkloadFile) => s3Event(bucket, f.key, f.body.length, (sequence += 1));
  const messages: Array<{ body: string; expect: Expectation }> = [
    ...good.map((f) => ({ body: event(f), expect: 'indexed' as const })),
    ...corrupt.map((f) => ({ body: event(f), expect: 'corrupt_file' as const })),
    ...missing.map((f) => ({ body: event(f), expect: 'object_not_found' as const })),
    ...malformed.map((body) => ({ body, expect: 'malformed_message' as const })),
  ];
  for (let i = messages.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [messages[i], messages[j]] = [messages[j] as (typeof messages)[number], messages[i] as (typeof messages)[number]];
  }
  return { bucket, good, corrupt, missing, messages };
}

export interface ChaosTarget {
  /** Starts `filesearch run --until-idle` against the backends under test. */
  spawnWorker(): ChildProcess;
  /** Messages settled so far (documents indexed + messages dead-lettered). */
  progress(): Promise<number>;
  /** Makes the index unavailable; resolves once it is. */
  beginOutage(): Promise<void>;
  /** Makes it available again; resolves once it is. */
  endOutage(): Promise<void>;
  /** Called repeatedly while the outage lasts (e.g. to look at `status`). */
  duringOutage?(): Promise<void>;
  /** True once `duringOutage` saw what it looks for; the worker under the outage lives until then. */
  outageObserved?(): boolean;
}

export interface ChaosOptions {
  readonly seed: number;
  readonly total: number;
  readonly kills?: number;
  /** The outage begins after this many kills... */
  readonly outageAfterKill?: number;
  /** ...and lasts this long (plus however long endOutage takes). */
  readonly outageMs: number;
  /** How long the last, uninterrupted run may take. */
  readonly finalRunTimeoutMs?: number;
}

export interface KillRecord {
  readonly kill: number;
  readonly afterMs: number;
  readonly progress: number;
  readonly duringOutage: boolean;
}

export interface ChaosReport {
  readonly kills: readonly KillRecord[];
  /** Every worker's stdout (NDJSON), in run order; the last is the uninterrupted run. */
  readonly logs: readonly string[];
  readonly finalExitCode: number | null;
  readonly finalStderr: string;
  readonly outageMs: number;
}

const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });

function collect(child: ChildProcess): { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return { stdout: () => out, stderr: () => err };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, what: string, log?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`chaos: ${what}: not within ${timeoutMs / 1000} s\n${(log?.() ?? '').slice(-4_000)}`);
    await pause(100);
  }
}

/**
 * Runs the worker, SIGKILLs it at `kills` random moments (each at a random share of the work done
 * or after a random 2.5–8 s, whichever comes first, so kills land during the outage too) and
 * restarts it 200 ms later, as systemd would; takes the index away under the run after
 * `outageAfterKill` kills once it is busy, for `outageMs`; then lets one last run finish until the queue is idle.
 */
export async function runChaos(target: ChaosTarget, options: ChaosOptions): Promise<ChaosReport> {
  const random = seededRandom(options.seed ^ 0x5eed);
  const kills = options.kills ?? 10;
  const shares = Array.from({ length: kills }, () => 0.05 + random() * 0.85).sort((a, b) => a - b);
  const records: KillRecord[] = [];
  const logs: string[] = [];
  let outage: Promise<void> | undefined;
  let outageOn = false;
  let outageMs = 0;
  const startOutage = async (): Promise<void> => {
    await target.beginOutage();
    outageOn = true;
    const began = Date.now();
    outage = (async () => {
      // At least `outageMs`, and until what the outage must show was seen (at most 90 s more).
      const seen = () => target.outageObserved?.() ?? true;
      while (Date.now() - began < options.outageMs || (!seen() && Date.now() - began < options.outageMs + 90_000)) {
        await target.duringOutage?.();
        await pause(250);
      }
      await target.endOutage();
      outageMs = Date.now() - began;
      outageOn = false;
    })();
  };
  for (let k = 0; k < kills; k += 1) {
    const worker = target.spawnWorker();
    const output = collect(worker);
    const done = exited(worker);
    const started = Date.now();
    let finished = false;
    void done.then(() => (finished = true));
    let progress = await target.progress();
    if (k === (options.outageAfterKill ?? 3) && outage === undefined) {
      // The index goes away under a worker that is busy (it settled some messages since it
      // started), which lives on until its breaker opened and `status` showed it, then dies at a
      // random moment; later restarts meet an index that is already down. Waits on events, not
      // on fixed times, so a slow, loaded machine changes the timings but not what is tested.
      // Its own log, not the index count: a near-real-time count may still be catching up on
      // what the previous worker wrote.
      const log = () => `${output.stdout()}\n${output.stderr()}`;
      const busy = () => output.stdout().split('"event":"processing_success"').length > 5;
      await waitFor(async () => finished || busy(), 60_000, 'the worker indexing 5 documents', log);
      await startOutage();
      await waitFor(async () => finished || output.stdout().includes('"event":"breaker_open"'), 60_000, 'the index breaker opening', log);
      await waitFor(async () => finished || (target.outageObserved?.() ?? true), 30_000, 'status showing the open breaker', log);
      await pause(500 + random() * 2_000);
      progress = await target.progress();
    } else {
      const maxMs = 2_500 + random() * 5_500;
      const goal = Math.ceil((shares[k] ?? 1) * options.total);
      while (!finished && progress < goal && Date.now() - started < maxMs) {
        await pause(100);
        progress = await target.progress();
      }
    }
    if (finished) {
      const { code } = await done;
      throw new Error(`worker exited by itself (code ${code}) before kill ${k + 1} of ${kills}, at ${progress}/${options.total}:\n${output.stderr()}`);
    }
    const duringOutage = outageOn;
    worker.kill('SIGKILL');
    const { signal } = await done;
    if (signal !== 'SIGKILL') throw new Error(`kill ${k + 1}: worker ended with ${signal ?? 'an exit'}, not SIGKILL:\n${output.stderr()}`);
    records.push({ kill: k + 1, afterMs: Date.now() - started, progress, duringOutage });
    logs.push(output.stdout());
    await pause(200);
  }
  await outage;
  const last = target.spawnWorker();
  const output = collect(last);
  const timer = setTimeout(() => last.kill('SIGKILL'), options.finalRunTimeoutMs ?? 300_000);
  const { code } = await exited(last);
  clearTimeout(timer);
  logs.push(output.stdout());
  return { kills: records, logs, finalExitCode: code, finalStderr: output.stderr(), outageMs };
}

/** Every message of a queue, read and made visible again (nothing consumed). */
export async function peekAll(queue: Pick<Queue, 'receive' | 'changeVisibilityBatch'>): Promise<QueueMessage[]> {
  const seen = new Map<string, QueueMessage>();
  for (let empty = 0; empty < 2; ) {
    const batch = await queue.receive({ maxMessages: 10, waitTimeSeconds: 0, visibilityTimeoutSeconds: 60 });
    if (batch.length === 0) empty += 1;
    for (const m of batch) seen.set(m.id, m);
  }
  const all = [...seen.values()];
  const refs: Array<MessageRef & { visibilityTimeoutSeconds: number }> = all.map((m) => ({ id: m.id, receiptHandle: m.receiptHandle, visibilityTimeoutSeconds: 0 }));
  if (refs.length > 0) await queue.changeVisibilityBatch(refs);
  return all;
}

export interface LogEvent {
  readonly event?: string;
  readonly downstream?: string;
  readonly receiveCount?: number;
  readonly key?: string;
}

export function events(logs: readonly string[]): LogEvent[] {
  return logs.flatMap((text) =>
    text
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogEvent),
  );
}

/** How many documents were indexed on their first, second, … receive (for the closing note). */
export function receiveHistogram(logs: readonly string[]): Record<number, number> {
  const histogram: Record<number, number> = {};
  for (const e of events(logs)) {
    if (e.event !== 'processing_success' || e.receiveCount === undefined) continue;
    histogram[e.receiveCount] = (histogram[e.receiveCount] ?? 0) + 1;
  }
  return histogram;
}

/** The temp dir's leftovers: nothing may remain once the last worker exited cleanly. */
export function leftovers(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true }).map(String);
}
