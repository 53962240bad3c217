import os from 'node:os';
import type { Command } from 'commander';
import { detectOcrCapabilities } from '../adapters/extract/ocr/tesseract.js';
import { systemClock } from '../ports/clock.port.js';
import type { Logger } from '../runtime/logger.js';
import { createLogger } from '../runtime/logger.js';
import { createDownstreams, resilientIndex, resilientStore } from '../runtime/resilience.js';
import { TempDirectory } from '../runtime/temp-files.js';
import { Worker } from '../runtime/worker.js';
import { loadCliConfig, parsePositiveInt, withRuntime } from './context.js';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the worker: receive, fetch, extract, bulk-index, acknowledge (logs NDJSON to stdout)')
    .option('--until-idle', 'exit 0 once the queue is empty (nothing waiting, in flight or delayed)')
    .option('-w, --workers <n>', 'files processed at once (MAX_WORKERS)', parsePositiveInt('--workers'))
    .option('-b, --batch-size <n>', 'messages per receive, 1-10 (SQS_MAX_MESSAGES)', parsePositiveInt('--batch-size'))
    .action(async (opts: { untilIdle?: boolean; workers?: number; batchSize?: number }, cmd: Command) => {
      const config = loadCliConfig(cmd, { MAX_WORKERS: opts.workers, SQS_MAX_MESSAGES: opts.batchSize });
      const logger = createLogger({ level: config.LOG_LEVEL, fd: 1 });
      const stop = new AbortController();
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals): void => {
        signals += 1;
        logger.info({ event: 'signal', signal: sig, count: signals });
        // Second signal: stop now. Held messages reappear after their visibility timeout.
        if (signals > 1) process.exit(130);
        stop.abort();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);

      await warnAboutOcr(config.OCR, config.OCR_LANGUAGES, logger);
      const stats = await withRuntime(config, async (rt) => {
        const temp = await TempDirectory.create(config.TEMP_DIR);
        const downstreams = createDownstreams({ maxRetries: config.MAX_RETRIES, initialDelaySeconds: config.INITIAL_RETRY_DELAY, logger }, rt.index);
        try {
          const worker = new Worker({
            queue: rt.queue,
            dlq: rt.dlq,
            index: resilientIndex(rt.index, downstreams.index),
            health: downstreams.health,
            logger,
            clock: systemClock,
            prepare: {
              store: resilientStore(rt.store, downstreams.store),
              detector: rt.detector,
              extractor: rt.extractor,
              tempFiles: temp,
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
              bulk: { maxDocuments: config.BULK_MAX_DOCUMENTS, maxBytes: config.BULK_MAX_BYTES, flushMs: config.BULK_FLUSH_MS },
              backoff: { initialDelaySeconds: config.INITIAL_RETRY_DELAY, maxDelaySeconds: config.SQS_VISIBILITY_TIMEOUT, random: Math.random },
              workerId: `${os.hostname()}:${process.pid}`,
              visibilityTimeoutSeconds: config.SQS_VISIBILITY_TIMEOUT,
            },
          });
          return await worker.run({ untilIdle: opts.untilIdle === true, signal: stop.signal });
        } finally {
          await temp.close();
        }
      });
      logger.flush();
      process.stderr.write(
        `filesearch run: ${stats.received} received · ${stats.indexed} indexed · ${stats.removed} removed · ` +
          `${stats.ignored} ignored · ${stats.deadLettered} dead-lettered · ${stats.released} released\n`,
      );
    });
}

/**
 * Without Tesseract (or its language data) scans and images are indexed metadata-only with a
 * flag, never dead-lettered; say so once at start so the operator knows why.
 */
async function warnAboutOcr(mode: 'auto' | 'off', languages: string, logger: Logger): Promise<void> {
  if (mode === 'off') {
    logger.info({ event: 'ocr_disabled' }, 'OCR=off: images and scanned pages are indexed metadata-only');
    return;
  }
  const ocr = await detectOcrCapabilities();
  const wanted = [...languages.split('+'), 'jpn_vert', 'osd'];
  const missing = ocr.available ? wanted.filter((l) => !ocr.languages.includes(l)) : wanted;
  if (!ocr.available || missing.length > 0) {
    logger.warn(
      { event: 'ocr_degraded', available: ocr.available, version: ocr.version, missing, reason: ocr.reason },
      'OCR is degraded: images/scans without the missing languages are indexed metadata-only (install tesseract-ocr-jpn, -jpn-vert, -osd)',
    );
  }
}
