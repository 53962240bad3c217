import fs from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Client } from '@opensearch-project/opensearch';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusRoot, killLeftoverCli, runCli, tempHome } from '../support/cli.js';
import { launchBrowser, screenshot, startServe, tileValue, until, watchPage } from '../support/browser.js';
import { awsCliEnv, testServers } from '../support/servers.js';

/**
 * Issue #8: the same pages on the AWS backends — ElasticMQ (SQS API), moto (S3 API) and
 * OpenSearch on loopback. Depths come from SQS, the DLQ breakdown from reading the SQS DLQ, the
 * Japanese search and its highlight from OpenSearch.
 */
describe('dashboard and search on the real servers (SQS-API, S3-API, OpenSearch)', () => {
  const servers = testServers();
  const run = `web-${Date.now().toString(36)}`;
  const home = tempHome('fs-web-aws-');
  const clientConfig = { region: servers.region, credentials: servers.credentials };
  const s3 = new S3Client({ ...clientConfig, endpoint: servers.s3, forcePathStyle: true });
  const sqs = new SQSClient({ ...clientConfig, endpoint: servers.sqs.elasticmq });
  const opensearch = new Client({ node: servers.opensearch });
  let env: Record<string, string> = {};
  let browser: Browser;

  const event = (key: string) =>
    JSON.stringify({ Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', eventTime: new Date().toISOString(), s3: { bucket: { name: run }, object: { key: encodeURIComponent(key), size: 1 } } }] });

  beforeAll(async () => {
    browser = await launchBrowser();
    await s3.send(new CreateBucketCommand({ Bucket: run }));
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${run}-dlq` }));
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.['QueueArn'];
    const main = await sqs.send(new CreateQueueCommand({ QueueName: run, Attributes: { VisibilityTimeout: '60', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 3 }) } }));
    const files = ['pdf-text/pdfjs_issue16063.pdf', 'text/chardet_eucjp_readme.txt', 'office/tika_testWORD_phonetic.docx'];
    for (const f of files) {
      await s3.send(new PutObjectCommand({ Bucket: run, Key: `docs/${path.basename(f)}`, Body: fs.readFileSync(path.join(corpusRoot, f)) }));
      await sqs.send(new SendMessageCommand({ QueueUrl: main.QueueUrl, MessageBody: event(`docs/${path.basename(f)}`) }));
    }
    // Poison: an event for an object that is not there.
    await sqs.send(new SendMessageCommand({ QueueUrl: main.QueueUrl, MessageBody: event('docs/never-uploaded.pdf') }));
    env = awsCliEnv(servers, { queueUrl: main.QueueUrl, dlqUrl: dlq.QueueUrl, index: run });
    const worker = await runCli(['run', '--until-idle'], home, env);
    expect(worker.code, worker.stderr).toBe(0);
    await opensearch.indices.refresh({ index: run });
  }, 180_000);

  afterAll(async () => {
    killLeftoverCli();
    await browser?.close();
    await opensearch.indices.delete({ index: run }).catch(() => undefined);
    await opensearch.close();
    sqs.destroy();
    s3.destroy();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('shows SQS depths, the OpenSearch document count and the SQS DLQ by reason; search highlights Japanese', async () => {
    const serve = await startServe(home, env);
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
      const watch = watchPage(page);
      await page.goto(`${serve.url}/`);
      await until(async () => (await tileValue(page, 'documents')) === 3, 20_000, 'OpenSearch document count');
      expect(await tileValue(page, 'queue-visible')).toBe(0);
      expect(await tileValue(page, 'queue-in-flight')).toBe(0);
      await until(async () => (await tileValue(page, 'dlq-depth')) === 1, 20_000, 'SQS DLQ depth');
      const row = page.locator('[data-testid=dlq-reasons] tr[data-reason="object_not_found"]');
      await row.waitFor({ timeout: 30_000 });
      expect(await row.textContent()).toMatch(/object_not_found\s*1\b/);
      expect(await page.getByText(run, { exact: false }).count()).toBeGreaterThan(0);
      await screenshot(page, 'dashboard-aws');

      await page.goto(`${serve.url}/search?q=${encodeURIComponent('端子')}`);
      const hit = page.getByTestId('hit').filter({ hasText: 'pdfjs_issue16063.pdf' });
      await hit.first().waitFor({ timeout: 20_000 });
      expect(new Set(await hit.locator('.hit-snippet mark').allTextContents())).toEqual(new Set(['端子']));
      expect(watch.dialogs).toEqual([]);
      expect(watch.errors).toEqual([]);
      await page.close();
    } finally {
      expect(await serve.stop()).toBe(0);
    }
  }, 120_000);
});
