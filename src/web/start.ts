import type { Config } from '../config/config.js';
import type { Runtime } from '../composition/runtime.js';
import { preflight } from '../cli/preflight.js';
import type { Logger } from '../runtime/logger.js';
import { readFinishedStates, readWorkerStates } from '../runtime/worker-state.js';
import { assertWebAppBinding, WebAuth } from './auth.js';
import { DashboardModel } from './dashboard-model.js';
import { createWebApp, type WebApp } from './web-app.js';

/** The web app wired to a runtime: used by `filesearch serve` and by `run --http`. */
export interface WebParts {
  readonly web: WebApp;
  readonly auth: WebAuth;
  readonly model: DashboardModel;
}

/**
 * Throws a ConfigError (exit 78) when the app would be open to the network without a token, and a
 * FatalError when the pages are not built; starts sampling the workers' state files.
 */
export async function startWebParts(rt: Runtime, config: Config, host: string, logger: Logger): Promise<WebParts> {
  assertWebAppBinding(host, config.HTTP_TOKEN);
  const auth = new WebAuth(config.HTTP_TOKEN);
  const model = new DashboardModel({
    mode: config.mode,
    queue: rt.queue,
    dlq: rt.dlq,
    index: rt.index,
    readWorkers: () => readWorkerStates(config.home),
    readFinished: () => readFinishedStates(config.home),
    preflight: () => preflight(rt, config),
    logger,
    dlqRefreshMs: config.mode === 'aws' ? 60_000 : 5_000,
  });
  const web = createWebApp({ index: rt.index, model, auth, logger });
  await model.start();
  return { web, auth, model };
}
