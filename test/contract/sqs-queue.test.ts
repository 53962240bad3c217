import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqsQueue } from '../../src/adapters/aws/sqs-queue.js';
import { ErrorCodes, isFatalError, isPermanentError, isTransientError } from '../../src/domain/errors.js';
import { testServers } from '../support/servers.js';
import { describeQueueContract, type QueueFixture } from './queue.contract.js';

/**
 * SqsQueue against two SQS-API servers on loopback. Each fixture creates a fresh queue and DLQ
 * with a redrive policy, exactly as production does, and deletes them afterwards.
 */

const VISIBILITY_TIMEOUT_SECONDS = 3;
const MAX_RECEIVE_COUNT = 3;

interface ServerTraits {
  /**
   * Amazon SQS documents that a delete with an old receipt handle succeeds without deleting, so
   * only a server seen to reject one is held to it.
   */
  readonly rejectsStaleReceiptHandles: boolean;
  /** Refuses what Amazon SQS refuses: more than 10 message attributes, empty values, over 256 KiB. */
  readonly enforcesMessageLimits: boolean;
}

type SqsFixture = QueueFixture & { client: SQSClient; queueUrl: string };

function sqsClient(endpoint: string): SQSClient {
  const servers = testServers();
  return new SQSClient({ region: servers.region, credentials: servers.credentials, endpoint, maxAttempts: 1 });
}

async function sqsFixture(endpoint: string): Promise<SqsFixture> {
  const client = sqsClient(endpoint);
  const name = `contract-${randomUUID().slice(0, 8)}`;
  const dlqUrl = (await client.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }))).QueueUrl ?? '';
  const attributes = await client.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
  const deadLetterTargetArn = attributes.Attributes?.QueueArn ?? '';
  const created = await client.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(VISIBILITY_TIMEOUT_SECONDS),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn, maxReceiveCount: MAX_RECEIVE_COUNT }),
      },
    }),
  );
  const queueUrl = created.QueueUrl ?? '';
  const queue = new SqsQueue({ client, queueUrl });
  const dlq = new SqsQueue({ client, queueUrl: dlqUrl });
  return {
    client,
    queueUrl,
    queue,
    dlq,
    maxReceiveCount: MAX_RECEIVE_COUNT,
    visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
    // SQS accepts only #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
    supportsArbitraryStrings: false,
    // Both servers do what Amazon SQS does: the redriven message keeps its id and its receive count.
    deadLetterKeepsReceiveCount: true,
    elapse: (seconds) => sleep(seconds * 1000),
    close: async () => {
      await queue.close();
      await dlq.close();
      await Promise.all([queueUrl, dlqUrl].map((url) => client.send(new DeleteQueueCommand({ QueueUrl: url }))));
      client.destroy();
    },
  };
}

const servers = testServers();
const SERVERS: ReadonlyArray<{ name: string; endpoint: string; traits: ServerTraits }> = [
  // ElasticMQ checks receipt handles strictly: an old one fails with ReceiptHandleIsInvalid and the
  // message stays. (It also refuses a second delete with the handle that already deleted it.)
  // Its `sqs-limits = strict` (the default) enforces SQS's message limits.
  { name: 'ElasticMQ', endpoint: servers.sqs.elasticmq, traits: { rejectsStaleReceiptHandles: true, enforcesMessageLimits: true } },
  // moto reports a delete with an old handle as successful, like Amazon SQS, but unlike Amazon SQS
  // (which then keeps the message) it deletes the message. It accepts any number of attributes,
  // empty attribute values and messages over 256 KiB, all of which Amazon SQS refuses.
  { name: 'moto', endpoint: servers.sqs.moto, traits: { rejectsStaleReceiptHandles: false, enforcesMessageLimits: false } },
];

for (const server of SERVERS) {
  describeQueueContract(`SqsQueue on ${server.name}`, () => sqsFixture(server.endpoint), server.traits);

  describe(`SqsQueue on ${server.name} (SQS specifics)`, () => {
    let fx: SqsFixture;

    beforeEach(async () => {
      fx = await sqsFixture(server.endpoint);
    });

    afterEach(async () => {
      await fx.close();
    });

    it('is named after the last path segment of its URL', () => {
      expect(fx.queue.name).toBe(fx.queueUrl.split('/').at(-1));
      expect(fx.queue.name).toMatch(/^contract-/);
    });

    it('splits a batch send by payload size so that no call carries more than 256 KiB', async () => {
      const sizes: number[] = [];
      fx.client.middlewareStack.add(
        (next) => async (args) => {
          const input = args.input as { Entries?: { MessageBody?: string }[] };
          if (input.Entries !== undefined) sizes.push(input.Entries.reduce((n, e) => n + Buffer.byteLength(e.MessageBody ?? ''), 0));
          return next(args);
        },
        { step: 'initialize', name: 'measureBatches' },
      );
      const body = (i: number): string => `${i}:`.padEnd(100 * 1024, 'x');
      const result = await fx.queue.sendBatch(Array.from({ length: 5 }, (_, i) => ({ body: body(i) })));

      expect(result.failed).toEqual([]);
      expect(result.successful).toHaveLength(5);
      expect(sizes.length).toBeGreaterThanOrEqual(3);
      for (const size of sizes) expect(size).toBeLessThanOrEqual(256 * 1024);
      const received: string[] = [];
      for (let i = 0; i < 10 && received.length < 5; i += 1) {
        received.push(...(await fx.queue.receive({ maxMessages: 10, waitTimeSeconds: 1 })).map((m) => m.body));
      }
      expect(received.sort()).toEqual(Array.from({ length: 5 }, (_, i) => body(i)).sort());
    });

    it('reports a receipt handle the server does not know as a non-retryable entry failure', async () => {
      const { id } = await fx.queue.send({ body: 'x' });
      await fx.queue.receive({ maxMessages: 1, waitTimeSeconds: 1 });
      const bogus = 'not-a-receipt-handle';
      const result = await fx.queue.changeVisibilityBatch([{ id, receiptHandle: bogus, visibilityTimeoutSeconds: 0 }]);
      expect(result.successful).toEqual([]);
      expect(result.failed).toMatchObject([{ id, retryable: false }]);
    });

    // moto accepts what Amazon SQS refuses, so only a server that enforces the limits registers this.
    if (server.traits.enforcesMessageLimits) it('refuses a message with more than 10 attributes as permanent, saying why', async () => {
      const attributes = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, 'x']));
      const error: unknown = await fx.queue.send({ body: 'x', attributes }).catch((err: unknown) => err);
      expect(isPermanentError(error)).toBe(true);
      expect((error as Error).message).toContain('11');

      const batch = await fx.queue.sendBatch([{ body: 'fine' }, { body: 'x', attributes }]);
      expect(batch.failed.map((f) => f.retryable)).not.toContain(true);
      expect(batch.failed.map((f) => f.id)).toContain('1');
    });

    it('ends a pending long poll with [] on close, and closes idempotently', async () => {
      const pending = fx.queue.receive({ maxMessages: 10, waitTimeSeconds: 20 });
      await sleep(100);
      const started = performance.now();
      await fx.queue.close();
      await fx.queue.close();
      await expect(pending).resolves.toEqual([]);
      expect(performance.now() - started).toBeLessThan(2_000);
    });

    it('refuses a queue URL that does not exist with a fatal config_invalid naming the URL', async () => {
      const missingUrl = fx.queueUrl.replace(/contract-[^/]+$/, `missing-${randomUUID().slice(0, 8)}`);
      const missing = new SqsQueue({ client: fx.client, queueUrl: missingUrl });
      const error: unknown = await missing.depth().catch((err: unknown) => err);
      expect(isFatalError(error)).toBe(true);
      expect(error).toMatchObject({ code: ErrorCodes.ConfigInvalid, message: expect.stringContaining(missingUrl) as string });
    });
  });
}

describe('SqsQueue when the server cannot be reached', () => {
  it('throws a transient queue_unavailable error', async () => {
    // Port 9 (discard) on loopback: nothing listens there, so the connection is refused.
    const client = sqsClient('http://127.0.0.1:9');
    const queue = new SqsQueue({ client, queueUrl: 'http://127.0.0.1:9/000000000000/nowhere' });
    try {
      const error: unknown = await queue.send({ body: 'x' }).catch((err: unknown) => err);
      expect(isTransientError(error)).toBe(true);
      expect(error).toMatchObject({ code: ErrorCodes.QueueUnavailable });
      let calls = 0;
      client.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'DeleteMessageBatchCommand') calls += 1;
          return next(args);
        },
        { step: 'initialize', name: 'countDeletes' },
      );
      // A delete is tried a few times, then reported failed (retryable): never silently dropped.
      const deleted = await queue.deleteBatch([{ id: 'm1', receiptHandle: 'h1' }]);
      expect(deleted).toMatchObject({ successful: [], failed: [{ id: 'm1', code: ErrorCodes.QueueUnavailable, retryable: true }] });
      expect(calls).toBe(3);
    } finally {
      client.destroy();
    }
  });
});
