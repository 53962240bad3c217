import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { createEmbeddedRuntime } from '../../src/composition/embedded.js';
import type { Runtime } from '../../src/composition/runtime.js';
import type { Queue, QueueMessage } from '../../src/ports/queue.port.js';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
/**
 * The shared public corpus (never copied into the repo): FILESEARCH_CORPUS, else ../shared/corpus
 * next to the checkout, else the workplace's /work/shared/corpus. Missing → fail loudly, never skip.
 */
export const corpusRoot = ((): string => {
  const candidates = [process.env['FILESEARCH_CORPUS'], path.resolve(repoRoot, '..', 'shared', 'corpus'), '/work/shared/corpus'];
  const found = candidates.find((c): c is string => c !== undefined && fs.existsSync(path.join(c, 'MANIFEST.tsv')));
  if (found === undefined) {
    throw new Error(`the test corpus is missing: looked in ${candidates.filter(Boolean).join(', ')}; set FILESEARCH_CORPUS to the folder holding MANIFEST.tsv`);
  }
  return found;
})();
const bin = path.join(repoRoot, 'bin', 'filesearch.js');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Every CLI process a test started and that still runs. A test that fails half-way (a timeout, an
 * assertion before its own kill) must not leave a long-running `run` behind: files that start
 * long-running workers call `killLeftoverCli` after each test, and the global teardown kills
 * whatever still carries the run's marker (test/support/global-setup.ts).
 */
const live = new Set<ChildProcess>();

/** SIGKILLs the CLI processes this file started that are still running (for afterEach). */
export function killLeftoverCli(): void {
  for (const child of live) child.kill('SIGKILL');
}

/** The real CLI (compiled by `npm test`'s build step), in a private FILESEARCH_HOME. */
export function spawnCli(args: readonly string[], home: string, env: Record<string, string> = {}): ChildProcess {
  if (!fs.existsSync(path.join(repoRoot, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does it) before the integration tests');
  }
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: repoRoot,
    // A free port for /metrics (tests run many workers at once) and no EC2 metadata probing.
    env: { ...process.env, FILESEARCH_HOME: home, LOG_LEVEL: 'warn', TEMP_DIR: path.join(home, 'tmp'), HTTP_PORT: '0', AWS_EC2_METADATA_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export function runCli(args: readonly string[], home: string, env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, home, env);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function tempHome(prefix = 'fs-home-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Opens the same embedded state the CLI uses, to inspect or feed it from a test. */
export function openEmbedded(home: string, env: Record<string, string> = {}): Promise<Runtime> {
  return createEmbeddedRuntime(loadConfig({ env: { FILESEARCH_HOME: home, ...env } }));
}

export interface ManifestRow {
  readonly path: string;
  readonly snippet: string;
  readonly notes: string;
  readonly stretch: boolean;
}

export function manifestRows(folders: readonly string[]): ManifestRow[] {
  const lines = fs.readFileSync(path.join(corpusRoot, 'MANIFEST.tsv'), 'utf8').split('\n').slice(1).filter(Boolean);
  return lines
    .map((line) => line.split('\t'))
    .map((c) => ({ path: c[0] ?? '', snippet: c[7] ?? '', notes: c[8] ?? '', stretch: (c[8] ?? '').startsWith('STRETCH') }))
    .filter((r) => folders.some((f) => r.path.startsWith(`${f}/`)));
}

/** Receives until the queue has nothing visible (for reading a DLQ in a test). */
export async function drainQueue(queue: Pick<Queue, 'receive'>): Promise<QueueMessage[]> {
  const all: QueueMessage[] = [];
  for (let batch = await queue.receive({ maxMessages: 10, waitTimeSeconds: 0 }); batch.length > 0; batch = await queue.receive({ maxMessages: 10, waitTimeSeconds: 0 })) {
    all.push(...batch);
  }
  return all;
}
