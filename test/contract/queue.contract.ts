import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MessageRef, Queue, QueueMessage, ReceiveOptions } from '../../src/ports/queue.port.js';

/**
 * The Queue contract: what the worker relies on from any queue (embedded SQLite, ElasticMQ,
 * Amazon SQS). Tests use only the port plus `elapse`, and short visibility timeouts, so that
 * the same suite runs in milliseconds on a fake clock and in seconds against a real server.
 */

export interface QueueFixture {
  queue: Queue;
  /** The queue's dead-letter queue (redrive after `maxReceiveCount` receives). */
  dlq: Queue;
  maxReceiveCount: number;
  /** The queue's default; at least 3 s so that the 1 s per-receive override is distinguishable. */
  visibilityTimeoutSeconds: number;
  /** Lone surrogates and NUL round-trip; SQS rejects characters outside its XML-safe set. */
  supportsArbitraryStrings: boolean;
  /**
   * Amazon SQS redrives the message itself: in the DLQ it goes on counting receives, so its first
   * receive there reports maxReceiveCount + 1. The embedded queue starts it afresh at 1. Default false.
   */
  deadLetterKeepsReceiveCount?: boolean;
  /** let time pass: fake clock for embedded, real sleep for real servers */
  elapse(seconds: number): Promise<void>;
  close(): Promise<void>;
}

const PORTABLE_BODY = '{"key":"請求書/2024年 \\"最終\\" 版.pdf"} \'single\' 😀🇯🇵 back\\slash\ttab\nnewline';
const ARBITRARY_TAIL = ' lone\uD800high lone\uDC00low nul\u0000 {"unterminated": [';

/**
 * `traits` are known when the suite is declared: a test of a promise the backend does not make is
 * not registered at all (rather than shown as skipped, which reads like a missing dependency).
 */
export function describeQueueContract(
  name: string,
  makeFixture: () => Promise<QueueFixture>,
  traits: { readonly rejectsStaleReceiptHandles: boolean } = { rejectsStaleReceiptHandles: true },
): void {
  describe(`Queue contract: ${name}`, () => {
    let fx: QueueFixture;

    beforeEach(async () => {
      fx = await makeFixture();
    });

    afterEach(async () => {
      await fx.close();
    });

    const trickyBody = (): string => (fx.supportsArbitraryStrings ? PORTABLE_BODY + ARBITRARY_TAIL : PORTABLE_BODY);

    it('delivers a sent message with its exact body, its attributes and receiveCount 1', async () => {
      const body = trickyBody();
      const attributes = { reason: 'extraction_failed', note: '日本語の値 "quoted"' };
      const { id } = await fx.queue.send({ body, attributes });

      const [message] = await receiveAll(fx.queue, 1);
      expect(message?.id).toBe(id);
      expect(message?.body).toBe(body);
      expect(message?.attributes).toEqual(attributes);
      expect(message?.receiveCount).toBe(1);
      expect(message?.receiptHandle).toMatch(/.+/);
      expect(message?.sentAt).toBeInstanceOf(Date);
      await expectEmpty(fx.queue);
    });

    it('sends a batch of more than ten messages, each with its own body, attributes and delay', async () => {
      const messages = Array.from({ length: 12 }, (_, i) => ({ body: `batch-${i}`, attributes: { n: String(i) } }));
      const result = await fx.queue.sendBatch([...messages, { body: 'batch-delayed', delaySeconds: 3 }]);
      expect(result.failed).toEqual([]);
      expect(new Set(result.successful).size).toBe(13);
      expect(await fx.queue.depth()).toEqual({ visible: 12, inFlight: 0, delayed: 1 });

      const received = await receiveAll(fx.queue, 12);
      const byId = new Map(received.map((m) => [m.id, m]));
      messages.forEach((message, i) => {
        const got = byId.get(result.successful[i] ?? '');
        expect([got?.body, got?.attributes]).toEqual([message.body, message.attributes]);
      });
    });

    it('returns at most maxMessages per receive and loses none', async () => {
      const sent = await sendMany(fx.queue, 15);
      const received = await receiveAll(fx.queue, 15);
      expect(sorted(received.map((m) => m.id))).toEqual(sorted(sent.map((s) => s.id)));
      expect(sorted(received.map((m) => m.body))).toEqual(sorted(sent.map((s) => s.body)));
      await expectEmpty(fx.queue);
    });

    it('hides a received message until its visibility timeout, then redelivers it with a new handle', async () => {
      const { id } = await fx.queue.send({ body: 'again' });
      const first = await receiveOne(fx.queue);
      expect(first.receiveCount).toBe(1);
      await expectEmpty(fx.queue);

      await fx.elapse(fx.visibilityTimeoutSeconds + 1);
      const second = await receiveOne(fx.queue);
      expect(second.id).toBe(id);
      expect(second.body).toBe('again');
      expect(second.receiveCount).toBe(2);
      expect(second.receiptHandle).not.toBe(first.receiptHandle);
    });

    it('honours a per-receive visibility timeout', async () => {
      const { id } = await fx.queue.send({ body: 'short' });
      await receiveOne(fx.queue, { visibilityTimeoutSeconds: 1 });
      await fx.elapse(2);
      const again = await receiveOne(fx.queue);
      expect(again.id).toBe(id);
      expect(again.receiveCount).toBe(2);
    });

    it('deletes a message for good with its current receipt handle', async () => {
      const { id } = await fx.queue.send({ body: 'done' });
      const message = await receiveOne(fx.queue);
      expect(await fx.queue.deleteBatch([ref(message)])).toEqual({ successful: [id], failed: [] });

      await fx.elapse(fx.visibilityTimeoutSeconds + 1);
      await expectEmpty(fx.queue);
      expect(await fx.queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });

    // Amazon SQS documents that a delete with an old handle may succeed without deleting, so
    // only backends that promise to reject stale handles register this test.
    if (traits.rejectsStaleReceiptHandles) it('keeps a message that is deleted with a stale receipt handle', async () => {
      const { id } = await fx.queue.send({ body: 'keep me' });
      const first = await receiveOne(fx.queue, { visibilityTimeoutSeconds: 1 });
      await fx.elapse(2);
      const second = await receiveOne(fx.queue);

      const result = await fx.queue.deleteBatch([ref(first)]);
      expect(result.successful).toEqual([]);
      expect(result.failed).toEqual([
        { id, code: 'receipt_handle_invalid', message: expect.any(String) as string, retryable: false },
      ]);
      // Still there: the current handle can release it, and it comes back a third time.
      await fx.queue.changeVisibilityBatch([{ ...ref(second), visibilityTimeoutSeconds: 0 }]);
      const third = await receiveOne(fx.queue);
      expect(third.id).toBe(id);
      expect(third.receiveCount).toBe(3);
    });

    it('makes an in-flight message visible at once with changeVisibility 0', async () => {
      const { id } = await fx.queue.send({ body: 'release' });
      const message = await receiveOne(fx.queue);
      await expectEmpty(fx.queue);

      const result = await fx.queue.changeVisibilityBatch([{ ...ref(message), visibilityTimeoutSeconds: 0 }]);
      expect(result).toEqual({ successful: [id], failed: [] });
      const again = await receiveOne(fx.queue);
      expect(again.id).toBe(id);
      expect(again.receiveCount).toBe(2);
    });

    it('keeps an in-flight message hidden for a longer visibility timeout', async () => {
      const { id } = await fx.queue.send({ body: 'extend' });
      const message = await receiveOne(fx.queue, { visibilityTimeoutSeconds: 1 });
      const result = await fx.queue.changeVisibilityBatch([{ ...ref(message), visibilityTimeoutSeconds: 4 }]);
      expect(result).toEqual({ successful: [id], failed: [] });

      await fx.elapse(2); // the original 1 s would have passed
      await expectEmpty(fx.queue);
      await fx.elapse(3);
      const again = await receiveOne(fx.queue);
      expect(again.id).toBe(id);
      expect(again.receiveCount).toBe(2);
    });

    it('moves a message to the DLQ after maxReceiveCount receives, body byte for byte intact', async () => {
      const body = trickyBody();
      const attributes = { origin: 'contract-test', detail: 'ファイル "x"' };
      const { id } = await fx.queue.send({ body, attributes });
      for (let count = 1; count <= fx.maxReceiveCount; count += 1) {
        const message = await receiveOne(fx.queue, { visibilityTimeoutSeconds: 1 });
        expect(message.id).toBe(id);
        expect(message.receiveCount).toBe(count);
        await fx.elapse(2);
      }

      // This receive attempt is what moves it: the source queue no longer delivers it.
      await expectEmpty(fx.queue);
      const [dead] = await receiveAll(fx.dlq, 1);
      expect(dead?.body).toBe(body);
      expect(dead?.body.length).toBe(body.length);
      expect(dead?.attributes).toMatchObject(attributes);
      expect(dead?.receiveCount).toBe(fx.deadLetterKeepsReceiveCount === true ? fx.maxReceiveCount + 1 : 1);
      expect(await fx.queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });

    it('returns from a long poll as soon as a message is sent during the wait', async () => {
      const started = performance.now();
      const pending = fx.queue.receive({ maxMessages: 10, waitTimeSeconds: 2 });
      await sleep(200);
      const { id } = await fx.queue.send({ body: 'late' });
      const received = await pending;
      const took = performance.now() - started;

      expect(received.map((m) => [m.id, m.body])).toEqual([[id, 'late']]);
      expect(took).toBeLessThan(1_900);
    });

    it('returns [] at once from an empty queue with waitTimeSeconds 0', async () => {
      const started = performance.now();
      expect(await fx.queue.receive({ maxMessages: 10, waitTimeSeconds: 0 })).toEqual([]);
      expect(performance.now() - started).toBeLessThan(1_000);
    });

    it('ends a long poll with [] when its signal aborts', async () => {
      const controller = new AbortController();
      const started = performance.now();
      const pending = fx.queue.receive({ maxMessages: 10, waitTimeSeconds: 20, signal: controller.signal });
      setTimeout(() => controller.abort(), 100);
      await expect(pending).resolves.toEqual([]);
      expect(performance.now() - started).toBeLessThan(5_000);
    });

    it('takes no message when the signal is already aborted', async () => {
      const { id } = await fx.queue.send({ body: 'untouched' });
      const received = await fx.queue.receive({ maxMessages: 10, waitTimeSeconds: 1, signal: AbortSignal.abort() });
      expect(received).toEqual([]);
      const message = await receiveOne(fx.queue);
      expect(message.id).toBe(id);
      expect(message.receiveCount).toBe(1);
    });

    it('counts visible, in-flight and delayed messages', async () => {
      await fx.queue.send({ body: 'a' });
      await fx.queue.send({ body: 'b' });
      await fx.queue.send({ body: 'later', delaySeconds: 3 });
      expect(await fx.queue.depth()).toEqual({ visible: 2, inFlight: 0, delayed: 1 });

      const message = await receiveOne(fx.queue, { maxMessages: 1 });
      expect(message.body).not.toBe('later');
      expect(await fx.queue.depth()).toEqual({ visible: 1, inFlight: 1, delayed: 1 });

      await fx.queue.deleteBatch([ref(message)]);
      expect(await fx.queue.depth()).toEqual({ visible: 1, inFlight: 0, delayed: 1 });
      await fx.elapse(4);
      expect(await fx.queue.depth()).toEqual({ visible: 2, inFlight: 0, delayed: 0 });
    });

    it('deletes and changes visibility of more than ten messages in one call', async () => {
      const sent = await sendMany(fx.queue, 12);
      const ids = sorted(sent.map((s) => s.id));
      const first = await receiveAll(fx.queue, 12);
      const released = await fx.queue.changeVisibilityBatch(first.map((m) => ({ ...ref(m), visibilityTimeoutSeconds: 0 })));
      expect(released.failed).toEqual([]);
      expect(sorted(released.successful)).toEqual(ids);

      const second = await receiveAll(fx.queue, 12);
      const deleted = await fx.queue.deleteBatch(second.map(ref));
      expect(deleted.failed).toEqual([]);
      expect(sorted(deleted.successful)).toEqual(ids);
      expect(await fx.queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      await fx.elapse(fx.visibilityTimeoutSeconds + 1);
      await expectEmpty(fx.queue);
    });
  });
}

const ref = (message: QueueMessage): MessageRef => ({ id: message.id, receiptHandle: message.receiptHandle });

const sorted = (values: readonly string[]): string[] => [...values].sort();

async function sendMany(queue: Queue, count: number): Promise<{ id: string; body: string }[]> {
  const sent: { id: string; body: string }[] = [];
  for (let i = 0; i < count; i += 1) {
    const body = `message-${i}`;
    sent.push({ id: (await queue.send({ body })).id, body });
  }
  return sent;
}

/**
 * Receives until `count` messages arrived, checking each batch's size and that no message comes
 * twice. Long polls briefly because a real SQS may return fewer than are available per call.
 */
async function receiveAll(queue: Queue, count: number, maxMessages = 10): Promise<QueueMessage[]> {
  const received: QueueMessage[] = [];
  for (let attempt = 0; attempt < count + 5 && received.length < count; attempt += 1) {
    const batch = await queue.receive({ maxMessages, waitTimeSeconds: 1 });
    expect(batch.length).toBeLessThanOrEqual(maxMessages);
    received.push(...batch);
  }
  expect(new Set(received.map((m) => m.id)).size).toBe(received.length);
  expect(received).toHaveLength(count);
  return received;
}

async function receiveOne(queue: Queue, options: Partial<ReceiveOptions> = {}): Promise<QueueMessage> {
  const received = await queue.receive({ maxMessages: 10, waitTimeSeconds: 1, ...options });
  expect(received).toHaveLength(1);
  return received[0] as QueueMessage;
}

/** Short poll: with nothing visible a long poll would only add real waiting to fake-clock runs. */
async function expectEmpty(queue: Queue): Promise<void> {
  expect(await queue.receive({ maxMessages: 10, waitTimeSeconds: 0 })).toEqual([]);
}
