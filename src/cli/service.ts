import os from 'node:os';
import type { Config } from '../config/config.js';
import { systemdEnvironment } from '../config/systemd-environment.js';
import { ensureIndexReady } from '../composition/index-startup.js';
import type { Runtime } from '../composition/runtime.js';
import { createWorker } from '../composition/worker.js';
import { ConfigError, FatalError, ErrorCodes } from '../domain/errors.js';
import { ActivityRecorder } from '../runtime/activity.js';
import { EmfEmitter } from '../runtime/emf.js';
import { startHttpServer, type RunningHttpServer } from '../runtime/http-server.js';
import { InstanceNoticeWatcher } from '../runtime/instance-notices.js';
import type { Logger } from '../runtime/logger.js';
import { WorkerMetrics } from '../runtime/metrics.js';
import { ResourceGuard } from '../runtime/resource-guard.js';
import { StallDetector, SystemdNotifier } from '../runtime/sd-notify.js';
import type { TempDirectory } from '../runtime/temp-files.js';
import type { WorkerStats } from '../runtime/worker.js';
import { WorkerStatePublisher } from '../runtime/worker-state.js';
import { assertWebAppBinding, WebAuth } from '../web/auth.js';
import { startWebParts, type WebParts } from '../web/start.js';
import { formatPreflight, preflight } from './preflight.js';

/**
 * The long-running worker with everything around it (issue #6): pre-flight before anything is
 * received, the index awaited, metrics (Prometheus + EMF), /healthz /readyz /metrics, systemd
 * notify + watchdog, Spot / Auto Scaling notices, resource backpressure, the state file `status`
 * reads, and a drain on stop. Each part is closed on the way out, whatever happened.
 */

export interface ServiceControls {
  /** First SIGTERM/SIGINT, or a Spot / ASG notice: stop receiving and drain. */
  readonly stop: AbortController;
  /** Second signal: release what is held and leave now. */
  readonly force: AbortController;
}

export interface ServiceOptions {
  readonly untilIdle: boolean;
  /** Where EMF lines go: the logger's own destination, so lines never interleave. */
  readonly emfOutput: (line: string) => void;
  /** Serve the dashboard and search pages on the worker's HTTP server (`run --http`). */
  readonly webApp?: boolean;
}

export async function runService(rt: Runtime, config: Config, logger: Logger, temp: TempDirectory, controls: ServiceControls, options: ServiceOptions): Promise<WorkerStats> {
  const { stop, force } = controls;
  // Refuse before anything starts: the web app must not be open to the network without a token.
  if (options.webApp === true) {
    if (config.HTTP_PORT === 'off') throw new ConfigError(['run --http serves the web app on the HTTP server, but HTTP_PORT is off. Fix: set HTTP_PORT (default 9400) or drop --http.']);
    assertWebAppBinding(config.HTTP_HOST, config.HTTP_TOKEN);
  }
  const notifier = new SystemdNotifier({ environment: systemdEnvironment(), logger });
  const onStop = (): void => void notifier.stopping('draining');
  stop.signal.addEventListener('abort', onStop, { once: true });
  const closers: Array<() => Promise<unknown> | unknown> = [() => notifier.close()];
  try {
    // Pre-flight: a problem that cannot fix itself stops the worker before it receives anything;
    // a server that does not answer yet is waited for.
    const report = await preflight(rt, config);
    logger.info({ event: 'preflight', ok: report.ok, checks: report.checks });
    const fatal = report.checks.filter((c) => c.status === 'FAIL' && c.transient !== true);
    if (fatal.length > 0) {
      process.stderr.write(formatPreflight(report));
      throw new FatalError(ErrorCodes.DependencyMissing, `pre-flight failed: ${fatal.map((c) => c.check).join(', ')} (see the table above)`);
    }
    await ensureIndexReady(rt.index, { signal: stop.signal, logger });

    const metrics = new WorkerMetrics();
    const activity = new ActivityRecorder();
    metrics.addSink(activity);
    const workerId = config.WORKER_ID ?? os.hostname();
    const guard = new ResourceGuard({ tempDir: config.TEMP_DIR, minFreeDiskBytes: config.MIN_FREE_DISK_MB * 1048576, maxMemoryPercent: config.MAX_MEMORY_PERCENT, logger });
    await guard.start();
    closers.push(() => guard.close());
    const { worker, health } = createWorker(rt, config, logger, temp, { metrics, workerId, pressure: () => guard.pressure() });
    const ready = () => worker.snapshot().phase !== 'draining' && !stop.signal.aborted && health.open().length === 0 && guard.pressure() === undefined;
    const state = new WorkerStatePublisher(config.home, `${workerId}:${process.pid}`, () => {
      metrics.setHealthy(ready());
      return { ...worker.snapshot(), breakers: health.breakers(), activity: activity.snapshot() };
    });
    // A state file left by a worker that died here means this start is a restart after a crash.
    if ((await state.start()) > 0) metrics.workerRestarted();
    closers.push(() => state.stop());

    if (config.METRICS_EMF === 'on' || (config.METRICS_EMF === 'auto' && config.mode === 'aws')) {
      const emf = new EmfEmitter({ metrics, output: options.emfOutput, workerId, namespace: config.METRICS_NAMESPACE, intervalMs: config.METRICS_EMF_INTERVAL * 1000, logger });
      emf.start();
      closers.push(() => emf.close());
    }
    if (config.HTTP_PORT !== 'off') {
      let parts: WebParts | undefined;
      if (options.webApp === true) {
        const web = await startWebParts(rt, config, config.HTTP_HOST, logger);
        closers.push(() => web.model.close());
        parts = web;
      }
      const server = await startHttpServerSafely(config, logger, metrics, parts, () => ({
        ready: ready(),
        checks: { phase: worker.snapshot().phase, breakers: health.breakers(), pressure: guard.pressure() ?? null, preflight: report.ok ? 'ok' : 'waiting for a server' },
      }));
      if (server !== undefined) closers.push(() => server.close());
    }
    let terminating = false;
    let notices: InstanceNoticeWatcher | undefined;
    if (!config.AWS_EC2_METADATA_DISABLED) {
      notices = new InstanceNoticeWatcher({ logger, endpoint: config.AWS_EC2_METADATA_SERVICE_ENDPOINT });
      const watcher = notices;
      closers.push(() => watcher.stop());
      // Off EC2 this answers within about a second; the worker does not wait for it.
      void watcher.detect().then((onEc2) => {
        if (!onEc2 || stop.signal.aborted) return;
        watcher.start((notice) => {
          if (notice.kind === 'spot-interruption') metrics.spotInterruption();
          if (notice.kind === 'asg-termination') terminating = true;
          logger.warn({ event: 'drain_requested', by: notice.kind, action: notice.action, time: notice.time });
          stop.abort();
        });
      });
    }
    const stall = new StallDetector({
      lastProgressAt: () => worker.lastProgressAt(),
      thresholdMs: (config.PROCESSING_TIMEOUT + config.SQS_WAIT_TIME + 60) * 1000,
      onStall: (ms) => {
        logger.error({ event: 'worker_stalled', stalledForMs: ms }, 'no progress: exiting so that the supervisor restarts the worker');
        process.exitCode = 1;
        stop.abort();
        force.abort();
      },
    });
    stall.start();
    closers.push(() => stall.close());
    notifier.startWatchdog(() => stall.isHealthy());
    await notifier.ready(`consuming ${rt.queue.name}`);
    const stats = await worker.run({ untilIdle: options.untilIdle, signal: stop.signal, force: force.signal, drainTimeoutMs: config.DRAIN_TIMEOUT * 1000 });
    if (terminating && notices !== undefined) await completeLifecycle(config, notices, logger);
    return stats;
  } finally {
    stop.signal.removeEventListener('abort', onStop);
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
  }
}

/** Drained after an Auto Scaling termination: let the group terminate the instance now. */
async function completeLifecycle(config: Config, notices: InstanceNoticeWatcher, logger: Logger): Promise<void> {
  const { ASG_NAME: group, LIFECYCLE_HOOK_NAME: hook, AWS_REGION: region } = config;
  if (group === undefined || hook === undefined || region === undefined) {
    logger.info({ event: 'lifecycle_action_skipped', why: 'ASG_NAME, LIFECYCLE_HOOK_NAME and AWS_REGION are not all set; the hook times out instead' });
    return;
  }
  try {
    const instanceId = await notices.instanceId();
    const { completeTerminationHook } = await import('../adapters/aws/lifecycle-hook.js');
    await completeTerminationHook({ region, autoScalingGroupName: group, lifecycleHookName: hook, instanceId, ...(config.AUTOSCALING_ENDPOINT === undefined ? {} : { endpoint: config.AUTOSCALING_ENDPOINT }) });
    logger.info({ event: 'lifecycle_action_completed', group, hook, instanceId });
  } catch (err) {
    // The hook's heartbeat timeout still lets the instance go; nothing is lost either way.
    logger.warn({ event: 'lifecycle_action_failed', group, hook, error: err instanceof Error ? err.message : String(err) });
  }
}

async function startHttpServerSafely(
  config: Config,
  logger: Logger,
  metrics: WorkerMetrics,
  parts: WebParts | undefined,
  readiness: () => { ready: boolean; checks: Record<string, unknown> },
): Promise<RunningHttpServer | undefined> {
  try {
    const server = await startHttpServer({
      host: config.HTTP_HOST,
      port: config.HTTP_PORT === 'off' ? 0 : config.HTTP_PORT,
      metrics,
      readiness,
      logger,
      auth: parts?.auth ?? new WebAuth(config.HTTP_TOKEN),
      ...(parts === undefined ? {} : { web: parts.web }),
    });
    logger.info({ event: 'http_listening', url: server.url });
    return server;
  } catch (err) {
    // Another worker on this host has the port: run without the endpoints rather than not at all.
    logger.warn({ event: 'http_unavailable', host: config.HTTP_HOST, port: config.HTTP_PORT, error: err instanceof Error ? err.message : String(err) });
    return undefined;
  }
}
