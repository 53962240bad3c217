import { execFile, type ExecFileException } from 'node:child_process';
import path from 'node:path';
import { ErrorCodes, FatalError, PermanentError, TransientError, type FilesearchError } from '../../../domain/errors.js';

/** One file's time budget: every child process gets what is left of it, never more. */
export class Deadline {
  private readonly at: number;

  constructor(readonly budgetMs: number, startedAt = performance.now()) {
    this.at = startedAt + budgetMs;
  }

  remaining(): number {
    return Math.max(0, Math.floor(this.at - performance.now()));
  }

  /** Throws `extraction_timeout` when nothing is left, and the shutdown error when aborted. */
  check(what: string, signal?: AbortSignal): number {
    if (signal?.aborted === true) throw new TransientError(ErrorCodes.ExtractionFailed, `${what} aborted`, { cause: signal.reason });
    const left = this.remaining();
    if (left <= 0) throw new PermanentError(ErrorCodes.ExtractionTimeout, `${what}: the ${this.budgetMs} ms budget is spent`);
    return left;
  }
}

export interface RunToolOptions {
  readonly deadline: Deadline;
  readonly signal?: AbortSignal;
  readonly maxBuffer: number;
  readonly env?: NodeJS.ProcessEnv;
}

export interface ToolOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/** Turns a tool's own failure (it ran and exited non-zero) into our error; the rest is generic. */
export type ExitClassifier = (tool: string, code: number | null, stderr: string, cause: ExecFileException) => FilesearchError;

/** The last lines of stderr, for messages. */
export const stderrTail = (stderr: string, fallback: string): string =>
  stderr.trim().split('\n').slice(-3).join(' | ') || fallback;

/**
 * Runs a tool without a shell. Killed with SIGKILL when the deadline passes (permanent
 * `extraction_timeout`) or the signal aborts (transient: the worker is shutting down and the file
 * deserves another try elsewhere).
 */
export function runTool(file: string, args: readonly string[], options: RunToolOptions, classifyExit: ExitClassifier): Promise<ToolOutput> {
  const tool = path.basename(file);
  const timeout = options.deadline.check(tool, options.signal);
  return new Promise((resolve, reject) => {
    const execOptions = {
      encoding: 'utf8' as const,
      timeout,
      killSignal: 'SIGKILL' as const,
      maxBuffer: options.maxBuffer,
      windowsHide: true,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.env === undefined ? {} : { env: options.env }),
    };
    execFile(file, [...args], execOptions, (err, stdout, stderr) => {
      if (err === null) resolve({ stdout, stderr });
      else reject(classify(tool, err, stderr, options, classifyExit));
    });
  });
}

function classify(tool: string, err: ExecFileException, stderr: string, options: RunToolOptions, classifyExit: ExitClassifier): FilesearchError {
  const details = { tool, exitCode: err.code, signal: err.signal, stderr: stderr.slice(-2000) };
  const opts = { cause: err, details };
  if (err.code === 'ENOENT') return new FatalError(ErrorCodes.DependencyMissing, `${tool} is not installed`, opts);
  if (options.signal?.aborted === true) return new TransientError(ErrorCodes.ExtractionFailed, `${tool} aborted`, opts);
  if (err.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
    return new PermanentError(ErrorCodes.TooLarge, `${tool}: output exceeds ${options.maxBuffer} bytes`, opts);
  }
  // Node sets `killed` only when it sent the signal itself: abort and maxBuffer are handled above.
  if (err.killed === true) {
    return new PermanentError(ErrorCodes.ExtractionTimeout, `${tool} timed out (file budget ${options.deadline.budgetMs} ms)`, opts);
  }
  if (typeof err.code === 'number') return classifyExit(tool, err.code, stderr, err);
  // Killed by a signal we did not send (OOM killer, crash): maybe this file, maybe the machine.
  return new TransientError(ErrorCodes.ExtractionFailed, `${tool}: ${stderrTail(stderr, err.message)}`, opts);
}
