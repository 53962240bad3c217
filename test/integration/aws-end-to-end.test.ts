import fs from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusRoot, manifestRows, runCli, tempHome } from '../support/cli.js';
import { awsCliEnv, testServers } from '../support/servers.js';

/**
 * Issue #3, must-show 2: the corpus's text and pdf-text files uploaded to the S3-API server,
 * S3 event notifications sent to the SQS-API queue (plain, SNS-wrapped, and two records in one
 * message, keys URL-encoded as S3 does), the real CLI run until idle in AWS mode, and every
 * MANIFEST snippet found through OpenSearch; queue and DLQ empty.
 */
describe('end to end on the real servers (S3-API + SQS-API + OpenSearch)', () => {
  const servers = testServers();
  const run = `e2e-${Date.now().toString(36)}`;
  const bucket = run;
  const prefix = 'コーパス 2026/'; // a space and Japanese: exercises S3's key encoding
  const rows = manifestRows(['text', 'pdf-text']);
  const home = tempHome('fs-aws-');
  const clientConfig = { region: servers.region, credentials: servers.credentials };
  const s3 = new S3Client({ ...clientConfig, endpoint: servers.s3, forcePathStyle: true });
  const sqs = new SQSClient({ ...clientConfig, endpoint: servers.sqs.elasticmq });
  const opensearch = new Client({ node: servers.opensearch });
  let env: Record<string, string> = {};

  const record = (key: string, size: number, i: number) => ({
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    eventName: 'ObjectCreated:Put',
    eventTime: new Date().toISOString(),
    s3: {
      s3SchemaVersion: '1.0',
      bucket: { name: bucket },
      object: { key: encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/'), size, sequencer: `00${(1000 + i).toString(16).toUpperCase()}` },
    },
  });

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${run}-dlq` }));
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.['QueueArn'];
    const main = await sqs.send(
      new CreateQueueCommand({
        QueueName: run,
        Attributes: { VisibilityTimeout: '60', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 3 }) },
      }),
    );
    const records = [];
    for (const [i, row] of rows.entries()) {
      const body = fs.readFileSync(path.join(corpusRoot, row.path));
      const key = prefix + row.path;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      records.push(record(key, body.length, i));
    }
    // Plain notifications, SNS-wrapped ones, and a message carrying two records.
    const [a, b, ...rest] = records;
    await sqs.send(new SendMessageCommand({ QueueUrl: main.QueueUrl, MessageBody: JSON.stringify({ Records: [a, b] }) }));
    for (const [i, r] of rest.entries()) {
      const notification = JSON.stringify({ Records: [r] });
      const body = i % 3 === 0 ? JSON.stringify({ Type: 'Notification', MessageId: `m${i}`, Message: notification }) : notification;
      await sqs.send(new SendMessageCommand({ QueueUrl: main.QueueUrl, MessageBody: body }));
    }
    env = awsCliEnv(servers, { queueUrl: main.QueueUrl, dlqUrl: dlq.QueueUrl, index: run });
    const worker = await runCli(['run', '--until-idle'], home, env);
    expect(worker.code, worker.stderr).toBe(0);
    await opensearch.indices.refresh({ index: run });
  });

  afterAll(async () => {
    await opensearch.indices.delete({ index: run }).catch(() => undefined);
    await opensearch.close();
    sqs.destroy();
    s3.destroy();
  });

  it('leaves the queue and the DLQ empty and indexes one document per object', async () => {
    const status = await runCli(['status', '--json'], home, env);
    expect(status.code, status.stderr).toBe(0);
    const s = JSON.parse(status.stdout) as { mode: string; queue: Record<string, number>; dlq: Record<string, number>; documents: number };
    expect(s.mode).toBe('aws');
    expect(s.queue).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(s.dlq).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(s.documents).toBe(rows.length);
  });

  it.each(rows.filter((r) => !r.stretch).map((r) => [r.path, r.snippet]))('finds %s by %s through OpenSearch', async (file, snippet) => {
    const r = await runCli(['search', snippet, '--json', '--limit', '50'], home, env);
    expect(r.code, r.stderr).toBe(0);
    const hits = (JSON.parse(r.stdout) as { hits: Array<{ document: { key: string; bucket: string } }> }).hits;
    expect(hits.map((h) => h.document.key)).toContain(prefix + file);
    expect(hits.find((h) => h.document.key === prefix + file)?.document.bucket).toBe(bucket);
  });
});
