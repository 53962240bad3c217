import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { S3ObjectStore } from '../adapters/aws/s3-object-store.js';
import { SqsQueue } from '../adapters/aws/sqs-queue.js';
import { createOpenSearchClient } from '../adapters/opensearch/opensearch-client.js';
import { OpenSearchSearchIndex } from '../adapters/opensearch/opensearch-search-index.js';
import type { Config } from '../config/config.js';
import { ConfigError } from '../domain/errors.js';
import { createExtraction } from './extraction.js';
import { ensureIndexReady } from './index-startup.js';
import { closer, type Runtime, type RuntimeOptions } from './runtime.js';

/**
 * AWS mode (SQS_QUEUE_URL set): Amazon SQS + DLQ, S3, and Amazon OpenSearch Service (or any
 * OpenSearch). Credentials come from the default AWS chain (instance profile on EC2).
 */
export async function createAwsRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const { SQS_QUEUE_URL: queueUrl, DLQ_QUEUE_URL: dlqUrl, OPENSEARCH_ENDPOINT: endpoint, AWS_REGION: region } = config;
  if (queueUrl === undefined || dlqUrl === undefined || endpoint === undefined || region === undefined) {
    throw new ConfigError(['SQS_QUEUE_URL, DLQ_QUEUE_URL, OPENSEARCH_ENDPOINT and AWS_REGION are all required in AWS mode.']);
  }
  // The SDK retries throttling and 5xx itself (standard mode); our own policy sits above it.
  // A receive long-polls for SQS_WAIT_TIME, so its request timeout must outlast the poll.
  const sqs = new SQSClient({
    region,
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: (config.SQS_WAIT_TIME + 10) * 1_000 },
    ...(config.SQS_ENDPOINT === undefined ? {} : { endpoint: config.SQS_ENDPOINT }),
  });
  const s3 = new S3Client({
    region,
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
    followRegionRedirects: true,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    ...(config.S3_ENDPOINT === undefined ? {} : { endpoint: config.S3_ENDPOINT }),
  });
  const queue = new SqsQueue({ client: sqs, queueUrl, visibilityTimeoutSeconds: config.SQS_VISIBILITY_TIMEOUT });
  const dlq = new SqsQueue({ client: sqs, queueUrl: dlqUrl });
  const store = new S3ObjectStore({ client: s3 });
  const index = new OpenSearchSearchIndex({
    client: createOpenSearchClient({ endpoint, auth: config.openSearchAuth }),
    index: config.OPENSEARCH_INDEX,
    analyzer: config.OPENSEARCH_ANALYZER,
  });
  const clients = { close: () => (sqs.destroy(), s3.destroy()) };
  const { extractor, detector } = createExtraction(config);
  const close = closer([clients, queue, dlq, store, index, extractor]);
  try {
    if (options.ensureIndex !== false) await ensureIndexReady(index, options.waitForIndex);
  } catch (err) {
    await close();
    throw err;
  }
  const checkCredentials = async (): Promise<string> => {
    const c = await sqs.config.credentials();
    return `access key ${c.accessKeyId.slice(0, 4)}… (region ${region})`;
  };
  return { config, queue, dlq, store, index, extractor, detector, checkCredentials, close };
}
