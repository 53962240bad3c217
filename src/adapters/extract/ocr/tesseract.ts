import { execFile } from 'node:child_process';
import { childEnvironment } from '../../../config/child-environment.js';
import { ErrorCodes, FatalError, PermanentError, TransientError } from '../../../domain/errors.js';
import { runTool, stderrTail, type Deadline, type ExitClassifier } from './run-tool.js';
import { parseTesseractTsv, type OcrText } from './tsv.js';

export interface OcrCapabilities {
  /** True when the binary runs and lists at least one language. */
  readonly available: boolean;
  readonly path: string;
  /** `5.3.0`, when the binary answered. */
  readonly version?: string;
  /** Installed traineddata (`eng`, `jpn`, `jpn_vert`, `osd`, …). */
  readonly languages: readonly string[];
  /** Why OCR is unavailable. */
  readonly reason?: string;
}

const probes = new Map<string, Promise<OcrCapabilities>>();

function probe(file: string, args: string[]): Promise<{ ok: boolean; missing: boolean; output: string; error?: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: 'utf8', timeout: 15_000, killSignal: 'SIGKILL', windowsHide: true }, (err, stdout, stderr) => {
      // Tesseract 4 prints both answers on stderr, tesseract 5 on stdout.
      const output = `${stdout}\n${stderr}`;
      if (err === null) resolve({ ok: true, missing: false, output });
      else resolve({ ok: false, missing: err.code === 'ENOENT', output, error: stderrTail(stderr, err.message) });
    });
  });
}

async function detect(tesseractPath: string): Promise<OcrCapabilities> {
  const version = await probe(tesseractPath, ['--version']);
  if (version.missing) return { available: false, path: tesseractPath, languages: [], reason: `${tesseractPath} is not installed` };
  if (!version.ok) return { available: false, path: tesseractPath, languages: [], reason: `${tesseractPath} --version failed: ${version.error}` };
  const v = /tesseract\s+v?(\d+\.\d+[^\s]*)/i.exec(version.output)?.[1];
  const base = { path: tesseractPath, ...(v === undefined ? {} : { version: v }) };
  const list = await probe(tesseractPath, ['--list-langs']);
  const languages = list.output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[A-Za-z0-9_-]+$/.test(l))
    .sort();
  if (!list.ok || languages.length === 0) {
    return { ...base, available: false, languages, reason: `no tesseract language data found${list.error ? `: ${list.error}` : ''}` };
  }
  return { ...base, available: true, languages };
}

/**
 * What the tesseract at this path can do: `--version` and `--list-langs`, run once per path and
 * cached for the life of the process. Never throws; `available: false` carries the reason.
 */
export function detectOcrCapabilities(tesseractPath = 'tesseract'): Promise<OcrCapabilities> {
  let found = probes.get(tesseractPath);
  if (found === undefined) {
    found = detect(tesseractPath);
    probes.set(tesseractPath, found);
  }
  return found;
}

export interface TesseractRequest {
  readonly image: string;
  /** `jpn+eng` */
  readonly languages: string;
  /** Page segmentation mode: 1 = automatic with orientation detection, 3 = automatic. */
  readonly psm: number;
  /** Only when the caller knows the resolution (a rendered page); else tesseract reads or estimates it. */
  readonly dpi?: number;
  readonly deadline: Deadline;
  readonly signal?: AbortSignal;
  readonly maxBuffer: number;
  /** OpenMP threads per tesseract process. */
  readonly threads: number;
}

// Leptonica could not decode the image, or tesseract found no page in it.
const UNREADABLE = /pix not read|no pix returned|cannot be read|error during processing|unsupported image|read error|bad data/i;
const NO_LANGUAGE = /failed loading language|couldn't load any languages/i;

const classifyTesseractExit: ExitClassifier = (tool, code, stderr, cause) => {
  const message = `${tool}: ${stderrTail(stderr, `exit ${code}`)}`;
  const options = { cause, details: { tool, exitCode: code, stderr: stderr.slice(-2000) } };
  if (NO_LANGUAGE.test(stderr)) return new FatalError(ErrorCodes.DependencyMissing, message, options);
  if (UNREADABLE.test(stderr)) return new PermanentError(ErrorCodes.CorruptFile, message, options);
  return new TransientError(ErrorCodes.ExtractionFailed, message, options);
};

/** Path arguments that cannot be read as options (`-x.png`) nor as tesseract's `stdin`/`-`. */
export const safePathArg = (file: string): string => (file.startsWith('/') || file.startsWith('./') ? file : `./${file}`);

/** One tesseract run; TSV on stdout (for word confidences and boxes), parsed into text. */
export async function runTesseract(tesseractPath: string, request: TesseractRequest): Promise<OcrText & { stderr: string }> {
  const args = [safePathArg(request.image), 'stdout', '-l', request.languages, '--psm', String(request.psm)];
  if (request.dpi !== undefined) args.push('--dpi', String(request.dpi));
  args.push('tsv');
  // One OpenMP thread per process: the worker runs a file per core already, and on 2 cores the
  // default thread pool made one page 2.4x slower (10.2 s vs 4.3 s, NDL 3048008). Passing the
  // inherited environment on to the child is not reading configuration.
  const env = childEnvironment({ OMP_THREAD_LIMIT: String(request.threads) });
  const out = await runTool(tesseractPath, args, { ...request, env }, classifyTesseractExit);
  return { ...parseTesseractTsv(out.stdout), stderr: out.stderr };
}
