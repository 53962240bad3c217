import type { Command } from 'commander';
import { describeError } from '../domain/errors.js';
import type { QueueDepth } from '../ports/queue.port.js';
import { readWorkerStates, type WorkerState } from '../runtime/worker-state.js';
import { loadCliConfig, printJson, withRuntime } from './context.js';

type Part<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };

async function part<T>(p: Promise<T>): Promise<Part<T>> {
  try {
    return { ok: true, value: await p };
  } catch (err) {
    const { code, message } = describeError(err);
    return { ok: false, error: { code, message } };
  }
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description("queue depth, in flight, dead-letter depth, documents indexed, and this host's workers with their circuit breakers")
    .option('--json', 'print JSON for scripts')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const config = loadCliConfig(cmd, { LOG_LEVEL: 'silent' });
      // Each part on its own: an index that is down is something status must show, not die of.
      const status = await withRuntime(
        config,
        async (rt) => {
          const [queue, dlq, documents, workers] = await Promise.all([
            part(rt.queue.depth()),
            part(rt.dlq.depth()),
            part(rt.index.count()),
            readWorkerStates(config.home),
          ]);
          return { mode: config.mode, home: config.mode === 'embedded' ? config.home : undefined, queue, dlq, documents, workers };
        },
        { ensureIndex: false },
      );
      const failed = [status.queue, status.dlq, status.documents].some((p) => !p.ok);
      if (failed) process.exitCode = 1;
      if (opts.json === true) {
        const flat = <T>(p: Part<T>) => (p.ok ? p.value : { error: p.error });
        printJson({ ...status, queue: flat(status.queue), dlq: flat(status.dlq), documents: flat(status.documents) });
        return;
      }
      const show = <T>(p: Part<T>, fmt: (v: T) => string) => (p.ok ? fmt(p.value) : `unavailable (${p.error.code}: ${p.error.message})`);
      const total = (d: QueueDepth) => d.visible + d.inFlight + d.delayed;
      process.stdout.write(
        [
          `mode         ${status.mode}${status.home === undefined ? '' : ` (${status.home})`}`,
          `queue        ${show(status.queue, (q) => `${q.visible} waiting, ${q.inFlight} in flight, ${q.delayed} delayed`)}`,
          `dead-letter  ${show(status.dlq, (d) => `${total(d)} message(s)`)}`,
          `documents    ${show(status.documents, (n) => `${n} indexed`)}`,
          ...workerLines(status.workers),
          '',
        ].join('\n'),
      );
    });
}

function workerLines(workers: readonly WorkerState[]): string[] {
  if (workers.length === 0) return ['workers      none running on this host'];
  return workers.map((w, i) => {
    const breakers = w.breakers
      .map((b) => `${b.downstream} ${b.state}${b.state === 'open' ? ` (probe in ${Math.ceil(b.retryInMs / 1000)} s)` : ''}`)
      .join(', ');
    const s = w.stats;
    return (
      `${i === 0 ? 'workers      ' : '             '}pid ${w.pid} ${w.phase}, ${w.inFlight} in flight, ` +
      `${s.indexed} indexed, ${s.deadLettered} dead-lettered, ${s.released} released · circuits: ${breakers}`
    );
  });
}
