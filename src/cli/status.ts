import type { Command } from 'commander';
import { loadCliConfig, printJson, withRuntime } from './context.js';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('queue depth, messages in flight, dead-letter queue depth, documents indexed')
    .option('--json', 'print JSON for scripts')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const config = loadCliConfig(cmd, { LOG_LEVEL: 'silent' });
      const status = await withRuntime(config, async (rt) => {
        const [queue, dlq, documents] = await Promise.all([rt.queue.depth(), rt.dlq.depth(), rt.index.count()]);
        return { mode: config.mode, home: config.mode === 'embedded' ? config.home : undefined, queue, dlq, documents };
      });
      if (opts.json === true) {
        printJson(status);
        return;
      }
      const q = status.queue;
      const d = status.dlq;
      process.stdout.write(
        [
          `mode         ${status.mode}${status.home === undefined ? '' : ` (${status.home})`}`,
          `queue        ${q.visible} waiting, ${q.inFlight} in flight, ${q.delayed} delayed`,
          `dead-letter  ${d.visible + d.inFlight + d.delayed} message(s)`,
          `documents    ${status.documents} indexed`,
          '',
        ].join('\n'),
      );
    });
}
