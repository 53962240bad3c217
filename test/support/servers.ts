import { inject } from 'vitest';
import type { OpenSearchInstance } from '../../scripts/test-servers/servers.mjs';

export type { OpenSearchInstance };

/**
 * Real servers on 127.0.0.1, started once per `vitest run` by test/support/global-setup.ts (or kept
 * up between runs by `node scripts/test-servers/servers.mjs start`). They are shared by every test
 * file and possibly by several runs: give each queue, bucket and index a unique name.
 */
export interface TestServers {
  region: string; // 'us-east-1'
  credentials: { accessKeyId: string; secretAccessKey: string }; // dummy 'test'/'test'
  sqs: { elasticmq: string; moto: string }; // http://127.0.0.1:PORT
  s3: string; // moto; use path-style addressing (forcePathStyle)
  opensearch: string; // http://127.0.0.1:PORT, plain HTTP, no auth
  opensearchPlugins: string[]; // e.g. ['analysis-kuromoji']
}

declare module 'vitest' {
  export interface ProvidedContext {
    testServers: TestServers;
  }
}

/** The running servers; throws (a failure, never a skip) when the run has none. */
export function testServers(): TestServers {
  const servers = inject('testServers') as TestServers | undefined;
  if (servers !== undefined) return servers;
  if (process.env['FILESEARCH_TEST_SERVERS'] === 'none') {
    throw new Error('real servers are off (FILESEARCH_TEST_SERVERS=none): run `npm test`');
  }
  throw new Error('no test servers were provided: vitest.config.ts must list test/support/global-setup.ts in globalSetup');
}

/**
 * A dedicated OpenSearch node for this test file alone, for tests that stop it (`stop()`) and start
 * it again on the same URL with its data (`start()`); the shared `testServers().opensearch` is never
 * touched. Call `dispose()` in afterAll; it dies with the test worker anyway, even on SIGKILL.
 * Starting one takes 10–30 s: give the hook a long timeout.
 */
export async function dedicatedOpenSearch(): Promise<OpenSearchInstance> {
  if (process.env['FILESEARCH_TEST_SERVERS'] === 'none') {
    throw new Error('real servers are off (FILESEARCH_TEST_SERVERS=none): run `npm test`');
  }
  // Loaded on demand: the many test files that only need testServers() skip the server scripts.
  const { startOpenSearchInstance } = await import('../../scripts/test-servers/servers.mjs');
  return startOpenSearchInstance();
}

/**
 * The environment that points the CLI in AWS mode at the test servers (ElasticMQ for SQS, moto
 * for S3, OpenSearch unless `opensearch` says otherwise), with the test's queue, DLQ and index.
 */
export function awsCliEnv(
  servers: TestServers,
  target: { queueUrl: string | undefined; dlqUrl: string | undefined; index: string; opensearch?: string },
): Record<string, string> {
  return {
    AWS_REGION: servers.region,
    AWS_ACCESS_KEY_ID: servers.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: servers.credentials.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
    SQS_QUEUE_URL: target.queueUrl ?? '',
    DLQ_QUEUE_URL: target.dlqUrl ?? '',
    SQS_ENDPOINT: servers.sqs.elasticmq,
    SQS_WAIT_TIME: '1',
    S3_ENDPOINT: servers.s3,
    S3_FORCE_PATH_STYLE: 'true',
    OPENSEARCH_ENDPOINT: target.opensearch ?? servers.opensearch,
    OPENSEARCH_INDEX: target.index,
  };
}
