import type { Command } from 'commander';
import { pino } from 'pino';
import { isTransientError } from '../domain/errors.js';
import { createLogger } from '../runtime/logger.js';
import { TempDirectory } from '../runtime/temp-files.js';
import { loadCliConfig, parsePositiveInt, withRuntime } from './context.js';
import { runService } from './service.js';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the worker: receive, fetch, extract, bulk-index, acknowledge (logs NDJSON to stdout)')
    .option('--until-idle', 'exit 0 once the queue is empty (nothing waiting, in flight or delayed)')
    .option('-w, --workers <n>', 'files processed at once (MAX_WORKERS)', parsePositiveInt('--workers'))
    .option('-b, --batch-size <n>', 'messages per receive, 1-10 (SQS_MAX_MESSAGES)', parsePositiveInt('--batch-size'))
    .option('--http', 'also serve the dashboard and search pages on the HTTP server (HTTP_HOST:HTTP_PORT; HTTP_TOKEN off loopback)')
    .action(async (opts: { untilIdle?: boolean; workers?: number; batchSize?: number; http?: boolean }, cmd: Command) => {
      const config = loadCliConfig(cmd, { MAX_WORKERS: opts.workers, SQS_MAX_MESSAGES: opts.batchSize });
      // One destination for log lines and EMF lines, so that they never interleave mid-line.
      const destination = pino.destination({ fd: 1, sync: false });
      const logger = createLogger({ level: config.LOG_LEVEL, destination });
      const controls = { stop: new AbortController(), force: new AbortController() };
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals): void => {
        signals += 1;
        logger.info({ event: 'signal', signal: sig, count: signals });
        // First: stop receiving and drain (DRAIN_TIMEOUT). Second: release what is held and go.
        if (signals === 1) controls.stop.abort();
        else controls.force.abort();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);

      const swept = await TempDirectory.sweepOrphans(config.TEMP_DIR);
      if (swept.length > 0) logger.warn({ event: 'orphans_swept', directories: swept }, 'removed temp directories of workers that crashed');
      let stats;
      try {
        stats = await withRuntime(
          config,
          async (rt) => {
            const temp = await TempDirectory.create(config.TEMP_DIR);
            try {
              return await runService(rt, config, logger, temp, controls, { untilIdle: opts.untilIdle === true, emfOutput: (line) => destination.write(line), webApp: opts.http === true });
            } finally {
              await temp.close();
            }
          },
          { ensureIndex: false },
        );
      } catch (err) {
        // Told to stop while still waiting for the index at start: nothing was received.
        if (!controls.stop.signal.aborted || !isTransientError(err)) throw err;
        logger.info({ event: 'worker_stopped', before: 'index_available' });
        logger.flush();
        return;
      }
      logger.flush();
      process.stderr.write(
        `filesearch run: ${stats.received} received · ${stats.indexed} indexed · ${stats.removed} removed · ` +
          `${stats.ignored} ignored · ${stats.deadLettered} dead-lettered · ${stats.released} released\n`,
      );
    });
}
