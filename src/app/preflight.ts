import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeError, ErrorCodes, isFilesearchError, isTransientError } from '../domain/errors.js';
import type { ObjectStore } from '../ports/object-store.port.js';
import type { Queue } from '../ports/queue.port.js';
import type { SearchIndex } from '../ports/search-index.port.js';
import { freeDiskBytes } from '../shared/disk.js';

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
  readonly transient?: true;
}

export interface PreflightReport {
  readonly ok: boolean;
  readonly checks: readonly CheckResult[];
}

/** What the worker talks to: the queue, the DLQ, the index and the object store. */
export interface PreflightBackends {
  readonly queue: Pick<Queue, 'name' | 'depth'>;
  readonly dlq: Pick<Queue, 'name' | 'depth'>;
  readonly index: Pick<SearchIndex, 'ping' | 'ensureSchema'>;
  readonly store: Pick<ObjectStore, 'head'>;
  /** Resolves to a description of the credentials in use (AWS mode). */
  readonly credentials?: () => Promise<string>;
}

export interface PreflightDeps {
  readonly mode: 'embedded' | 'aws';
  readonly describeConfig: string;
  /** The backends, or why they could not even be opened (embedded: FILESEARCH_HOME not writable). */
  readonly backends: PreflightBackends | { readonly openFailed: unknown };
  /** The bucket to probe (S3_BUCKET), if configured. */
  readonly bucket?: string;
  readonly ocr: { readonly mode: 'auto' | 'off'; readonly languages: string; readonly detect: () => Promise<{ available: boolean; version?: string; languages: readonly string[]; reason?: string }> };
  readonly pdfEngine: 'auto' | 'poppler' | 'pdfjs';
  readonly tempDir: string;
  readonly maxFileBytes: number;
  /** Extraction children × their heap cap: what extraction may use at most. */
  readonly extractionMemoryBytes: number;
  /** Per check (they run at once); a server that does not answer in time fails its row instead of hanging the start. */
  readonly timeoutMs?: number;
  /** Injectable for tests. */
  readonly toolVersion?: (command: string, args: readonly string[]) => Promise<string | undefined>;
  readonly freeDiskBytes?: (dir: string) => Promise<number>;
  readonly availableMemoryBytes?: () => number;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const POPPLER = 'apt-get install poppler-utils poppler-data';

/** A check that did not answer in time; its call may still be running inside its client. */
class NoAnswer extends Error {}

export async function runPreflight(deps: PreflightDeps): Promise<PreflightReport> {
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const timed = <T>(p: Promise<T>) => withTimeout(p, timeoutMs);
  const version = deps.toolVersion ?? toolVersion;
  // Every check starts at once, so a dead network costs one timeout, not one per server.
  const [remote, tools, temp, disk] = await Promise.all([
    'openFailed' in deps.backends ? [openFailedRow(deps.mode, deps.backends.openFailed)] : backendChecks(deps, deps.backends, timed),
    toolChecks(deps, version),
    timed(tempDirCheck(deps.tempDir)).catch((err: unknown) => tempDirFailure(deps.tempDir, err)),
    timed(diskCheck(deps, deps.freeDiskBytes ?? freeDiskBytes)).catch((err: unknown): CheckResult => ({ check: 'disk', status: 'WARN', detail: `cannot read free space: ${errorText(err)}` })),
  ]);
  const checks: CheckResult[] = [{ check: 'config', status: 'PASS', detail: deps.describeConfig }, ...remote, ...tools, temp, disk, memoryCheck(deps, deps.availableMemoryBytes ?? os.freemem)];
  return { ok: checks.every((c) => c.status !== 'FAIL'), checks };
}

type Fixes = Readonly<{ unreachable: string; refused: string }>;

async function backendChecks(deps: PreflightDeps, b: PreflightBackends, timed: <T>(p: Promise<T>) => Promise<T>): Promise<CheckResult[]> {
  const aws = deps.mode === 'aws';
  const homeFix = 'check FILESEARCH_HOME: a writable directory with free disk, its databases not locked by another process';
  const home: Fixes = { unreachable: homeFix, refused: homeFix };
  const credentials = b.credentials;
  const credentialsRow =
    credentials === undefined
      ? undefined
      : timed(credentials()).then(
          (who): CheckResult => ({ check: 'credentials', status: 'PASS', detail: who }),
          (err: unknown): CheckResult => failure('credentials', err, {
            unreachable: 'the credential source does not answer (instance metadata, SSO): check the instance profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
            refused: 'attach an instance profile / IAM role, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN); check AWS_REGION and the clock',
          }),
        );
  const reach = async (check: string, call: () => Promise<string>, fixes: Fixes): Promise<CheckResult> => {
    const row = await timed(call()).then(
      (detail): CheckResult => ({ check, status: 'PASS', detail }),
      (err: unknown) => failure(check, err, fixes),
    );
    // Without credentials every AWS call fails: point at the cause rather than at each URL.
    if (row.status === 'FAIL' && (await credentialsRow)?.status === 'FAIL') return { ...row, fix: 'fix the credentials first (see the credentials row)' };
    return row;
  };
  const depth = async (q: Pick<Queue, 'name' | 'depth'>) => {
    const d = await q.depth();
    return `${q.name}: ${d.visible} waiting, ${d.inFlight} in flight`;
  };
  const queueFixes = (variable: string): Fixes =>
    aws
      ? {
          unreachable: `${variable} does not answer from here: check ${variable} and SQS_ENDPOINT (VPC endpoint, security groups, proxy)`,
          refused: `correct ${variable} to an existing queue (mind SQS_ENDPOINT and AWS_REGION) or create the queue; the role needs sqs:GetQueueAttributes, sqs:ReceiveMessage, sqs:SendMessage, sqs:DeleteMessage and sqs:ChangeMessageVisibility on it`,
        }
      : home;
  const bucket = deps.bucket;
  const index = reach(
    'index',
    async () => {
      await b.index.ping();
      return 'answers';
    },
    aws
      ? {
          unreachable: 'OPENSEARCH_ENDPOINT does not answer from here: check the URL, security groups and VPC access; `run` waits for it at start',
          refused: 'check OPENSEARCH_ENDPOINT, OPENSEARCH_AUTH (OPENSEARCH_USERNAME / OPENSEARCH_PASSWORD, or this role in the domain access policy)',
        }
      : home,
  );
  const rows = await Promise.all([
    credentialsRow,
    reach('queue', () => depth(b.queue), queueFixes('SQS_QUEUE_URL')),
    reach('dead-letter queue', () => depth(b.dlq), queueFixes('DLQ_QUEUE_URL')),
    bucket === undefined
      ? undefined
      : reach('bucket', () => probeBucket(b.store, bucket), {
          unreachable: 'S3 does not answer from here: check S3_ENDPOINT (VPC endpoint, security groups, proxy)',
          refused: aws ? 'correct S3_BUCKET to an existing bucket (mind S3_ENDPOINT and AWS_REGION); the role needs s3:GetObject and s3:ListBucket on it' : 'S3_BUCKET must name a folder bucket registered by `filesearch ingest`',
        }),
    index,
    index.then((row) =>
      row.status !== 'PASS'
        ? undefined
        : reach(
            'index mapping',
            async () => {
              await b.index.ensureSchema();
              return 'present (created if it was missing)';
            },
            { unreachable: 'the index stopped answering: try again', refused: 'the index exists with another mapping, or creating it was refused: choose another OPENSEARCH_INDEX, reindex, or allow es:ESHttpPut' },
          ),
    ),
  ]);
  return rows.filter((r): r is CheckResult => r !== undefined);
}

function failure(check: string, err: unknown, fixes: Fixes): CheckResult {
  const transient = err instanceof NoAnswer || isTransientError(err);
  return { check, status: 'FAIL', detail: errorText(err), fix: transient ? fixes.unreachable : fixes.refused, ...(transient ? { transient: true } : {}) };
}

function openFailedRow(mode: PreflightDeps['mode'], err: unknown): CheckResult {
  const fix = mode === 'embedded' ? 'FILESEARCH_HOME (--home) must be a writable directory (it holds queue.db and index.db): fix its permissions or point it elsewhere' : 'the AWS clients could not be created: see the detail';
  return { check: 'state', status: 'FAIL', detail: errorText(err), fix };
}

async function toolChecks(deps: PreflightDeps, version: NonNullable<PreflightDeps['toolVersion']>): Promise<CheckResult[]> {
  const [ocr, pdftotext, pdftoppm] = await Promise.all([
    deps.ocr.mode === 'off' ? undefined : deps.ocr.detect(),
    deps.pdfEngine === 'pdfjs' ? undefined : version('pdftotext', ['-v']),
    version('pdftoppm', ['-v']),
  ]);
  const rows: CheckResult[] = [];
  if (ocr === undefined) {
    rows.push({ check: 'tesseract', status: 'PASS', detail: 'OCR=off: images and scans are indexed metadata-only' });
  } else {
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
  if (deps.pdfEngine === 'pdfjs') rows.push({ check: 'pdftotext', status: 'PASS', detail: 'PDF_ENGINE=pdfjs: PDFs are read with pdf.js' });
  else if (pdftotext !== undefined) rows.push({ check: 'pdftotext', status: 'PASS', detail: pdftotext });
  else if (deps.pdfEngine === 'poppler') rows.push({ check: 'pdftotext', status: 'FAIL', detail: 'not found; PDF_ENGINE=poppler requires it', fix: `${POPPLER} (or set PDF_ENGINE=auto)` });
  else rows.push({ check: 'pdftotext', status: 'WARN', detail: 'not found: PDFs are read with pdf.js, the slower fallback', fix: POPPLER });

  const needsPoppler = deps.ocr.mode === 'auto';
  if (pdftoppm !== undefined) rows.push({ check: 'pdftoppm', status: 'PASS', detail: pdftoppm });
  else rows.push({ check: 'pdftoppm', status: needsPoppler ? 'FAIL' : 'WARN', detail: 'not found', fix: `${POPPLER}${needsPoppler ? ' (scanned PDFs are rendered with it for OCR)' : ''}` });
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
    return tempDirFailure(dir, err);
  }
}

function tempDirFailure(dir: string, err: unknown): CheckResult {
  return { check: 'temp dir', status: 'FAIL', detail: `${dir}: ${errorText(err)}`, fix: 'set TEMP_DIR to a writable directory (systemd: ReadWritePaths=, PrivateTmp=)' };
}

async function diskCheck(deps: PreflightDeps, free: (dir: string) => Promise<number>): Promise<CheckResult> {
  const need = Math.max(2 * deps.maxFileBytes, 256 * MiB);
  const bytes = await free(deps.tempDir);
  const detail = `${formatBytes(bytes)} free in ${deps.tempDir}`;
  if (bytes < need) return { check: 'disk', status: 'FAIL', detail, fix: `free disk space or point TEMP_DIR elsewhere: at least ${formatBytes(need)} (2 × MAX_FILE_SIZE_MB, 256 MiB minimum) is needed for downloads and rendered pages` };
  if (bytes < 2 * GiB) return { check: 'disk', status: 'WARN', detail, fix: 'less than 2 GiB free: large scans render many pages; free space or point TEMP_DIR elsewhere' };
  return { check: 'disk', status: 'PASS', detail };
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

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NoAnswer(`no answer within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function errorText(err: unknown): string {
  if (err instanceof NoAnswer) return err.message;
  const { code, message } = describeError(err);
  return code === ErrorCodes.Internal ? message : `${code}: ${message}`;
}

export function formatBytes(n: number): string {
  if (n >= GiB) return `${(n / GiB).toFixed(1)} GiB`;
  return `${Math.round(n / MiB)} MiB`;
}
