import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ExtractionPool, type ExtractionPoolOptions } from '../../src/adapters/extract/pool/extraction-pool.js';
import { DEFAULT_EXTRACTION_SETTINGS, defaultExtractors, ExtractorRegistry } from '../../src/adapters/extract/registry.js';
import { MagicTypeDetector } from '../../src/adapters/extract/type-detector.js';
import { ErrorCodes, isPermanentError, isTransientError, PermanentError, TransientError } from '../../src/domain/errors.js';
import type { Extraction, ExtractionInput } from '../../src/ports/extractor.port.js';
import { corpusRoot, repoRoot } from '../support/cli.js';
import { isGone, liveGroupMembers, makeFifo, writeEndlessPdf } from '../support/hang.js';

/**
 * The extraction pool with real child processes, real files and real kills. Hangs are real too:
 * a FIFO (reading it blocks forever in the child) and a PDF of nested forms that keeps pdftotext
 * (a grandchild) busy for days. No mocks, no test switches in the product.
 */

const detector = new MagicTypeDetector();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'fs-pool-'));
const fifo = makeFifo(path.join(scratch, 'never-written.txt'));
const endlessPdf = writeEndlessPdf(path.join(scratch, 'endless.pdf'));
const sample = (name: string): string => path.join(repoRoot, 'samples', name);
const corpus = (name: string): string => path.join(corpusRoot, name);

async function input(file: string): Promise<ExtractionInput> {
  const extension = path.extname(file).slice(1).toLowerCase();
  const { size } = await stat(file);
  return { path: file, fileName: path.basename(file), extension, size, type: await detector.detect(file, extension) };
}
/** The FIFO cannot be sniffed (that would block the test): it is declared text/plain. */
const fifoInput: ExtractionInput = { path: fifo, fileName: 'never-written.txt', extension: 'txt', size: 0, type: { mime: 'text/plain', ext: 'txt', source: 'text' } };

const pools: ExtractionPool[] = [];
const seenPids = new Set<number>();
function pool(options: Partial<ExtractionPoolOptions> & { timeoutMs?: number } = {}): ExtractionPool {
  const { timeoutMs = 60_000, ...rest } = options;
  const p = new ExtractionPool({ settings: { ...DEFAULT_EXTRACTION_SETTINGS, timeoutMs }, size: 2, memoryMb: 512, ...rest });
  pools.push(p);
  return p;
}
function remember(p: ExtractionPool): number[] {
  const pids = p.pids();
  pids.forEach((pid) => seenPids.add(pid));
  return pids;
}
const failure = (p: Promise<Extraction>): Promise<unknown> => p.then(() => new Error('expected a failure, got an extraction'), (err: unknown) => err);

async function until<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

afterEach(async () => {
  for (const p of pools.splice(0)) {
    remember(p);
    await p.close();
  }
});

afterAll(() => {
  // Every child any test started is dead and reaped, and so is everything it started.
  for (const pid of seenPids) {
    expect(isGone(pid), `extraction child ${pid} survived`).toBe(true);
    expect(liveGroupMembers(pid), `process group ${pid} has live members`).toEqual([]);
  }
  fs.rmSync(scratch, { recursive: true, force: true });
});

const files = [
  ...fs.readdirSync(path.join(repoRoot, 'samples')).map(sample),
  corpus('text/chardet_sjis_rashomon.txt'),
  corpus('text/uchardet_utf8_wikipedia.txt'),
  corpus('pdf-text/pdfjs_issue16538.pdf'),
  corpus('pdf-text/pdfjs_vertical.pdf'),
  corpus('pdf-text/pdfjs_tracemonkey.pdf'),
];

describe('ExtractionPool', () => {
  it('extracts real files exactly as the in-process registry does', async () => {
    const inProcess = new ExtractorRegistry(defaultExtractors(DEFAULT_EXTRACTION_SETTINGS));
    const p = pool();
    for (const file of files) {
      const job = await input(file);
      const [viaPool, direct] = await Promise.all([p.extract(job), inProcess.extract(job)]);
      expect(viaPool.text, file).toBe(direct.text);
      expect(viaPool.text.length, file).toBeGreaterThan(0);
      expect({ ...viaPool, timings: {} }).toEqual({ ...direct, timings: {} });
    }
    expect(p.stats()).toMatchObject({ size: 2, busy: 0, queued: 0, timeouts: 0, crashes: 0 });
  });

  it('queues jobs beyond its size in FIFO order, never runs more than its size, and completes them all', async () => {
    const p = pool({ size: 2 });
    const jobs = await Promise.all([...files, ...files].map(input));
    const busy: number[] = [];
    const sampler = setInterval(() => busy.push(p.stats().busy), 2);
    const finished: number[] = [];
    const running = jobs.map((job, i) => p.extract(job).then((r) => (finished.push(i), r)));
    expect(p.stats()).toMatchObject({ busy: 2, queued: jobs.length - 2 });
    expect(remember(p)).toHaveLength(2);
    const results = await Promise.all(running);
    clearInterval(sampler);
    expect(results.every((r) => r.text.length > 0)).toBe(true);
    expect(Math.max(...busy)).toBe(2);
    expect(p.stats()).toMatchObject({ busy: 0, queued: 0, restarts: 0 });
    // Started in order: job i + 2 cannot finish before job i started, so the finish order is near FIFO.
    finished.forEach((job, position) => expect(job).toBeLessThanOrEqual(position + 2));
  });

  it('kills a job that hangs (a FIFO) at its deadline with extraction_timeout, then serves the next job', async () => {
    const p = pool({ size: 1, timeoutMs: 1_500 });
    const started = Date.now();
    const hung = failure(p.extract(fifoInput));
    const [pid] = remember(p);
    const err = await hung;
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(PermanentError);
    expect(err).toMatchObject({ code: ErrorCodes.ExtractionTimeout });
    expect(elapsed).toBeGreaterThanOrEqual(1_450);
    expect(elapsed).toBeLessThan(5_000);
    await until(() => (isGone(pid as number) ? true : undefined));

    const next = await p.extract(await input(sample('見積依頼_ShiftJIS.txt')));
    expect(next.text).toContain('見積依頼書');
    expect(remember(p)[0]).not.toBe(pid);
    expect(p.stats()).toMatchObject({ timeouts: 1, restarts: 1, crashes: 0, busy: 0 });
  });

  it('kills the whole process group at the deadline: pdftotext dies with its extraction child', async () => {
    const p = pool({ size: 1, timeoutMs: 4_000 });
    const hung = failure(p.extract(await input(endlessPdf)));
    const [pid = 0] = remember(p);
    // pdftotext is a grandchild, in the child's process group.
    const tool = await until(() => liveGroupMembers(pid).find((m) => m.comm === 'pdftotext'));
    expect(tool.ppid).toBe(pid);
    const err = await hung;
    expect(err).toMatchObject({ code: ErrorCodes.ExtractionTimeout, errorClass: 'permanent' });
    expect((err as Error).message).toMatch(/process group was killed/);
    await until(() => (isGone(pid) ? true : undefined));
    expect(liveGroupMembers(pid)).toEqual([]);
  });

  it('fails the file with extraction_failed when its child is killed from outside, and the next job works', async () => {
    const p = pool({ size: 1 });
    await p.extract(await input(sample('設計メモ_EUC-JP.txt'))); // the child is up and serving
    const [pid = 0] = remember(p);
    const hung = failure(p.extract(fifoInput));
    await new Promise((r) => setTimeout(r, 200));
    process.kill(pid, 'SIGKILL');
    const err = await hung;
    expect(err).toBeInstanceOf(PermanentError);
    expect(err).toMatchObject({ code: ErrorCodes.ExtractionFailed });
    expect((err as Error).message).toMatch(/died \(SIGKILL\) while extracting never-written\.txt/);

    const next = await p.extract(await input(sample('議事録_定例会議_第12回.txt')));
    expect(next.text.length).toBeGreaterThan(0);
    expect(p.stats()).toMatchObject({ crashes: 1, restarts: 1, timeouts: 0 });
  });

  it('fails the file with extraction_failed when its child runs out of heap (EXTRACT_MEMORY_MB)', async () => {
    const big = path.join(scratch, 'big.txt');
    fs.writeFileSync(big, Buffer.alloc(60 * 1024 * 1024, 'a'));
    const p = pool({ size: 1, memoryMb: 32 });
    const err = await failure(p.extract(await input(big)));
    remember(p);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err).toMatchObject({ code: ErrorCodes.ExtractionFailed });
    expect((err as Error).message).toMatch(/out of memory \(heap limit 32 MB/);
    fs.rmSync(big);
  });

  it('keeps the class and code of an error across the process boundary', async () => {
    const p = pool({ size: 1 });
    const encrypted = await failure(p.extract(await input(corpus('broken/pdfjs_issue21579.pdf'))));
    expect(encrypted).toBeInstanceOf(PermanentError);
    expect(isPermanentError(encrypted)).toBe(true);
    expect(encrypted).toMatchObject({ code: ErrorCodes.EncryptedFile, name: 'PermanentError' });
    const corrupt = await failure(p.extract(await input(corpus('broken/pdfjs_REDHAT-1531897-0.pdf'))));
    expect(corrupt).toMatchObject({ code: ErrorCodes.CorruptFile, errorClass: 'permanent' });

    const capped = pool({ size: 1, settings: { ...DEFAULT_EXTRACTION_SETTINGS, maxBytes: 100 } });
    const tooLarge = await failure(capped.extract(await input(sample('議事録_定例会議_第12回.txt'))));
    expect(tooLarge).toMatchObject({ code: ErrorCodes.TooLarge, errorClass: 'permanent' });
    expect((tooLarge as PermanentError).details).toMatchObject({ maxBytes: 100 });
    expect(p.stats().crashes + capped.stats().crashes).toBe(0);
  });

  it('kills a running job when its signal aborts: transient on shutdown, extraction_timeout on a timeout signal', async () => {
    const p = pool({ size: 1 });
    const shutdown = new AbortController();
    const interrupted = failure(p.extract({ ...fifoInput, signal: shutdown.signal }));
    const [first = 0] = remember(p);
    setTimeout(() => shutdown.abort(), 200);
    const err = await interrupted;
    expect(err).toBeInstanceOf(TransientError);
    expect(isTransientError(err)).toBe(true);
    await until(() => (isGone(first) ? true : undefined));

    const timedOut = await failure(p.extract({ ...fifoInput, signal: AbortSignal.timeout(300) }));
    remember(p);
    expect(timedOut).toMatchObject({ code: ErrorCodes.ExtractionTimeout, errorClass: 'permanent' });
    expect((await p.extract(await input(sample('release-notes.md')))).text.length).toBeGreaterThan(0);
  });

  it('recycles a child after maxJobsPerChild jobs and when its RSS passes the threshold', async () => {
    const byCount = pool({ size: 1, maxJobsPerChild: 2 });
    const job = await input(sample('お知らせ_ISO-2022-JP.txt'));
    await byCount.extract(job);
    const [first] = remember(byCount);
    await byCount.extract(job);
    await byCount.extract(job);
    expect(remember(byCount)[0]).not.toBe(first);
    expect(byCount.stats().restarts).toBe(1);

    const byRss = pool({ size: 1, recycleRssMb: 1 }); // every child is over 1 MiB
    await byRss.extract(job);
    const [before] = remember(byRss);
    await byRss.extract(job);
    expect(remember(byRss)[0]).not.toBe(before);
    expect(byRss.stats().restarts).toBe(2);
  });

  it('close() kills every child, fails running and queued jobs as transient, and refuses new work', async () => {
    const p = pool({ size: 2 });
    const jobs = [failure(p.extract(fifoInput)), failure(p.extract(fifoInput)), failure(p.extract(fifoInput))];
    const pids = remember(p);
    expect(pids).toHaveLength(2);
    expect(p.stats()).toMatchObject({ busy: 2, queued: 1 });
    await new Promise((r) => setTimeout(r, 200));
    await Promise.all([p.close(), p.close()]);
    for (const err of await Promise.all(jobs)) expect(isTransientError(err), String(err)).toBe(true);
    for (const pid of pids) expect(isGone(pid)).toBe(true);
    expect(p.pids()).toEqual([]);
    expect(isTransientError(await failure(p.extract(fifoInput)))).toBe(true);
  });

  // A worker that dies takes its extraction children and their tools with it: through its 'exit'
  // handler when it exits, through the children noticing their IPC channel close when SIGKILLed.
  it.each([
    ['exits (process.exit)', 'exit'],
    ['is SIGKILLed', 'kill'],
  ] as const)('leaves no orphan when the worker %s mid-job', async (_how, mode) => {
    const dist = path.join(repoRoot, 'dist', 'adapters', 'extract');
    const script = `
      import { ExtractionPool } from ${JSON.stringify(path.join(dist, 'pool', 'extraction-pool.js'))};
      import { DEFAULT_EXTRACTION_SETTINGS } from ${JSON.stringify(path.join(dist, 'registry.js'))};
      const pool = new ExtractionPool({ settings: DEFAULT_EXTRACTION_SETTINGS, size: 1, memoryMb: 256 });
      const type = { mime: 'application/pdf', ext: 'pdf', source: 'magic' };
      pool.extract({ path: ${JSON.stringify(endlessPdf)}, fileName: 'endless.pdf', extension: 'pdf', size: 1, type }).catch(() => {});
      process.stdout.write(JSON.stringify(pool.pids()) + '\\n');
      process.stdin.on('data', () => process.exit(1));`;
    const worker = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => worker.on('exit', resolve));
    const line = await new Promise<string>((resolve) => worker.stdout.once('data', (d: Buffer) => resolve(d.toString())));
    const [pid = 0] = JSON.parse(line) as number[];
    await until(() => liveGroupMembers(pid).find((m) => m.comm === 'pdftotext'));
    if (mode === 'exit') worker.stdin.write('exit\n');
    else worker.kill('SIGKILL');
    await exited;
    await until(() => (liveGroupMembers(pid).length === 0 ? true : undefined), 5_000);
  });
});
