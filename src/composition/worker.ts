import os from 'node:os';
import pLimit from 'p-limit';
import type { Config } from '../config/config.js';
import { systemClock } from '../ports/clock.port.js';
import type { Logger } from '../runtime/logger.js';
import { createDownstreams, type Health } from '../runtime/resilience.js';
import { resilientIndex, resilientStore } from '../runtime/resilience.js';
import type { TempDirectory } from '../runtime/temp-files.js';
import { Worker, type WorkerMetricsHooks } from '../runtime/worker.js';
import type { Runtime } from './runtime.js';

/** The worker wired from the configuration: breakers around the index and the store, one clock. */
export function createWorker(
  rt: Runtime,
  config: Config,
  logger: Logger,
  temp: TempDirectory,
  extras: { metrics?: WorkerMetricsHooks; workerId?: string; pressure?: () => string | undefined } = {},
): { worker: Worker; health: Health; workerId: string } {
  const downstreams = createDownstreams(
    {
      maxRetries: config.MAX_RETRIES,
      initialDelaySeconds: config.INITIAL_RETRY_DELAY,
      breakerThreshold: config.CIRCUIT_BREAKER_THRESHOLD,
      halfOpenAfterMs: Math.round(config.CIRCUIT_BREAKER_COOLDOWN * 1000),
      logger,
    },
    rt.index,
  );
  const workerId = `${extras.workerId ?? os.hostname()}:${process.pid}`;
  const worker = new Worker({
    queue: rt.queue,
    dlq: rt.dlq,
    index: resilientIndex(rt.index, downstreams.index),
    health: downstreams.health,
    ...(extras.metrics === undefined ? {} : { metrics: extras.metrics }),
    ...(extras.pressure === undefined ? {} : { pressure: extras.pressure }),
    logger,
    clock: systemClock,
    prepare: {
      store: resilientStore(rt.store, downstreams.store),
      detector: rt.detector,
      extractor: rt.extractor,
      tempFiles: temp,
      // Extraction is CPU: MAX_WORKERS at a time, however many messages are in flight.
      extractionSlot: pLimit(config.MAX_WORKERS),
      clock: systemClock,
      limits: {
        maxFileBytes: config.maxFileBytes,
        maxContentChars: config.MAX_CONTENT_CHARS,
        processingTimeoutMs: config.processingTimeoutMs,
      },
    },
    options: {
      batchSize: config.SQS_MAX_MESSAGES,
      waitTimeSeconds: config.SQS_WAIT_TIME,
      concurrency: config.MAX_WORKERS,
      inFlight: Math.max(config.MAX_IN_FLIGHT, config.MAX_WORKERS),
      prefetch: config.PREFETCH,
      bulk: { maxDocuments: config.BULK_MAX_DOCUMENTS, maxBytes: config.BULK_MAX_BYTES, flushMs: config.BULK_FLUSH_MS },
      backoff: { initialDelaySeconds: config.INITIAL_RETRY_DELAY, maxDelaySeconds: config.SQS_VISIBILITY_TIMEOUT, random: Math.random },
      workerId,
      visibilityTimeoutSeconds: config.SQS_VISIBILITY_TIMEOUT,
    },
  });
  return { worker, health: downstreams.health, workerId };
}
