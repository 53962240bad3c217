import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, FatalError, TransientError } from '../../../domain/errors.js';
import type { ExtractionSettings } from '../../../ports/extractor.port.js';
import type { ChildMessage, JobInput, JobResult, ParentMessage } from './protocol.js';

const ENTRY = 'extract-child.js';
const STDERR_TAIL = 8_192;

/**
 * The compiled child entry next to this module. From TypeScript sources (vitest), the compiled
 * one in dist/: a child must be plain Node, and the worker's own children never run from sources.
 */
export function resolveChildEntry(moduleUrl: string = import.meta.url): string {
  const here = fileURLToPath(moduleUrl);
  if (!here.endsWith('.ts')) return path.join(path.dirname(here), ENTRY);
  const repoRoot = path.resolve(path.dirname(here), '..', '..', '..', '..');
  const entry = path.join(repoRoot, 'dist', 'adapters', 'extract', 'pool', ENTRY);
  if (!fs.existsSync(entry)) {
    throw new FatalError(ErrorCodes.DependencyMissing, `the extraction child ${path.relative(repoRoot, entry)} is missing: run npm run build`);
  }
  return entry;
}

/**
 * Every live child's process group, so that an exiting worker takes them down: 'exit' handlers
 * must be synchronous, and process.kill is. (A worker killed with SIGKILL runs no handler; its
 * children notice their IPC channel closing and kill their own group.)
 */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone.
  }
}

function track(pid: number): void {
  if (!exitHookInstalled) {
    process.on('exit', () => liveGroups.forEach(killGroup));
    exitHookInstalled = true;
  }
  liveGroups.add(pid);
}

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** False when it died before building its extractors (a broken install, not a bad file). */
  readonly ready: boolean;
  readonly stderr: string;
}

export interface PoolChildOptions {
  readonly entry: string;
  readonly settings: ExtractionSettings;
  readonly memoryMb: number;
  readonly onResult: (child: PoolChild, result: JobResult) => void;
  readonly onExit: (child: PoolChild, exit: ChildExit) => void;
}

/** One extraction child process: the leader of its own process group, so a kill takes its tools too. */
export class PoolChild {
  readonly pid: number;
  /** Resolves once the process has exited and been reaped. */
  readonly exited: Promise<void>;
  jobs = 0;
  private ready = false;
  private stderrTail = '';
  private readonly process: ChildProcess;

  constructor(options: PoolChildOptions) {
    this.process = fork(options.entry, [], {
      detached: true,
      execArgv: [`--max-old-space-size=${options.memoryMb}`],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    // Spawn failures arrive as 'error' (and sends to a dead child fail the same way); 'exit' decides.
    this.process.on('error', () => undefined);
    if (this.process.pid === undefined) {
      throw new TransientError(ErrorCodes.Internal, 'could not start an extraction child process');
    }
    this.pid = this.process.pid;
    track(this.pid);
    this.process.stderr?.setEncoding('utf8');
    this.process.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL);
    });
    this.process.on('message', (message: ChildMessage) => {
      if (message.kind === 'ready') this.ready = true;
      else options.onResult(this, message);
    });
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => {
        // The child is gone, its tools may not be (an OOM mid-pdftotext): take the group down.
        killGroup(this.pid);
        liveGroups.delete(this.pid);
        options.onExit(this, { code, signal, ready: this.ready, stderr: this.stderrTail.trim() });
        resolve();
      });
    });
    this.post({ kind: 'init', settings: options.settings });
    this.idle();
  }

  run(id: number, input: JobInput): void {
    // A job in flight keeps the worker's event loop alive; an idle pool does not.
    this.process.ref();
    this.process.channel?.ref();
    this.post({ kind: 'job', id, input });
  }

  idle(): void {
    this.process.unref();
    this.process.channel?.unref();
    (this.process.stderr as { unref?: () => void } | null)?.unref?.();
  }

  /** SIGKILL the whole process group: the child and whatever it started (pdftotext, tesseract…). */
  kill(): void {
    // Referenced again so the exit is observed (and reaped) even if nothing else keeps the loop alive.
    this.process.ref();
    killGroup(this.pid);
  }

  private post(message: ParentMessage): void {
    if (!this.process.connected) return;
    // A send to a child that just died fails; its 'exit' event settles the job.
    this.process.send(message, (err) => void err);
  }
}
