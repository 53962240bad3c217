// The three backends a benchmark run can use: embedded (SQLite queue + folder + SQLite index),
// the real loopback servers (ElasticMQ for SQS, moto for S3, OpenSearch), and the same servers
// behind toxiproxy with the seeds' measured network profile.
import fs from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Client } from '@opensearch-project/opensearch';
import pLimit from 'p-limit';

/**
 * The seeds' profile. toxiproxy adds latency per connection, so it cannot tell a receive from a
 * delete on one SQS endpoint: both get 70 ms. Every configuration makes one receive and one delete
 * per batch (the baseline: per message), so the pair still costs the profile's 100 + 40 ms.
 */
export const LATENCY_PROFILE = { sqsMs: 70, s3Ms: 200, indexMs: 50 };

export const BACKENDS = ['embedded', 'servers', 'latency'];

/** `fn` over `items`, at most `concurrency` at a time. */
function pool(items, concurrency, fn) {
  const limited = pLimit(concurrency);
  return Promise.all(items.map((item) => limited(() => fn(item))));
}

const s3Key = (file) => file.replaceAll(path.sep, '/');
const eventKey = (key) => encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');

/** One S3 event notification per file, in the workload's order. */
function events(workload, bucket) {
  return workload.files.map((f) =>
    JSON.stringify({ Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', eventTime: new Date().toISOString(), s3: { bucket: { name: bucket }, object: { key: eventKey(s3Key(f.path)), size: f.bytes } } }] }),
  );
}

/** Starts (or finds) the servers and toxiproxy when a backend needs them. */
export async function openBackends(names, scratch, log) {
  const ctx = { scratch, names, servers: undefined, toxi: undefined, proxies: undefined, stops: [], buckets: new Map() };
  if (names.some((n) => n !== 'embedded')) {
    const { findRunningServers, startServers } = await import('../../scripts/test-servers/servers.mjs');
    // The test run's servers (the smoke test passes them), else those of `servers.mjs start`, else our own.
    const given = process.env.FILESEARCH_BENCH_SERVERS;
    let endpoints = given === undefined ? await findRunningServers({ log }) : JSON.parse(given);
    if (endpoints === undefined) {
      const started = await startServers({ log });
      ctx.stops.push(() => started.stop());
      endpoints = started.endpoints;
    }
    ctx.servers = endpoints;
  }
  if (names.includes('latency')) {
    const { startToxiproxy } = await import('../../scripts/test-servers/toxiproxy.mjs');
    const toxi = await startToxiproxy();
    ctx.stops.push(() => toxi.stop());
    const hostPort = (url) => new URL(url).host;
    ctx.proxies = {
      sqs: await toxi.proxy('bench-sqs', hostPort(ctx.servers.sqs.elasticmq), { latencyMs: LATENCY_PROFILE.sqsMs }),
      s3: await toxi.proxy('bench-s3', hostPort(ctx.servers.s3), { latencyMs: LATENCY_PROFILE.s3Ms }),
      opensearch: await toxi.proxy('bench-opensearch', hostPort(ctx.servers.opensearch), { latencyMs: LATENCY_PROFILE.indexMs }),
    };
    ctx.toxi = toxi;
  }
  return ctx;
}

export async function closeBackends(ctx) {
  for (const stop of ctx.stops.reverse()) await stop().catch(() => undefined);
}

function clients(ctx) {
  const s = ctx.servers;
  const base = { region: s.region, credentials: s.credentials };
  return {
    s3: new S3Client({ ...base, endpoint: s.s3, forcePathStyle: true }),
    sqs: new SQSClient({ ...base, endpoint: s.sqs.elasticmq }),
    opensearch: new Client({ node: s.opensearch }),
  };
}

/** Uploads a workload's files to one S3-API bucket, once per workload (both server backends share it). */
async function bucketFor(ctx, workload, log) {
  if (ctx.buckets.has(workload.dir)) return ctx.buckets.get(workload.dir);
  const bucket = `bench-${workload.name}-${Date.now().toString(36)}`;
  const { s3 } = clients(ctx);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const started = Date.now();
  await pool(workload.files, 16, async (f) => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: s3Key(f.path), Body: await fs.promises.readFile(path.join(workload.dir, f.path)) }));
  });
  log(`uploaded ${workload.files.length} files to s3://${bucket} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  s3.destroy();
  ctx.buckets.set(workload.dir, bucket);
  return bucket;
}

/**
 * Puts one event per file on a fresh queue of the backend (files in a seeded shuffled order, the
 * same for every run) and returns the worker's environment and a cleanup.
 */
export async function prepareRun(ctx, backend, workload, runId, log) {
  const home = path.join(ctx.scratch, runId);
  fs.mkdirSync(home, { recursive: true });
  if (backend === 'embedded') {
    const env = { FILESEARCH_HOME: home, TEMP_DIR: path.join(home, 'tmp') };
    // The same events, in the same order, as on the SQS queue (`filesearch ingest` would walk the
    // folders in its own order, and a time-boxed run would then see another share of the files).
    const { createEmbeddedRuntime } = await import('../../dist/composition/embedded.js');
    const { loadConfig } = await import('../../dist/config/config.js');
    const rt = await createEmbeddedRuntime(loadConfig({ env }));
    try {
      const bucket = rt.registerFolder(workload.dir, 'bench');
      const bodies = events(workload, bucket);
      for (let i = 0; i < bodies.length; i += 10) await rt.queue.sendBatch(bodies.slice(i, i + 10).map((body) => ({ body })));
    } finally {
      await rt.close();
    }
    return { env, cleanup: async () => fs.rmSync(home, { recursive: true, force: true }) };
  }
  const bucket = await bucketFor(ctx, workload, log);
  const { sqs, opensearch } = clients(ctx);
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${runId}-dlq` }));
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes.QueueArn;
  const main = await sqs.send(new CreateQueueCommand({ QueueName: runId, Attributes: { VisibilityTimeout: '300', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 3 }) } }));
  const entries = events(workload, bucket).map((body, i) => ({ Id: String(i), MessageBody: body }));
  const batches = [];
  for (let i = 0; i < entries.length; i += 10) batches.push(entries.slice(i, i + 10));
  await pool(batches, 8, (batch) => sqs.send(new SendMessageBatchCommand({ QueueUrl: main.QueueUrl, Entries: batch.map((e, j) => ({ ...e, Id: String(j) })) })));
  const viaProxy = backend === 'latency';
  // The queue URL names the host the SDK talks to: point it at the proxy too.
  const through = (url, base) => (viaProxy ? `${base}${new URL(url).pathname}` : url);
  const s = ctx.servers;
  const env = {
    FILESEARCH_HOME: home,
    TEMP_DIR: path.join(home, 'tmp'),
    AWS_REGION: s.region,
    AWS_ACCESS_KEY_ID: s.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s.credentials.secretAccessKey,
    SQS_QUEUE_URL: through(main.QueueUrl, ctx.proxies?.sqs),
    DLQ_QUEUE_URL: through(dlq.QueueUrl, ctx.proxies?.sqs),
    SQS_ENDPOINT: viaProxy ? ctx.proxies.sqs : s.sqs.elasticmq,
    S3_ENDPOINT: viaProxy ? ctx.proxies.s3 : s.s3,
    S3_FORCE_PATH_STYLE: 'true',
    OPENSEARCH_ENDPOINT: viaProxy ? ctx.proxies.opensearch : s.opensearch,
    OPENSEARCH_INDEX: runId,
  };
  return {
    env,
    cleanup: async () => {
      await sqs.send(new DeleteQueueCommand({ QueueUrl: main.QueueUrl })).catch(() => undefined);
      await sqs.send(new DeleteQueueCommand({ QueueUrl: dlq.QueueUrl })).catch(() => undefined);
      await opensearch.indices.delete({ index: runId }).catch(() => undefined);
      await opensearch.close();
      sqs.destroy();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
