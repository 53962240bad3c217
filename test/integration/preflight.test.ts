import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempHome } from '../support/cli.js';
import { awsCliEnv, testServers } from '../support/servers.js';

/**
 * Issue #6, must-show 1: `filesearch preflight` on a machine with Tesseract removed, a bad queue
 * URL, an unreachable index, a read-only temp dir (and a missing bucket, no credentials): each
 * prints the failing row with its fix and exits 1; all good → exit 0. The real CLI throughout,
 * against the real servers (ElasticMQ, moto S3, OpenSearch) in AWS mode.
 */

interface Row {
  readonly check: string;
  readonly status: 'PASS' | 'WARN' | 'FAIL';
  readonly detail: string;
  readonly fix?: string;
  readonly transient?: boolean;
}
interface Report {
  readonly ok: boolean;
  readonly checks: readonly Row[];
}
interface Outcome {
  readonly code: number | null;
  /** The table, as an operator sees it. */
  readonly table: string;
  readonly report: Report;
  row(check: string): Row;
}

/** The table and the --json report of one configuration (run one after the other: they share state). */
async function preflight(home: string, env: Record<string, string> = {}): Promise<Outcome> {
  const text = await runCli(['preflight'], home, env);
  const json = await runCli(['preflight', '--json'], home, env);
  expect(json.code, json.stderr).toBe(text.code);
  const report = JSON.parse(json.stdout) as Report;
  return {
    code: text.code,
    table: text.stdout,
    report,
    row(check) {
      const found = report.checks.find((c) => c.check === check);
      if (found === undefined) throw new Error(`no "${check}" row in ${json.stdout}`);
      return found;
    },
  };
}

/** The printed line of a check: its name, its status, then detail and fix. */
function tableLine(table: string, check: string): string {
  const line = table.split('\n').find((l) => new RegExp(`^${check}\\s{2,}(PASS|WARN|FAIL)\\s`).test(l));
  if (line === undefined) throw new Error(`no "${check}" line in:\n${table}`);
  return line;
}

function expectFailure(outcome: Outcome, check: string, fix: RegExp): Row {
  const row = outcome.row(check);
  expect(row.status, row.detail).toBe('FAIL');
  expect(row.fix).toMatch(fix);
  const line = tableLine(outcome.table, check);
  expect(line).toMatch(/\sFAIL\s/);
  expect(line).toContain(row.fix);
  expect(outcome.table).toMatch(/^FAIL: \d+ check\(s\) failed$/m);
  expect(outcome.report.ok).toBe(false);
  expect(outcome.code).toBe(1);
  return row;
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const isRoot = process.getuid?.() === 0;

describe('filesearch preflight, embedded', () => {
  const home = tempHome('fs-preflight-');
  const readOnly = path.join(home, 'read-only-tmp');

  beforeAll(() => {
    fs.mkdirSync(readOnly);
    // Root writes through mode bits; the immutable attribute stops even root (EPERM).
    if (isRoot) execFileSync('chattr', ['+i', readOnly]);
    else fs.chmodSync(readOnly, 0o555);
  });

  afterAll(() => {
    if (isRoot) execFileSync('chattr', ['-i', readOnly]);
    else fs.chmodSync(readOnly, 0o755);
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('all good: exit 0, no FAIL row, and --json gives {ok, checks: [{check, status, detail, fix?}]}', async () => {
    const outcome = await preflight(home);
    expect(outcome.code, outcome.table).toBe(0);
    expect(outcome.report.ok).toBe(true);
    expect(outcome.report.checks.map((c) => c.check)).toEqual([
      'config', 'queue', 'dead-letter queue', 'index', 'index mapping', 'tesseract', 'pdftotext', 'pdftoppm', 'temp dir', 'disk', 'memory',
    ]);
    for (const c of outcome.report.checks) {
      expect(Object.keys(c).every((k) => ['check', 'status', 'detail', 'fix', 'transient'].includes(k)), JSON.stringify(c)).toBe(true);
      expect(typeof c.detail).toBe('string');
      // Disk and memory may warn on a small machine; everything else is there.
      if (['disk', 'memory'].includes(c.check)) expect(c.status, `${c.check}: ${c.detail}`).not.toBe('FAIL');
      else expect(c.status, `${c.check}: ${c.detail}`).toBe('PASS');
      if (c.status === 'WARN') expect(c.fix).toBeTruthy();
    }
    expect(outcome.table).toMatch(/^ready( \(\d warning\(s\)\))?$/m);
  });

  it('Tesseract removed: the tesseract row fails with the apt-get fix; with OCR=off it passes', async () => {
    // A PATH with poppler's tools but no tesseract (the CLI is started with node's own path).
    const bin = path.join(home, 'bin-without-tesseract');
    fs.mkdirSync(bin);
    for (const tool of ['pdftoppm', 'pdftotext']) {
      fs.symlinkSync(execFileSync('which', [tool], { encoding: 'utf8' }).trim(), path.join(bin, tool));
    }
    const removed = await preflight(home, { PATH: bin });
    const row = expectFailure(removed, 'tesseract', /apt-get install tesseract-ocr tesseract-ocr-jpn .*OCR=off/);
    expect(row.detail).toMatch(/not installed/);
    expect(removed.row('pdftotext').status).toBe('PASS');
    expect(removed.row('pdftoppm').status).toBe('PASS');
    expect(removed.report.checks.filter((c) => c.status === 'FAIL').map((c) => c.check)).toEqual(['tesseract']);

    const off = await preflight(home, { PATH: bin, OCR: 'off' });
    expect(off.row('tesseract')).toMatchObject({ status: 'PASS', detail: expect.stringMatching(/OCR=off/) });
    expect(off.code, off.table).toBe(0);
  });

  it('a read-only temp dir: the temp dir row fails with the fix', async () => {
    expect(() => fs.writeFileSync(path.join(readOnly, 'probe'), 'x'), 'the directory must refuse writes').toThrow();
    const outcome = await preflight(home, { TEMP_DIR: readOnly });
    const row = expectFailure(outcome, 'temp dir', /set TEMP_DIR to a writable directory/);
    expect(row.detail).toMatch(/EPERM|EACCES/);
    expect(fs.readdirSync(readOnly)).toEqual([]);
  });

  it('a FILESEARCH_HOME it cannot create: a state row with the fix instead of a bare error', async () => {
    const outcome = await preflight(path.join(readOnly, 'state'), { TEMP_DIR: path.join(home, 'tmp') });
    expectFailure(outcome, 'state', /FILESEARCH_HOME \(--home\) must be a writable directory/);
    expect(outcome.row('tesseract').status).toBe('PASS');
  });
});

describe('filesearch preflight, AWS mode on the real servers', () => {
  const servers = testServers();
  const run = `preflight-${Date.now().toString(36)}-${process.pid}`;
  const home = tempHome('fs-preflight-aws-');
  const clientConfig = { region: servers.region, credentials: servers.credentials };
  const sqs = new SQSClient({ ...clientConfig, endpoint: servers.sqs.elasticmq });
  const s3 = new S3Client({ ...clientConfig, endpoint: servers.s3, forcePathStyle: true });
  const opensearch = new Client({ node: servers.opensearch });
  let env: Record<string, string> = {};

  beforeAll(async () => {
    const main = await sqs.send(new CreateQueueCommand({ QueueName: run }));
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${run}-dlq` }));
    await s3.send(new CreateBucketCommand({ Bucket: run }));
    env = { ...awsCliEnv(servers, { queueUrl: main.QueueUrl, dlqUrl: dlq.QueueUrl, index: run }), S3_BUCKET: run };
  });

  afterAll(async () => {
    await opensearch.indices.delete({ index: run }).catch(() => undefined);
    await opensearch.close();
    sqs.destroy();
    s3.destroy();
    fs.rmSync(home, { recursive: true, force: true });
  });

  const remoteRows = ['credentials', 'queue', 'dead-letter queue', 'bucket', 'index', 'index mapping'];

  it('all good: exit 0 with credentials, queue, DLQ, bucket, index and mapping passing', async () => {
    const outcome = await preflight(home, env);
    expect(outcome.code, outcome.table).toBe(0);
    for (const check of remoteRows) expect(outcome.row(check).status, `${check}: ${outcome.row(check).detail}`).toBe('PASS');
    expect(outcome.row('queue').detail).toContain(run);
    expect(outcome.report.checks.filter((c) => c.status === 'FAIL')).toEqual([]);
    // The mapping check created the index, as `run` would.
    expect((await opensearch.indices.exists({ index: run })).body).toBe(true);
  });

  it('a queue URL naming no queue on the server: the queue row fails, naming SQS_QUEUE_URL', async () => {
    const missing = env['SQS_QUEUE_URL']?.replace(/[^/]+$/, `nope-${run}`) ?? '';
    const outcome = await preflight(home, { ...env, SQS_QUEUE_URL: missing });
    const row = expectFailure(outcome, 'queue', /SQS_QUEUE_URL/);
    expect(row.detail).toMatch(/does not exist/);
    expect(row.transient, 'a wrong URL will not fix itself: `run` must refuse to start').toBeUndefined();
    expect(outcome.row('dead-letter queue').status).toBe('PASS');
  });

  it('a bucket that does not exist: the bucket row fails, naming S3_BUCKET', async () => {
    const outcome = await preflight(home, { ...env, S3_BUCKET: `nope-${run}` });
    const row = expectFailure(outcome, 'bucket', /S3_BUCKET/);
    expect(row.detail).toMatch(/bucket_not_found/);
    expect(outcome.row('queue').status).toBe('PASS');
  });

  it('an index on a closed port: the index row fails as transient, naming OPENSEARCH_ENDPOINT', { timeout: 30_000 }, async () => {
    const outcome = await preflight(home, { ...env, OPENSEARCH_ENDPOINT: `http://127.0.0.1:${await closedPort()}` });
    const row = expectFailure(outcome, 'index', /OPENSEARCH_ENDPOINT/);
    expect(row.transient).toBe(true);
    expect(outcome.report.checks.map((c) => c.check)).not.toContain('index mapping');
  });

  it('an index that accepts connections and never answers: the row fails within the check timeout, no hang', { timeout: 30_000 }, async () => {
    // The clients would wait for this request for minutes (their own timeouts and retries); the
    // test timeout is the assertion that the command does not.
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as net.AddressInfo;
      const r = await runCli(['preflight', '--json'], home, { ...env, OPENSEARCH_ENDPOINT: `http://127.0.0.1:${port}` });
      expect(r.code, r.stderr).toBe(1);
      const row = (JSON.parse(r.stdout) as Report).checks.find((c) => c.check === 'index');
      expect(row).toMatchObject({ status: 'FAIL', detail: expect.stringMatching(/no answer within 10 s|Request timed out/), transient: true, fix: expect.stringContaining('OPENSEARCH_ENDPOINT') });
      expect(sockets.size, 'the request did reach the silent server').toBeGreaterThan(0);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('no credentials anywhere in the chain: the credentials row fails, and the AWS rows point at it', async () => {
    const none = { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SESSION_TOKEN: '', AWS_PROFILE: '', AWS_WEB_IDENTITY_TOKEN_FILE: '', AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '', AWS_CONTAINER_CREDENTIALS_FULL_URI: '', AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none'), AWS_CONFIG_FILE: path.join(home, 'none') };
    const outcome = await preflight(home, { ...env, ...none });
    expectFailure(outcome, 'credentials', /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
    for (const check of ['queue', 'dead-letter queue', 'bucket']) expect(outcome.row(check)).toMatchObject({ status: 'FAIL', fix: 'fix the credentials first (see the credentials row)' });
  });
});
