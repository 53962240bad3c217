import type { Command } from 'commander';
import { detectOcrCapabilities } from '../adapters/extract/ocr/tesseract.js';
import { runPreflight, type CheckResult, type PreflightReport } from '../app/preflight.js';
import type { Config } from '../config/config.js';
import type { Runtime } from '../composition/runtime.js';
import { loadCliConfig, printJson, withRuntime } from './context.js';

/** The checks for this configuration and runtime (which must be built with `ensureIndex: false`). */
export function preflight(rt: Runtime, config: Config): Promise<PreflightReport> {
  return runPreflight({
    mode: config.mode,
    describeConfig:
      config.mode === 'embedded'
        ? `embedded, state in ${config.home}`
        : `aws (${config.AWS_REGION ?? '?'}), index ${config.OPENSEARCH_INDEX} at ${config.OPENSEARCH_ENDPOINT ?? '?'}`,
    queue: rt.queue,
    dlq: rt.dlq,
    index: rt.index,
    store: rt.store,
    ...(config.S3_BUCKET === undefined ? {} : { bucket: config.S3_BUCKET }),
    ...(rt.checkCredentials === undefined ? {} : { credentials: rt.checkCredentials }),
    ocr: { mode: config.OCR, languages: config.OCR_LANGUAGES, detect: () => detectOcrCapabilities() },
    pdfEngine: config.PDF_ENGINE,
    tempDir: config.TEMP_DIR,
    maxFileBytes: config.maxFileBytes,
    extractionMemoryBytes: config.EXTRACT_POOL_SIZE * config.EXTRACT_MEMORY_MB * 1024 * 1024,
  });
}

export function formatPreflight(report: PreflightReport): string {
  const rows: string[][] = [['check', 'status', 'detail', 'fix'], ...report.checks.map((c: CheckResult) => [c.check, c.status, c.detail, c.fix ?? ''])];
  const widths = [0, 1, 2].map((i) => Math.min(60, Math.max(...rows.map((r) => (r[i] ?? '').length))));
  const line = (r: string[]) => r.map((cell, i) => (i < 3 ? cell.padEnd(widths[i] ?? 0) : cell)).join('  ').trimEnd();
  const failed = report.checks.filter((c) => c.status === 'FAIL').length;
  const warned = report.checks.filter((c) => c.status === 'WARN').length;
  const verdict = failed > 0 ? `FAIL: ${failed} check(s) failed` : `ready${warned > 0 ? ` (${warned} warning(s))` : ''}`;
  return `${[line(rows[0] ?? []), ...rows.slice(1).map(line)].join('\n')}\n\n${verdict}\n`;
}

export function registerPreflight(program: Command): void {
  program
    .command('preflight')
    .description('check configuration, credentials, queue, DLQ, bucket, index, OCR tools, temp dir, disk and memory; exit 1 on any FAIL')
    .option('--json', 'print JSON for scripts')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const config = loadCliConfig(cmd, { LOG_LEVEL: 'silent' });
      const report = await withRuntime(config, (rt) => preflight(rt, config), { ensureIndex: false });
      if (opts.json === true) printJson(report);
      else process.stdout.write(formatPreflight(report));
      if (!report.ok) process.exitCode = 1;
    });
}
