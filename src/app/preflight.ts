import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeError, ErrorCodes, isFilesearchError } from '../domain/errors.js';
import type { ObjectStore } from '../ports/object-store.port.js';
import type { Queue } from '../ports/queue.port.js';
import type { SearchIndex } from '../ports/search-index.port.js';

/**
 * Pre-flight checks (the seeds' `--validate-only`): everything the worker needs, checked before it
 * receives anything, each as a row PASS / WARN / FAIL with what was found and, when not PASS, the
 * fix. `transient` rows (a server that does not answer right now) fail `filesearch preflight`
 * but do not stop `run`, which waits for them instead; every other FAIL stops `run` (exit 1).
 */

export type CheckStatus = 'PASS' | 'WARN' | 'FAIL';

export interface CheckResult {
  readonly check: string;
  readonly status: CheckStatus;
  readonly detail: string;
  readonly fix?: string;
  /** The thing may come back by itself (a server down): `run` waits rather than refusing to start. */
  readonly transient?: boolean;
}

export interface PreflightReport {
  readonly ok: boolean;
  readonly checks: readonly CheckResult[];
}

export interface PreflightDeps {
  readonly mode: 'embedded' | 'aws';
  readonly describeConfig: string;
  readonly queue: Pick<Queue, 'name' | 'depth'>;
  readonly dlq: Pick<Queue, 'name' | 'depth'>;
  readonly index: Pick<SearchIndex, 'ping' | 'ensureSchema'>;
  readonly store: Pick<ObjectStore, 'head'>;
  /** The bucket to probe (S3_BUCKET), if configured. */
  readonly bucket?: string;
  /** Resolves to a description of the credentials in use (AWS mode). */
  readonly credentials?: () => Promise<string>;
  readonly ocr: { readonly mode: 'auto' | 'off'; readonly languages: string; readonly detect: () => Promise<{ available: boolean; version?: string; languages: readonly string[]; reason?: string }> };
  readonly pdfEngine: 'auto' | 'poppler' | 'pdfjs';
  readonly tempDir: string;
  readonly maxFileBytes: number;
  /** Extraction children × their heap cap: what extraction may use at most. */
  readonly extractionMemoryBytes: number;
  /** Per check; a server that does not answer in time fails its row instead of hanging the start. */
  readonly timeoutMs?: number;
  /** Injectable for tests. */
  readonly toolVersion?: (command: string, args: readonly string[]) => Promise<string | undefined>;
  readonly freeDiskBytes?: (dir: string) => Promise<number>;
  readonly availableMemoryBytes?: () => number;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export async function runPreflight(deps: PreflightDeps): Promise<PreflightReport> {
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const version = deps.toolVersion ?? toolVersion;
  const checks: CheckResult[] = [{ check: 'config', status: 'PASS', detail: deps.describeConfig }];
  const timed = <T>(p: Promise<T>) => withTimeout(p, timeoutMs);

  if (deps.credentials !== undefined) {
    checks.push(
      await timed(deps.credentials()).then(
        (who): CheckResult => ({ check: 'credentials', status: 'PASS', detail: who }),
        (err: unknown): CheckResult => ({
          check: 'credentials',
          status: 'FAIL',
          detail: errorText(err),
          fix: 'attach an instance profile / IAM role, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN); check AWS_REGION and the clock',
        }),
      ),
    );
  }
  const reach = async (check: string, call: () => Promise<string>, fix: string): Promise<CheckResult> =>
    timed(call()).then(
      (detail): CheckResult => ({ check, status: 'PASS', detail }),
      (err: unknown): CheckResult => ({ check, status: 'FAIL', detail: errorText(err), fix, transient: isTransient(err) }),
    );
  const depth = async (q: Pick<Queue, 'name' | 'depth'>) => {
    const d = await q.depth();
    return `${q.name}: ${d.visible} waiting, ${d.inFlight} in flight`;
  };
  const queueFix = deps.mode === 'aws' ? 'check SQS_QUEUE_URL (and SQS_ENDPOINT), the region, and sqs:GetQueueAttributes on the queue' : 'check FILESEARCH_HOME is writable';
  const dlqFix = deps.mode === 'aws' ? 'check DLQ_QUEUE_URL and sqs:GetQueueAttributes on it' : 'check FILESEARCH_HOME is writable';
  checks.push(await reach('queue', () => depth(deps.queue), queueFix));
  checks.push(await reach('dead-letter queue', () => depth(deps.dlq), dlqFix));
  if (deps.bucket !== undefined) {
    const bucket = deps.bucket;
    checks.push(await reach('bucket', () => probeBucket(deps.store, bucket), 'check S3_BUCKET, the region, and s3:GetObject / s3:ListBucket on it'));
  }
  const indexFix =
    deps.mode === 'aws'
      ? 'check OPENSEARCH_ENDPOINT (reachable from here, security groups), OPENSEARCH_AUTH and the domain access policy'
      : 'check FILESEARCH_HOME/index.db: free disk, permissions, another process holding its lock';
  const reachable = await reach(
    'index',
    async () => {
      await deps.index.ping();
      return 'answers';
    },
    indexFix,
  );
  checks.push(reachable);
  if (reachable.status === 'PASS') {
    checks.push(
      await reach(
        'index mapping',
        async () => {
          await deps.index.ensureSchema();
          return 'present (created if it was missing)';
        },
        'the index exists with another mapping: choose another OPENSEARCH_INDEX or reindex',
      ),
    );
  }
  checks.push(...(await toolChecks(deps, version)));
  checks.push(await tempDirCheck(deps.tempDir));
  checks.push(await diskCheck(deps, deps.freeDiskBytes ?? freeDiskBytes));
  checks.push(memoryCheck(deps, deps.availableMemoryBytes ?? os.freemem));
  return { ok: checks.every((c) => c.status !== 'FAIL'), checks };
}

async function toolChecks(deps: PreflightDeps, version: NonNullable<PreflightDeps['toolVersion']>): Promise<CheckResult[]> {
  const rows: CheckResult[] = [];
  if (deps.ocr.mode === 'off') {
    rows.push({ check: 'tesseract', status: 'PASS', detail: 'OCR=off: images and scans are indexed metadata-only' });
  } else {
    const ocr = await deps.ocr.detect();
    const wanted = [...deps.ocr.languages.split('+'), 'jpn_vert', 'osd'];
    const missing = wanted.filter((l) => !ocr.languages.includes(l));
    const install = 'apt-get install tesseract-ocr tesseract-ocr-jpn tesseract-ocr-jpn-vert tesseract-ocr-osd';
    if (!ocr.available) {
      rows.push({ check: 'tesseract', status: 'FAIL', detail: ocr.reason ?? 'not found', fix: `${install} (or set OCR=off to index images and scans metadata-only)` });
    } else if (missing.length > 0) {
      rows.push({ check: 'tesseract', status: 'FAIL', detail: `${ocr.version ?? '?'}; missing language data: ${missing.join(', ')}`, fix: `${install} (or set OCR_LANGUAGES / OCR=off)` });
    } else {
      rows.push({ check: 'tesseract', status: 'PASS', detail: `${ocr.version ?? '?'} with ${wanted.join(', ')}` });
    }
  }
  const pdftoppm = await version('pdftoppm', ['-v']);
  const needsPoppler = deps.pdfEngine === 'poppler' || deps.ocr.mode === 'auto';
  if (pdftoppm !== undefined) rows.push({ check: 'pdftoppm', status: 'PASS', detail: pdftoppm });
  else {
    rows.push({
      check: 'pdftoppm',
      status: needsPoppler ? 'FAIL' : 'WARN',
      detail: 'not found',
      fix: `apt-get install poppler-utils poppler-data${needsPoppler ? ' (scanned PDFs are rendered with it for OCR)' : ''}`,
    });
  }
  return rows;
}

async function tempDirCheck(dir: string): Promise<CheckResult> {
  const probe = path.join(dir, `.filesearch-preflight-${process.pid}`);
  try {
    await fs.promises.mkdir(dir, { recursive: true });
    await fs.promises.writeFile(probe, 'ok');
    await fs.promises.rm(probe, { force: true });
    return { check: 'temp dir', status: 'PASS', detail: `${dir} is writable` };
  } catch (err) {
    return { check: 'temp dir', status: 'FAIL', detail: `${dir}: ${errorText(err)}`, fix: 'set TEMP_DIR to a writable directory (systemd: ReadWritePaths=, PrivateTmp=)' };
  }
}

async function diskCheck(deps: PreflightDeps, free: (dir: string) => Promise<number>): Promise<CheckResult> {
  const need = Math.max(2 * deps.maxFileBytes, 256 * MiB);
  try {
    const bytes = await free(deps.tempDir);
    const detail = `${formatBytes(bytes)} free in ${deps.tempDir}`;
    if (bytes < need) return { check: 'disk', status: 'FAIL', detail, fix: `free disk space: at least ${formatBytes(need)} (2 × MAX_FILE_SIZE_MB) is needed for downloads and rendered pages` };
    if (bytes < 2 * GiB) return { check: 'disk', status: 'WARN', detail, fix: 'less than 2 GiB free: large scans render many pages; free space or point TEMP_DIR elsewhere' };
    return { check: 'disk', status: 'PASS', detail };
  } catch (err) {
    return { check: 'disk', status: 'WARN', detail: `cannot read free space: ${errorText(err)}` };
  }
}

function memoryCheck(deps: PreflightDeps, available: () => number): CheckResult {
  const bytes = available();
  const detail = `${formatBytes(bytes)} available; extraction may use up to ${formatBytes(deps.extractionMemoryBytes)}`;
  if (bytes < 256 * MiB) return { check: 'memory', status: 'FAIL', detail, fix: 'less than 256 MiB available: stop other processes or use a larger instance' };
  if (bytes < deps.extractionMemoryBytes) return { check: 'memory', status: 'WARN', detail, fix: 'lower EXTRACT_POOL_SIZE or EXTRACT_MEMORY_MB, or use a larger instance' };
  return { check: 'memory', status: 'PASS', detail };
}

/** A HEAD of a key that should not exist: "not found" proves the bucket is there and readable. */
async function probeBucket(store: Pick<ObjectStore, 'head'>, bucket: string): Promise<string> {
  try {
    await store.head(bucket, `.filesearch-preflight/${process.pid}`);
  } catch (err) {
    if (isFilesearchError(err) && err.code === ErrorCodes.ObjectNotFound) return `${bucket} is reachable`;
    throw err;
  }
  return `${bucket} is reachable`;
}

/** First line a tool prints for its version (poppler prints to stderr); undefined when absent. */
export function toolVersion(command: string, args: readonly string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(command, [...args], { timeout: 10_000 }, (err, stdout, stderr) => {
      if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') return resolve(undefined);
      const line = `${stdout}\n${stderr}`.split('\n').find((l) => /\d+\.\d+/.test(l));
      resolve(line?.trim() ?? 'installed');
    });
  });
}

async function freeDiskBytes(dir: string): Promise<number> {
  await fs.promises.mkdir(dir, { recursive: true }).catch(() => undefined);
  const s = await fs.promises.statfs(dir);
  return s.bavail * s.bsize;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function isTransient(err: unknown): boolean {
  if (!isFilesearchError(err)) return err instanceof Error && /no answer within/.test(err.message);
  return err.errorClass === 'transient';
}

function errorText(err: unknown): string {
  const { code, message } = describeError(err);
  return code === ErrorCodes.Internal ? message : `${code}: ${message}`;
}

export function formatBytes(n: number): string {
  if (n >= GiB) return `${(n / GiB).toFixed(1)} GiB`;
  return `${Math.round(n / MiB)} MiB`;
}
