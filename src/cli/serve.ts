import type { Command } from 'commander';
import { createLogger } from '../runtime/logger.js';
import { WorkerMetrics } from '../runtime/metrics.js';
import { startHttpServer } from '../runtime/http-server.js';
import { startWebParts } from '../web/start.js';
import { loadCliConfig, parsePort, withRuntime } from './context.js';

export const DEFAULT_SERVE_PORT = 9480;

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the dashboard and the search page (127.0.0.1 by default; HTTP_TOKEN required on any other address)')
    .option('--host <address>', 'address to listen on (HTTP_HOST, default 127.0.0.1)')
    .option('-p, --port <n>', `port (0 = any free port; default ${DEFAULT_SERVE_PORT})`, parsePort('--port'), DEFAULT_SERVE_PORT)
    .action(async (opts: { host?: string; port: number }, cmd: Command) => {
      const config = loadCliConfig(cmd, { HTTP_HOST: opts.host });
      const logger = createLogger({ level: config.LOG_LEVEL });
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      await withRuntime(
        config,
        async (rt) => {
          // The index may be down or not created yet: the dashboard shows it rather than not starting.
          void rt.index.ensureSchema().catch(() => undefined);
          const parts = await startWebParts(rt, config, config.HTTP_HOST, logger);
          const metrics = new WorkerMetrics();
          metrics.setHealthy(true);
          try {
            const server = await startHttpServer({
              host: config.HTTP_HOST,
              port: opts.port,
              metrics,
              readiness: () => ({ ready: true, checks: { role: 'serve' } }),
              logger,
              web: parts.web,
              auth: parts.auth,
            });
            process.stderr.write(`filesearch serve: dashboard at ${server.url}/ · search at ${server.url}/search${parts.auth.required ? ' (token required)' : ''}\n`);
            await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
            await server.close();
          } finally {
            await parts.model.close();
          }
        },
        { ensureIndex: false },
      );
      logger.info({ event: 'serve_stopped' });
      logger.flush();
    });
}
