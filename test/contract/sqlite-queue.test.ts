import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  closeQueueDatabase,
  DeadLetterSourceQueueAttribute,
  MessageNotInflightCode,
  openQueueDatabase,
  SqliteQueue,
  type QueueDatabase,
} from '../../src/adapters/embedded/sqlite-queue.js';
import { ErrorCodes, isTransientError } from '../../src/domain/errors.js';
import { describeQueueContract, type QueueFixture } from './queue.contract.js';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const QUEUE_MODULE = join(PROJECT_ROOT, 'src/adapters/embedded/sqlite-queue.ts');

/** A queue and its DLQ on a fresh file, with a fake clock that only `elapse` moves. */
function embeddedFixture(dir: string): QueueFixture & { db: QueueDatabase; clock: { now(): number } } {
  let now = Date.UTC(2024, 0, 1);
  const clock = { now: () => now };
  const db = openQueueDatabase(join(dir, 'queue.db'));
  const common = { db, visibilityTimeoutSeconds: 30, clock, pollIntervalMs: 20 };
  const queue = new SqliteQueue({ ...common, name: 'jobs', redrive: { deadLetterQueue: 'jobs-dlq', maxReceiveCount: 3 } });
  const dlq = new SqliteQueue({ ...common, name: 'jobs-dlq' });
  return {
    db,
    clock,
    queue,
    dlq,
    maxReceiveCount: 3,
    visibilityTimeoutSeconds: 30,
    supportsArbitraryStrings: true,
    elapse: async (seconds) => {
      now += seconds * 1000;
    },
    close: async () => {
      await queue.close();
      await dlq.close();
      closeQueueDatabase(db);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'sqlite-queue-'));

describeQueueContract('SqliteQueue', async () => embeddedFixture(tempDir()));

describe('SqliteQueue (embedded specifics)', () => {
  let fx: ReturnType<typeof embeddedFixture>;
  let dir: string;

  beforeEach(() => {
    dir = tempDir();
    fx = embeddedFixture(dir);
  });

  afterEach(async () => {
    await fx.close();
  });

  it('keeps sent messages across closing and reopening the file', async () => {
    const { id } = await fx.queue.send({ body: 'survives', attributes: { a: '1' } });
    closeQueueDatabase(fx.db);

    const db = openQueueDatabase(join(dir, 'queue.db'));
    try {
      const reopened = new SqliteQueue({ db, name: 'jobs', visibilityTimeoutSeconds: 30, clock: fx.clock });
      const received = await reopened.receive({ maxMessages: 10, waitTimeSeconds: 0 });
      expect(received.map((m) => [m.id, m.body, m.attributes])).toEqual([[id, 'survives', { a: '1' }]]);
    } finally {
      closeQueueDatabase(db);
    }
  });

  it('hands each message to exactly one of two processes receiving from the same file', async () => {
    const sent = new Set<string>();
    for (let i = 0; i < 50; i += 1) sent.add((await fx.queue.send({ body: `race-${i}` })).id);
    const moduleUrl = pathToFileURL(transpileForNode(QUEUE_MODULE, join(dir, 'build'))).href;

    const receivers = [0, 1].map(() => startReceiver(moduleUrl, join(dir, 'queue.db')));
    await Promise.all(receivers.map((r) => r.ready));
    // Both have opened the file before either starts, so their receives really overlap.
    for (const r of receivers) r.go();
    const received = (await Promise.all(receivers.map((r) => r.done))).flat();

    expect(received).toHaveLength(50);
    expect(new Set(received)).toEqual(sent);
  });

  it('receives only the messages of its own queue name', async () => {
    const other = new SqliteQueue({ db: fx.db, name: 'other', visibilityTimeoutSeconds: 30, clock: fx.clock });
    const mine = await fx.queue.send({ body: 'mine' });
    await other.send({ body: 'theirs' });

    const received = await fx.queue.receive({ maxMessages: 10, waitTimeSeconds: 0 });
    expect(received.map((m) => m.id)).toEqual([mine.id]);
    expect(await fx.queue.depth()).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
    expect(await other.depth()).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
  });

  it('fills each receive up to maxMessages, oldest first', async () => {
    for (let i = 0; i < 15; i += 1) await fx.queue.send({ body: `m-${i}` });
    const first = await fx.queue.receive({ maxMessages: 10, waitTimeSeconds: 0 });
    const second = await fx.queue.receive({ maxMessages: 10, waitTimeSeconds: 0 });
    expect(first.map((m) => m.body)).toEqual(Array.from({ length: 10 }, (_, i) => `m-${i}`));
    expect(second.map((m) => m.body)).toEqual(Array.from({ length: 5 }, (_, i) => `m-${i + 10}`));
  });

  it('marks dead-lettered messages with their source queue, keeping an existing mark and the id', async () => {
    const plain = await fx.queue.send({ body: 'plain' });
    const marked = await fx.queue.send({ body: 'marked', attributes: { [DeadLetterSourceQueueAttribute]: 'upstream' } });
    for (let i = 0; i < 3; i += 1) {
      expect(await fx.queue.receive({ maxMessages: 10, waitTimeSeconds: 0, visibilityTimeoutSeconds: 1 })).toHaveLength(2);
      await fx.elapse(2);
    }
    // Both are moved on this attempt, so nothing is delivered.
    expect(await fx.queue.receive({ maxMessages: 10, waitTimeSeconds: 0 })).toEqual([]);

    const dead = await fx.dlq.receive({ maxMessages: 10, waitTimeSeconds: 0 });
    expect(dead.map((m) => [m.id, m.receiveCount, m.attributes[DeadLetterSourceQueueAttribute]])).toEqual([
      [plain.id, 1, 'jobs'],
      [marked.id, 1, 'upstream'],
    ]);
  });

  it('moves an exhausted message and still delivers the next ones in the same receive', async () => {
    const exhausted = await fx.queue.send({ body: 'exhausted' });
    for (let i = 0; i < 3; i += 1) {
      await fx.queue.receive({ maxMessages: 1, waitTimeSeconds: 0, visibilityTimeoutSeconds: 1 });
      await fx.elapse(2);
    }
    const fresh = await fx.queue.send({ body: 'fresh' });
    const received = await fx.queue.receive({ maxMessages: 1, waitTimeSeconds: 0 });
    expect(received.map((m) => m.id)).toEqual([fresh.id]);
    expect((await fx.dlq.receive({ maxMessages: 10, waitTimeSeconds: 0 })).map((m) => m.id)).toEqual([exhausted.id]);
  });

  it('reports per-entry failures for stale handles and messages not in flight, and deletes idempotently', async () => {
    const { id } = await fx.queue.send({ body: 'x' });
    const [first] = await fx.queue.receive({ maxMessages: 1, waitTimeSeconds: 0, visibilityTimeoutSeconds: 1 });
    await fx.elapse(2);
    const notInFlight = await fx.queue.changeVisibilityBatch([
      { id, receiptHandle: first?.receiptHandle ?? '', visibilityTimeoutSeconds: 10 },
    ]);
    expect(notInFlight.failed.map((f) => [f.id, f.code, f.retryable])).toEqual([[id, MessageNotInflightCode, false]]);

    const [second] = await fx.queue.receive({ maxMessages: 1, waitTimeSeconds: 0 });
    const stale = await fx.queue.changeVisibilityBatch([
      { id, receiptHandle: first?.receiptHandle ?? '', visibilityTimeoutSeconds: 0 },
    ]);
    expect(stale.failed.map((f) => [f.id, f.code, f.retryable])).toEqual([[id, ErrorCodes.ReceiptHandleInvalid, false]]);

    const current = { id, receiptHandle: second?.receiptHandle ?? '' };
    expect(await fx.queue.deleteBatch([current])).toEqual({ successful: [id], failed: [] });
    expect(await fx.queue.deleteBatch([current])).toEqual({ successful: [id], failed: [] });
  });

  it('rejects programmer errors with a TypeError', async () => {
    await expect(fx.queue.receive({ maxMessages: 0, waitTimeSeconds: 0 })).rejects.toBeInstanceOf(TypeError);
    await expect(fx.queue.receive({ maxMessages: 11, waitTimeSeconds: 0 })).rejects.toBeInstanceOf(TypeError);
    await expect(fx.queue.send({ body: 'x', delaySeconds: 901 })).rejects.toBeInstanceOf(TypeError);
  });

  it('turns a busy database into a transient queue_unavailable error', async () => {
    fx.db.pragma('busy_timeout = 50');
    const holder = new Database(join(dir, 'queue.db'));
    holder.exec('BEGIN IMMEDIATE');
    try {
      const error: unknown = await fx.queue.send({ body: 'blocked' }).catch((err: unknown) => err);
      expect(isTransientError(error)).toBe(true);
      expect(error).toMatchObject({ code: ErrorCodes.QueueUnavailable, cause: { code: 'SQLITE_BUSY' } });
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  });

  it('ends a pending long poll with [] on close, and closes idempotently', async () => {
    const pending = fx.queue.receive({ maxMessages: 10, waitTimeSeconds: 20 });
    const started = performance.now();
    await fx.queue.close();
    await fx.queue.close();
    await expect(pending).resolves.toEqual([]);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

/**
 * Transpiles a module and its relative imports into `outDir` so that a plain `node` child can
 * load it: the race needs real processes, since one JS thread can never interleave two
 * transactions. node_modules is linked so that better-sqlite3 resolves from there.
 */
function transpileForNode(entry: string, outDir: string): string {
  const pending = [entry];
  const seen = new Set<string>();
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    const { outputText } = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    const target = join(outDir, relative(PROJECT_ROOT, file).replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
    for (const imported of ts.preProcessFile(source).importedFiles) {
      if (imported.fileName.startsWith('.')) pending.push(resolve(dirname(file), imported.fileName.replace(/\.js$/, '.ts')));
    }
  }
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(outDir, 'node_modules'), 'dir');
  return join(outDir, relative(PROJECT_ROOT, entry).replace(/\.ts$/, '.js'));
}

// Opens its own connection, says "ready", waits for a line on stdin, then drains the queue
// and prints the ids it received as JSON.
const RECEIVER = `
const [moduleUrl, dbPath] = process.argv.slice(1);
const { openQueueDatabase, SqliteQueue } = await import(moduleUrl);
const db = openQueueDatabase(dbPath);
const queue = new SqliteQueue({ db, name: 'jobs', visibilityTimeoutSeconds: 600 });
process.stdout.write('ready\\n');
await new Promise((go) => process.stdin.once('data', go));
const ids = [];
for (let empty = 0; empty < 3; ) {
  const got = await queue.receive({ maxMessages: 1 + (ids.length % 3), waitTimeSeconds: 0 });
  empty = got.length === 0 ? empty + 1 : 0;
  ids.push(...got.map((m) => m.id));
}
db.close();
process.stdout.write(JSON.stringify(ids) + '\\n');
`;

function startReceiver(moduleUrl: string, dbPath: string) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', RECEIVER, moduleUrl, dbPath]);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<string[]>((resolveDone, reject) => {
    child.on('close', (code) => {
      const lines = stdout.trim().split('\n');
      if (code === 0 && lines[0] === 'ready') resolveDone(JSON.parse(lines[1] ?? '[]') as string[]);
      else reject(new Error(`receiver exited with ${code}: ${stderr}`));
    });
  });
  const ready = new Promise<void>((resolveReady, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.startsWith('ready\n')) resolveReady();
    });
    done.catch(reject);
  });
  return { ready, done, go: () => child.stdin.end('go\n') };
}
