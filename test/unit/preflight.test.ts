import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { runPreflight, type CheckResult, type PreflightBackends, type PreflightDeps, type PreflightReport } from '../../src/app/preflight.js';
import { ErrorCodes, FatalError, PermanentError, TransientError } from '../../src/domain/errors.js';

/**
 * runPreflight with small fakes, for what the real CLI on real servers (test/integration/
 * preflight.test.ts) cannot produce on demand: a nearly full disk, a machine short of memory, a
 * credential source that never answers, a missing pdftotext.
 */

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'preflight-unit-'));
afterAll(() => fs.rmSync(tempDir, { recursive: true, force: true }));

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

function backends(overrides: Partial<PreflightBackends> = {}): PreflightBackends {
  const queue = (name: string) => ({ name, depth: () => Promise.resolve({ visible: 0, inFlight: 0, delayed: 0 }) });
  return {
    queue: queue('main'),
    dlq: queue('main-dlq'),
    index: { ping: () => Promise.resolve(), ensureSchema: () => Promise.resolve() },
    store: { head: () => Promise.reject(new PermanentError(ErrorCodes.ObjectNotFound, 'no such key')) },
    ...overrides,
  };
}

function deps(overrides: Partial<PreflightDeps> = {}): PreflightDeps {
  return {
    mode: 'aws',
    describeConfig: 'aws (test)',
    backends: backends({ credentials: () => Promise.resolve('access key test…') }),
    bucket: 'docs',
    ocr: { mode: 'auto', languages: 'jpn+eng', detect: () => Promise.resolve({ available: true, version: '5.3.0', languages: ['jpn', 'eng', 'jpn_vert', 'osd'] }) },
    pdfEngine: 'auto',
    tempDir,
    maxFileBytes: 100 * MiB,
    extractionMemoryBytes: 2 * GiB,
    toolVersion: (command) => Promise.resolve(`${command} version 22.12.0`),
    freeDiskBytes: () => Promise.resolve(50 * GiB),
    availableMemoryBytes: () => 16 * GiB,
    ...overrides,
  };
}

function row(report: PreflightReport, check: string): CheckResult {
  const found = report.checks.find((c) => c.check === check);
  if (found === undefined) throw new Error(`no "${check}" row: ${report.checks.map((c) => c.check).join(', ')}`);
  return found;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('runPreflight', () => {
  it('passes every row when everything is there', async () => {
    const report = await runPreflight(deps());
    expect(report.checks.map((c) => [c.check, c.status])).toEqual([
      ['config', 'PASS'],
      ['credentials', 'PASS'],
      ['queue', 'PASS'],
      ['dead-letter queue', 'PASS'],
      ['bucket', 'PASS'],
      ['index', 'PASS'],
      ['index mapping', 'PASS'],
      ['tesseract', 'PASS'],
      ['pdftotext', 'PASS'],
      ['pdftoppm', 'PASS'],
      ['temp dir', 'PASS'],
      ['disk', 'PASS'],
      ['memory', 'PASS'],
    ]);
    expect(report.ok).toBe(true);
  });

  // Fake: the machine's disk cannot be filled for a test.
  it('fails the disk row below 2 × MAX_FILE_SIZE_MB free and warns below 2 GiB', async () => {
    const full = await runPreflight(deps({ freeDiskBytes: () => Promise.resolve(150 * MiB) }));
    expect(row(full, 'disk')).toMatchObject({ status: 'FAIL', detail: `150 MiB free in ${tempDir}`, fix: expect.stringMatching(/TEMP_DIR.*at least 256 MiB/) });
    expect(full.ok).toBe(false);

    const bigFiles = await runPreflight(deps({ maxFileBytes: 1024 * MiB, freeDiskBytes: () => Promise.resolve(1.5 * GiB) }));
    expect(row(bigFiles, 'disk')).toMatchObject({ status: 'FAIL', fix: expect.stringContaining('2.0 GiB') });

    const tight = await runPreflight(deps({ freeDiskBytes: () => Promise.resolve(1 * GiB) }));
    expect(row(tight, 'disk')).toMatchObject({ status: 'WARN', fix: expect.stringContaining('TEMP_DIR') });
    expect(tight.ok).toBe(true);
  });

  // Fake: the machine's memory cannot be taken away for a test.
  it('fails the memory row below 256 MiB available and warns below what extraction may use', async () => {
    const starved = await runPreflight(deps({ availableMemoryBytes: () => 200 * MiB }));
    expect(row(starved, 'memory')).toMatchObject({ status: 'FAIL', fix: expect.stringContaining('256 MiB') });
    expect(starved.ok).toBe(false);

    const short = await runPreflight(deps({ availableMemoryBytes: () => 1 * GiB }));
    expect(row(short, 'memory')).toMatchObject({ status: 'WARN', detail: '1.0 GiB available; extraction may use up to 2.0 GiB', fix: expect.stringContaining('EXTRACT_POOL_SIZE') });
    expect(short.ok).toBe(true);
  });

  it('points the AWS rows at the credentials when there are none', async () => {
    const refused = new FatalError(ErrorCodes.ConfigInvalid, 'the AWS credentials were refused or could not be found');
    const report = await runPreflight(
      deps({
        backends: backends({
          credentials: () => Promise.reject(new Error('Could not load credentials from any providers')),
          queue: { name: 'main', depth: () => Promise.reject(refused) },
          dlq: { name: 'main-dlq', depth: () => Promise.reject(refused) },
          store: { head: () => Promise.reject(refused) },
        }),
      }),
    );
    expect(row(report, 'credentials')).toMatchObject({ status: 'FAIL', fix: expect.stringContaining('AWS_ACCESS_KEY_ID') });
    for (const check of ['queue', 'dead-letter queue', 'bucket']) expect(row(report, check)).toMatchObject({ status: 'FAIL', fix: 'fix the credentials first (see the credentials row)' });
    expect(row(report, 'index').status).toBe('PASS');
  });

  // Fake: a credential source (instance metadata) or server that accepts and never answers, on demand.
  it('answers after one timeout when nothing answers at all, marking those rows transient', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const silent = backends({
      credentials: never,
      queue: { name: 'main', depth: never },
      dlq: { name: 'main-dlq', depth: never },
      index: { ping: never, ensureSchema: never },
      store: { head: never },
    });
    let report: PreflightReport | undefined;
    void runPreflight(deps({ backends: silent, timeoutMs: 5_000 })).then((r) => (report = r));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(report).toBeUndefined();
    // The checks run at once: one timeout in all, not one per server (that would take 10 s more).
    // waitFor lets the temp dir check's real file I/O finish; it moves fake time by at most ~1 s.
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(report).toBeDefined());
    for (const check of ['credentials', 'queue', 'dead-letter queue', 'bucket', 'index']) {
      expect(row(report as PreflightReport, check)).toMatchObject({ status: 'FAIL', detail: 'no answer within 5 s', transient: true });
    }
    expect(report?.checks.map((c) => c.check)).not.toContain('index mapping');
  });

  it('marks only failures that may clear by themselves as transient', async () => {
    const report = await runPreflight(
      deps({
        backends: backends({
          queue: { name: 'main', depth: () => Promise.reject(new TransientError(ErrorCodes.QueueUnavailable, 'ECONNRESET')) },
          dlq: { name: 'main-dlq', depth: () => Promise.reject(new FatalError(ErrorCodes.ConfigInvalid, 'SQS queue main-dlq does not exist')) },
        }),
      }),
    );
    expect(row(report, 'queue')).toMatchObject({ status: 'FAIL', transient: true, fix: expect.stringMatching(/SQS_QUEUE_URL .*SQS_ENDPOINT/) });
    const dlq = row(report, 'dead-letter queue');
    expect(dlq).toMatchObject({ status: 'FAIL', detail: 'config_invalid: SQS queue main-dlq does not exist', fix: expect.stringMatching(/^correct DLQ_QUEUE_URL .*create the queue/) });
    expect('transient' in dlq).toBe(false);
  });

  // Fake: poppler cannot be uninstalled for one test.
  it('requires pdftotext for PDF_ENGINE=poppler, warns under auto, and does not look under pdfjs', async () => {
    const asked: string[] = [];
    const withoutPdftotext = (command: string) => {
      asked.push(command);
      return Promise.resolve(command === 'pdftotext' ? undefined : `${command} version 22.12.0`);
    };
    const poppler = await runPreflight(deps({ pdfEngine: 'poppler', toolVersion: withoutPdftotext }));
    expect(row(poppler, 'pdftotext')).toMatchObject({ status: 'FAIL', fix: expect.stringContaining('apt-get install poppler-utils') });
    const auto = await runPreflight(deps({ pdfEngine: 'auto', toolVersion: withoutPdftotext }));
    expect(row(auto, 'pdftotext')).toMatchObject({ status: 'WARN', detail: expect.stringContaining('pdf.js') });
    expect(auto.ok).toBe(true);
    asked.length = 0;
    const pdfjs = await runPreflight(deps({ pdfEngine: 'pdfjs', toolVersion: withoutPdftotext }));
    expect(row(pdfjs, 'pdftotext').status).toBe('PASS');
    expect(asked).not.toContain('pdftotext');
  });

  it('reports missing OCR language data with the packages to install', async () => {
    const report = await runPreflight(deps({ ocr: { mode: 'auto', languages: 'jpn+eng', detect: () => Promise.resolve({ available: true, version: '5.3.0', languages: ['eng', 'osd'] }) } }));
    expect(row(report, 'tesseract')).toMatchObject({ status: 'FAIL', detail: '5.3.0; missing language data: jpn, jpn_vert', fix: expect.stringContaining('tesseract-ocr-jpn') });
  });

  it('still checks the machine when the backends could not be opened', async () => {
    const report = await runPreflight(deps({ mode: 'embedded', backends: { openFailed: new Error('unable to open database file') } }));
    expect(report.checks.map((c) => c.check)).toEqual(['config', 'state', 'tesseract', 'pdftotext', 'pdftoppm', 'temp dir', 'disk', 'memory']);
    expect(row(report, 'state')).toMatchObject({ status: 'FAIL', detail: 'unable to open database file', fix: expect.stringContaining('FILESEARCH_HOME') });
  });
});
