import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteMessageCommand, DeleteQueueCommand, ReceiveMessageCommand, SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { Client } from '@opensearch-project/opensearch';
import { describe, expect, it } from 'vitest';
import { testServers } from '../support/servers.js';

/** The loopback servers are real: the production clients talk to each of them. */
describe('test servers', () => {
  const servers = testServers();
  const unique = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

  it('listen on 127.0.0.1 only', () => {
    for (const url of [servers.sqs.elasticmq, servers.sqs.moto, servers.s3, servers.opensearch]) {
      expect(new URL(url).hostname).toBe('127.0.0.1');
    }
  });

  for (const flavour of ['elasticmq', 'moto'] as const) {
    it(`SQS on ${flavour}: create a queue, send, receive, delete`, async () => {
      const sqs = new SQSClient({ region: servers.region, endpoint: servers.sqs[flavour], credentials: servers.credentials });
      try {
        const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: unique('smoke') }));
        expect(QueueUrl).toContain('127.0.0.1');
        const body = JSON.stringify({ bucket: 'b', key: '議事録/定例会議.txt' });
        await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
        const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 5 }));
        expect(received.Messages?.map((m) => m.Body)).toEqual([body]);
        await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: received.Messages?.[0]?.ReceiptHandle }));
        const after = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 0 }));
        expect(after.Messages ?? []).toEqual([]);
        await sqs.send(new DeleteQueueCommand({ QueueUrl }));
      } finally {
        sqs.destroy();
      }
    });
  }

  it('S3 on moto: put and get an object (path-style)', async () => {
    const s3 = new S3Client({ region: servers.region, endpoint: servers.s3, credentials: servers.credentials, forcePathStyle: true });
    try {
      const Bucket = unique('smoke');
      const Key = '見積/依頼 2026.txt';
      await s3.send(new CreateBucketCommand({ Bucket }));
      await s3.send(new PutObjectCommand({ Bucket, Key, Body: '見積依頼書', ContentType: 'text/plain; charset=utf-8' }));
      const got = await s3.send(new GetObjectCommand({ Bucket, Key }));
      expect(await got.Body?.transformToString()).toBe('見積依頼書');
      expect(got.ContentLength).toBe(Buffer.byteLength('見積依頼書'));
      await s3.send(new DeleteObjectCommand({ Bucket, Key }));
      await s3.send(new DeleteBucketCommand({ Bucket }));
    } finally {
      s3.destroy();
    }
  });

  it('OpenSearch 2.19 with kuromoji, analysis-common and painless: index and search a Japanese document', async () => {
    const client = new Client({ node: servers.opensearch });
    const index = unique('smoke');
    try {
      const info = await client.info();
      expect(info.body.version.number).toMatch(/^2\.19\./);
      expect(servers.opensearchPlugins).toContain('analysis-kuromoji');

      await client.indices.create({
        index,
        body: {
          settings: {
            number_of_shards: 1,
            number_of_replicas: 0,
            analysis: { analyzer: { ja: { type: 'custom', tokenizer: 'kuromoji_tokenizer', filter: ['kuromoji_baseform', 'cjk_width', 'lowercase'] } } },
          },
          mappings: { properties: { content: { type: 'text', analyzer: 'ja' }, views: { type: 'integer' } } },
        },
      });
      const analyzed = await client.indices.analyze({ index, body: { analyzer: 'ja', text: 'ＡＢＣ社の定例会議' } });
      expect(analyzed.body.tokens?.map((t) => t.token)).toEqual(expect.arrayContaining(['abc', '定例', '会議']));

      await client.index({ index, id: '1', body: { content: '第12回 定例会議の議事録', views: 1 }, refresh: true });
      await client.update({ index, id: '1', body: { script: { source: 'ctx._source.views += params.n', params: { n: 2 } } }, refresh: true });
      const found = await client.search({ index, body: { query: { match: { content: '会議' } } } });
      expect(found.body.hits.hits.map((h) => [h._id, h._source?.['views']])).toEqual([['1', 3]]);
    } finally {
      await client.indices.delete({ index }, { ignore: [404] });
      await client.close();
    }
  });
});
