import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, describe, expect, it } from 'vitest';
import { SqsQueue } from '../../src/adapters/aws/sqs-queue.js';
import type { RedriveSummary } from '../../src/app/redrive-dlq.js';
import type { SendOptions } from '../../src/ports/queue.port.js';
import { drainQueue, runCli, tempHome } from '../support/cli.js';
import { testServers } from '../support/servers.js';

/**
 * `filesearch dlq redrive` in AWS mode through the real CLI. ElasticMQ 1.7.1 implements
 * StartMessageMoveTask / ListMessageMoveTasks: an unfiltered redrive is one server-side move
 * (bodies byte for byte, the DLQ attributes kept, as only a server-side move keeps them), while a
 * filtered one or `--no-move-task` receives, sends and deletes. moto 5.2.5 lacks the actions
 * (HTTP 500, NotImplementedError), so there the CLI falls back and says why.
 */
describe('dlq redrive with an SQS message move task (real CLI, AWS mode)', () => {
  const servers = testServers();
  const opensearch = new Client({ node: servers.opensearch });
  const clients: SQSClient[] = [];
  const cleanup: Array<() => Promise<unknown>> = [];

  afterAll(async () => {
    await Promise.allSettled(cleanup.map((c) => c()));
    for (const c of clients) c.destroy();
    await opensearch.close();
  });

  const dead = (reason: string): Record<string, string> => ({ reason, errorType: 'permanent', stage: 'fetch', attempts: '1', sourceQueue: 'main' });
  // Bodies the move must keep byte for byte: JSON, Japanese with CRLF and tabs, surrogate pairs,
  // surrounding blanks, a malformed event, and one of ~120 KB (a single SQS batch holds 256 KiB).
  const awkward = [
    JSON.stringify({ Records: [{ s3: { bucket: { name: 'inbox' }, object: { key: '%E8%A6%8B%E7%A9%8D+2026.pdf' } } }] }),
    '見積書\u3000第２版\r\n\t改訂済み',
    '😀 emoji \uD83D\uDE80 and \u00e9\u0301',
    '  leading and trailing blanks  \n',
    '{"Records": [',
    'あ'.repeat(40_000),
  ];

  /** A main queue whose RedrivePolicy names the DLQ (as deployed), on one server, with unique names. */
  async function setUp(endpoint: string) {
    const sqs = new SQSClient({ region: servers.region, credentials: servers.credentials, endpoint, maxAttempts: 1 });
    clients.push(sqs);
    const name = `dlq-move-${randomUUID().slice(0, 8)}`;
    const arnOf = async (url: string) => (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes?.['QueueArn'] ?? '';
    const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }))).QueueUrl ?? '';
    const dlqArn = await arnOf(dlqUrl);
    const mainUrl =
      (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) } })))
        .QueueUrl ?? '';
    cleanup.push(() => sqs.send(new DeleteQueueCommand({ QueueUrl: mainUrl })), () => sqs.send(new DeleteQueueCommand({ QueueUrl: dlqUrl })));
    cleanup.push(() => opensearch.indices.delete({ index: name }).catch(() => undefined));
    const env = {
      AWS_REGION: servers.region,
      AWS_ACCESS_KEY_ID: servers.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: servers.credentials.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
      SQS_QUEUE_URL: mainUrl,
      DLQ_QUEUE_URL: dlqUrl,
      SQS_ENDPOINT: endpoint,
      SQS_WAIT_TIME: '1',
      S3_ENDPOINT: servers.s3,
      S3_FORCE_PATH_STYLE: 'true',
      OPENSEARCH_ENDPOINT: servers.opensearch,
      OPENSEARCH_INDEX: name,
    };
    const home = tempHome('fs-dlq-move-');
    return {
      sqs,
      main: new SqsQueue({ client: sqs, queueUrl: mainUrl }),
      dlq: new SqsQueue({ client: sqs, queueUrl: dlqUrl }),
      mainUrl,
      mainArn: await arnOf(mainUrl),
      dlqArn,
      redrive: async (...args: string[]) => runCli(['dlq', 'redrive', ...args], home, env),
      moveTasks: async () => (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }))).Results ?? [],
    };
  }

  type Setup = Awaited<ReturnType<typeof setUp>>;

  /** Dead-letters `bodies` the way the worker does (a send with its attributes), and `viaPolicy` through the queue's own RedrivePolicy. */
  async function deadLetter(q: Setup, bodies: readonly SendOptions[], viaPolicy: readonly string[] = []): Promise<void> {
    const sent = await q.dlq.sendBatch(bodies);
    expect(sent.failed).toEqual([]);
    for (const body of viaPolicy) await q.main.send({ body });
    // maxReceiveCount 1: the first receive counts, the next one moves each message to the DLQ.
    for (let i = 0; i < 2; i += 1) await q.sqs.send(new ReceiveMessageCommand({ QueueUrl: q.mainUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
    expect(await q.dlq.depth()).toEqual({ visible: bodies.length + viaPolicy.length, inFlight: 0, delayed: 0 });
    expect(await q.main.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  }

  function summaryOf(result: { code: number | null; stdout: string; stderr: string }): RedriveSummary {
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as RedriveSummary;
  }

  it('ElasticMQ: an unfiltered redrive is one StartMessageMoveTask to the main queue, every body byte for byte', async () => {
    const q = await setUp(servers.sqs.elasticmq);
    const direct = [...awkward, ...Array.from({ length: 6 }, (_, i) => JSON.stringify({ bucket: 'inbox', key: `k${i}.txt` }))];
    const viaPolicy = ['{"bucket":"inbox","key":"receives ran out.txt"}', '{"bucket":"inbox","key":"again.txt"}'];
    await deadLetter(q, direct.map((body) => ({ body, attributes: dead('object_not_found') })), viaPolicy);
    const all = [...direct, ...viaPolicy];

    const summary = summaryOf(await q.redrive('--rate', '100', '--json'));
    expect(summary).toMatchObject({ dryRun: false, method: 'move-task', matched: all.length, redriven: all.length, skipped: 0, failures: [] });
    expect(summary.moveTask).toMatchObject({ status: 'COMPLETED', moved: all.length });
    expect(summary.moveTask?.handle).toMatch(/\S/);
    expect(summary.moveTaskSkipped).toBeUndefined();
    // The server ran exactly that task: from the DLQ to the configured main queue, at --rate.
    const tasks = await q.moveTasks();
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ SourceArn: q.dlqArn, DestinationArn: q.mainArn, MaxNumberOfMessagesPerSecond: 100, Status: 'COMPLETED' });

    const back = await drainQueue(q.main);
    expect(back.map((m) => m.body).sort()).toEqual([...all].sort());
    // Only a server-side move keeps the DLQ attributes (the generic path sends the body alone).
    for (const m of back.filter((b) => direct.includes(b.body))) expect(m.attributes['reason']).toBe('object_not_found');
    expect(await q.dlq.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    await q.main.deleteBatch(back);
  });

  it('ElasticMQ: a filtered redrive and --no-move-task receive, send and delete, and start no task', async () => {
    const q = await setUp(servers.sqs.elasticmq);
    const missing = ['{"bucket":"inbox","key":"gone/a.txt"}', '{"bucket":"inbox","key":"gone/b.txt"}'];
    const rest = [awkward[1] ?? '', awkward[4] ?? ''];
    await deadLetter(q, [
      ...missing.map((body) => ({ body, attributes: dead('object_not_found') })),
      ...rest.map((body) => ({ body, attributes: dead('malformed_message') })),
    ]);

    const filtered = summaryOf(await q.redrive('--reason', 'object_not_found', '--json'));
    expect(filtered).toEqual({
      dryRun: false,
      method: 'receive-send-delete',
      matched: 2,
      redriven: 2,
      skipped: 2,
      byReason: { object_not_found: 2 },
      failures: [],
    });
    const back = await drainQueue(q.main);
    expect(back.map((m) => m.body).sort()).toEqual([...missing].sort());
    expect(back.every((m) => Object.keys(m.attributes).length === 0)).toBe(true);
    await q.main.deleteBatch(back);
    expect(await q.dlq.depth()).toEqual({ visible: 2, inFlight: 0, delayed: 0 });

    const off = await q.redrive('--no-move-task');
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toContain('redriven: 2 (malformed_message 2)');
    expect(off.stdout).toContain('no move task (move tasks turned off): received, sent and deleted instead');
    expect((await drainQueue(q.main)).map((m) => m.body).sort()).toEqual([...rest].sort());
    expect(await q.dlq.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(await q.moveTasks()).toEqual([]);
  });

  it('moto (no move tasks): an unfiltered redrive falls back to receive/send/delete and says why', async () => {
    const q = await setUp(servers.sqs.moto);
    await deadLetter(q, awkward.map((body) => ({ body, attributes: dead('extraction_timeout') })));

    const summary = summaryOf(await q.redrive('--json'));
    expect(summary).toMatchObject({ method: 'receive-send-delete', matched: awkward.length, redriven: awkward.length, skipped: 0, failures: [] });
    expect(summary.byReason).toEqual({ extraction_timeout: awkward.length });
    expect(summary.moveTask).toBeUndefined();
    expect(summary.moveTaskSkipped).toMatch(/does not support message move tasks \(HTTP 500\)/);
    const back = await drainQueue(q.main);
    expect(back.map((m) => m.body).sort()).toEqual([...awkward].sort());
    expect(await q.dlq.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });
});
