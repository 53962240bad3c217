import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createAwsRuntime } from '../../src/composition/aws.js';
import type { Runtime } from '../../src/composition/runtime.js';
import { loadConfig } from '../../src/config/config.js';
import type { QueueDepth } from '../../src/ports/queue.port.js';
import { buildWorkload, chaosSeed, events, runChaos, type ChaosReport, type WorkloadFile } from '../support/chaos.js';
import { describeStorm, expectDlqTooling, expectNothingLost, statusDuringOutage } from '../support/chaos-checks.js';
import { killLeftoverCli, spawnCli, tempHome } from '../support/cli.js';
import { dedicatedOpenSearch, awsCliEnv, testServers, type OpenSearchInstance } from '../support/servers.js';

/**
 * Issue #5, must-shows 1 and 2 on the real servers: ElasticMQ (SQS API, with a real redrive
 * policy), moto (S3 API) and an OpenSearch of this test's own, which is shut down for a while in
 * the middle and started again on the same port with the same data. Same workload, kills and
 * assertions as the embedded suite (see chaos-embedded.test.ts for the settings' reasons).
 */
const TOTAL = 1_000;
const seed = chaosSeed();
const run = `chaos-${Date.now().toString(36)}`;
const home = tempHome('fs-chaos-aws-');
const workload = buildWorkload(run, seed, TOTAL);
const depth = (d: QueueDepth) => d.visible + d.inFlight + d.delayed;

describe('chaos on the real servers (ElasticMQ, moto S3, OpenSearch stopped and restarted)', () => {
  // A test that fails half-way must not leave a running worker behind.
  afterEach(() => killLeftoverCli());
  const servers = testServers();
  const clientConfig = { region: servers.region, credentials: servers.credentials };
  const s3 = new S3Client({ ...clientConfig, endpoint: servers.s3, forcePathStyle: true });
  const sqs = new SQSClient({ ...clientConfig, endpoint: servers.sqs.elasticmq });
  let opensearch: OpenSearchInstance | undefined;
  let rt: Runtime | undefined;
  let env: Record<string, string> = {};
  let report: ChaosReport;

  const upload = async (files: readonly WorkloadFile[]) => {
    for (const f of files) await s3.send(new PutObjectCommand({ Bucket: run, Key: f.key, Body: f.body }));
  };

  afterAll(async () => {
    await rt?.close();
    await opensearch?.dispose();
    sqs.destroy();
    s3.destroy();
  });

  it('indexes every good file once, dead-letters exactly the poison, loses nothing to SIGKILLs and an OpenSearch shutdown', async () => {
    const startedAt = Date.now();
    const os = await dedicatedOpenSearch();
    opensearch = os;
    await s3.send(new CreateBucketCommand({ Bucket: run }));
    await upload([...workload.good, ...workload.corrupt]);
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${run}-dlq` }));
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.['QueueArn'];
    const main = await sqs.send(
      new CreateQueueCommand({
        QueueName: run,
        Attributes: { VisibilityTimeout: '6', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 10 }) },
      }),
    );
    env = {
      ...awsCliEnv(servers, { queueUrl: main.QueueUrl, dlqUrl: dlq.QueueUrl, index: run, opensearch: os.url }),
      SQS_VISIBILITY_TIMEOUT: '6',
      MAX_WORKERS: '2',
      MAX_RETRIES: '2',
      INITIAL_RETRY_DELAY: '0.5',
      CIRCUIT_BREAKER_THRESHOLD: '3',
      CIRCUIT_BREAKER_COOLDOWN: '2',
      BULK_FLUSH_MS: '50',
      LOG_LEVEL: 'info',
    };
    // The test's own view of the backends reads credentials the SDK's way, from the environment.
    for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_EC2_METADATA_DISABLED'] as const) vi.stubEnv(key, env[key]);
    const view = await createAwsRuntime(loadConfig({ env: { ...env, FILESEARCH_HOME: home } }));
    rt = view;
    const sent = await view.queue.sendBatch(workload.messages.map((m) => ({ body: m.body })));
    expect(sent.failed).toEqual([]);

    let settled = 0;
    const status = statusDuringOutage(home, env);
    report = await runChaos(
      {
        spawnWorker: () => spawnCli(['run', '--until-idle'], home, env),
        // While OpenSearch is down the count fails: the last value stands.
        progress: async () => {
          try {
            settled = (await view.index.count()) + depth(await view.dlq.depth());
          } catch {
            // the outage
          }
          return settled;
        },
        beginOutage: () => os.stop(),
        endOutage: () => os.start(),
        duringOutage: status.duringOutage,
        outageObserved: status.outageObserved,
      },
      { seed, total: TOTAL, outageMs: 10_000 },
    );
    console.log(describeStorm('real-server chaos', seed, report, startedAt));
    // The count API is near-real-time: make every acknowledged write visible first.
    await fetch(`${os.url}/${run}/_refresh`, { method: 'POST' });
    const { duplicates } = await expectNothingLost(view, workload, { report, tempDir: `${home}/tmp`, total: TOTAL });
    console.log(`DLQ copies beyond one per source message: ${duplicates}`);
    // Workers restarted while OpenSearch was down waited for it instead of exiting (no restart loop).
    expect(events(report.logs).some((e) => e.event === 'index_unavailable_at_start')).toBe(true);
    status.expectShown();
  }, 900_000);

  it('dlq analyze / redrive --reason / archive on the DLQ the storm left', async () => {
    if (rt === undefined || opensearch === undefined) throw new Error('the storm did not run');
    const archive = `${run}-archive`;
    await s3.send(new CreateBucketCommand({ Bucket: archive }));
    const os = opensearch;
    const view = rt;
    await expectDlqTooling(
      {
        ...view,
        // Searches and counts read what the bulk wrote only after a refresh.
        index: new Proxy(view.index, {
          get: (target, prop, receiver) => {
            const value: unknown = Reflect.get(target, prop, receiver);
            if (typeof value !== 'function') return value;
            return async (...args: unknown[]) => {
              await fetch(`${os.url}/${run}/_refresh`, { method: 'POST' });
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            };
          },
        }),
      },
      workload,
      {
        home,
        env,
        upload,
        archiveTo: `s3://${archive}/chaos/`,
        readObject: async (location) => {
          const key = location.replace(`s3://${archive}/`, '');
          const object = await s3.send(new GetObjectCommand({ Bucket: archive, Key: key }));
          return (await object.Body?.transformToString('utf8')) ?? '';
        },
      },
    );
  }, 300_000);
});
