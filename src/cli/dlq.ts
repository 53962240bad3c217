import { InvalidArgumentError, type Command } from 'commander';
import { analyzeDlq, type DlqAnalysis } from '../app/analyze-dlq.js';
import { archiveDlq, parseArchiveUrl, type ArchiveTarget } from '../app/archive-dlq.js';
import { parseDuration, type DlqFilter } from '../app/dlq-messages.js';
import { redriveDlq, type RedriveSummary } from '../app/redrive-dlq.js';
import { reprocessDlq } from '../app/reprocess-dlq.js';
import type { MessageMoveResult } from '../ports/queue.port.js';
import { loadCliConfig, parsePositiveInt, printJson, withRuntime } from './context.js';

/** `filesearch dlq analyze|redrive|archive`: the dead-letter queue, through the Queue and ObjectStore ports. */
export function registerDlq(program: Command): void {
  const dlq = program.command('dlq').description('inspect, redrive or archive the dead-letter queue (works on both backends)');

  dlq
    .command('analyze')
    .description('counts by reason, error type, extension and hour, with sample bodies; consumes nothing')
    .option('--json', 'print JSON for scripts')
    .option('--samples <n>', 'sample bodies per reason', usage(parseNonNegativeInt('--samples')), 3)
    .action(async (opts: { json?: boolean; samples: number }, cmd: Command) => {
      const config = loadCliConfig(cmd, { LOG_LEVEL: 'silent' });
      const analysis = await withRuntime(config, (rt) => analyzeDlq(rt.dlq, { samplesPerReason: opts.samples }));
      if (opts.json === true) printJson(analysis);
      else process.stdout.write(formatAnalysis(analysis));
    });

  dlq
    .command('redrive')
    .description('send dead-lettered messages back to the source queue (body unchanged), then delete them from the DLQ; on SQS with no filter, an SQS message move task does it')
    .option('--reason <reason>', 'only this reason (e.g. object_not_found)')
    .option('--type <type>', 'only this error type (permanent, transient, fatal)')
    .option('--older-than <duration>', 'only messages that last failed at least this long ago (90s, 15m, 1h, 2d)', usage(parseDuration))
    .option('--rate <n>', 'messages per second at most', usage(parsePositiveInt('--rate')))
    .option('--dry-run', 'count what would move, move nothing')
    .option('--no-move-task', 'SQS: receive, send and delete even when nothing is filtered, instead of a message move task')
    .option('--json', 'print JSON for scripts')
    .action(async (opts: FilterOptions & { rate?: number; dryRun?: boolean; moveTask: boolean; json?: boolean }, cmd: Command) => {
      const config = loadCliConfig(cmd, { LOG_LEVEL: 'silent' });
      const progress = opts.json !== true && process.stderr.isTTY;
      const summary = await withRuntime(config, (rt) =>
        redriveDlq(rt.dlq, rt.queue, {
          filter: toFilter(opts),
          dryRun: opts.dryRun === true,
          useMoveTask: opts.moveTask,
          ...(opts.rate === undefined ? {} : { ratePerSecond: opts.rate }),
          ...(progress ? { onMoveProgress: (p: MessageMoveResult) => process.stderr.write(`\rmove task ${p.status}: ${p.moved}${p.toMove === undefined ? '' : ` of ${p.toMove}`} moved `) } : {}),
        }),
      );
      if (progress && summary.method === 'move-task') process.stderr.write('\n');
      printRedrive(summary, opts.json === true);
    });

  dlq
    .command('reprocess')
    .description('redrive only recoverable failures (transient, extraction_timeout), each at most --max-redrives times')
    .option('--max-redrives <n>', 'skip messages already redriven this many times (redriveCount attribute)', usage(parsePositiveInt('--max-redrives')), 3)
    .option('--rate <n>', 'messages per second at most', usage(parsePositiveInt('--rate')))
    .option('--dry-run', 'count what would move, move nothing')
    .option('--json', 'print JSON for scripts')
    .action(async (opts: { maxRedrives: number; rate?: number; dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const config = loadCliConfig(cmd, { LOG_LEVEL: 'silent' });
      const summary = await withRuntime(config, (rt) =>
        reprocessDlq(rt.dlq, rt.queue, {
          maxRedrives: opts.maxRedrives,
          dryRun: opts.dryRun === true,
          ...(opts.rate === undefined ? {} : { ratePerSecond: opts.rate }),
        }),
      );
      printRedrive(summary, opts.json === true, summary.overCap);
    });

  dlq
    .command('archive')
    .description('write permanent failures (or --reason) as JSON Lines to s3://bucket/prefix, then delete them from the DLQ')
    .requiredOption('--to <url>', 's3://bucket/prefix (embedded mode: a registered folder bucket)', usage(parseArchiveUrl))
    .option('--reason <reason>', 'archive this reason instead of every permanent failure')
    .option('--json', 'print JSON for scripts')
    .action(async (opts: { to: ArchiveTarget; reason?: string; json?: boolean }, cmd: Command) => {
      const target = opts.to;
      const config = loadCliConfig(cmd, { LOG_LEVEL: 'silent' });
      const summary = await withRuntime(config, (rt) =>
        archiveDlq(rt.dlq, rt.store, target, { filter: opts.reason === undefined ? { errorType: 'permanent' } : { reason: opts.reason } }),
      );
      if (opts.json === true) printJson(summary);
      else {
        process.stdout.write(`archived: ${summary.archived}${countsText(summary.byReason)}${summary.location === undefined ? '' : ` → ${summary.location}`}\n`);
        process.stdout.write(`left in the DLQ: ${summary.skipped} not matching${summary.notDeleted > 0 ? `, ${summary.notDeleted} archived but not deleted` : ''}\n`);
        if (summary.duplicatesDeleted > 0) process.stdout.write(`duplicate copies deleted: ${summary.duplicatesDeleted} (one line each in the archive)\n`);
      }
      if (summary.notDeleted > 0) process.exitCode = 1;
    });
}

function printRedrive(summary: RedriveSummary, json: boolean, overCap?: number): void {
  if (json) printJson(summary);
  else {
    const verb = summary.dryRun ? 'would redrive' : 'redriven';
    const capped = overCap === undefined || overCap === 0 ? '' : `, ${overCap} over the redrive cap`;
    const task = summary.moveTask;
    const how = task === undefined ? countsText(summary.byReason) : ` by SQS message move task ${task.handle} (${task.status})`;
    process.stdout.write(`${verb}: ${summary.dryRun ? summary.matched : summary.redriven}${how}\nleft in the DLQ: ${summary.skipped} not matching${capped}\n`);
    if ((summary.duplicatesDeleted ?? 0) > 0) process.stdout.write(`duplicate copies deleted: ${summary.duplicatesDeleted ?? 0} (sent back once)\n`);
    if (summary.moveTaskSkipped !== undefined) process.stdout.write(`no move task (${summary.moveTaskSkipped}): received, sent and deleted instead\n`);
    for (const f of summary.failures) process.stdout.write(`failed (${f.stage}) ${f.messageId}: ${f.message}\n`);
  }
  if (summary.failures.length > 0) process.exitCode = 1;
}

interface FilterOptions {
  readonly reason?: string;
  readonly type?: string;
  readonly olderThan?: number;
}

function toFilter(opts: FilterOptions): DlqFilter {
  return {
    ...(opts.reason === undefined ? {} : { reason: opts.reason }),
    ...(opts.type === undefined ? {} : { errorType: opts.type }),
    ...(opts.olderThan === undefined ? {} : { olderThanMs: opts.olderThan }),
  };
}

/** A value parser whose complaint is a usage error (exit 2), not a failure. */
function usage<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (err) {
      throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
    }
  };
}

function parseNonNegativeInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number ≥ 0 (got ${value})`);
    return n;
  };
}

function countsText(counts: Record<string, number>): string {
  const parts = Object.entries(counts).map(([k, n]) => `${k} ${n}`);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

function formatAnalysis(a: DlqAnalysis): string {
  if (a.total === 0) return 'The dead-letter queue is empty.\n';
  const lines = [`${a.total} message(s) in the dead-letter queue, last failures ${a.oldest ?? '?'} … ${a.newest ?? '?'}`];
  if (a.duplicates > 0) lines.push(`(plus ${a.duplicates} duplicate copies: messages dead-lettered twice after a crash; redrive and archive handle each once)`);
  lines.push('');
  const table = (title: string, counts: Record<string, number>): void => {
    const width = Math.max(title.length, ...Object.keys(counts).map((k) => k.length));
    lines.push(`${title.padEnd(width)}  count`, `${'-'.repeat(width)}  -----`);
    for (const [k, n] of Object.entries(counts)) lines.push(`${k.padEnd(width)}  ${String(n).padStart(5)}`);
    lines.push('');
  };
  table('reason', a.byReason);
  table('error type', a.byErrorType);
  table('extension', a.byExtension);
  table('hour (UTC)', a.byHour);
  for (const [reason, samples] of Object.entries(a.samples)) {
    if (samples.length === 0) continue;
    lines.push(`samples: ${reason}`);
    for (const s of samples) lines.push(`  ${s.messageId}  ${JSON.stringify(s.body.length > 200 ? `${s.body.slice(0, 200)}…` : s.body)}`);
    lines.push('');
  }
  if (a.notReleased > 0) lines.push(`warning: ${a.notReleased} message(s) could not be released; they reappear when their hold expires`, '');
  return lines.join('\n');
}
