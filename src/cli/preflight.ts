import type { Command } from 'commander';
import { detectOcrCapabilities } from '../adapters/extract/ocr/tesseract.js';
import { runPreflight, type CheckResult, type PreflightReport } from '../app/preflight.js';
import type { Config } from '../config/config.js';
import { createRuntime, type Runtime } from '../composition/index.js';
import { ConfigError } from '../domain/errors.js';
import { loadCliConfig } from './context.js';

/** How long the clients get to close once the report is out. */
const CLOSE_GRACE_MS = 1_000;

/**
 * The checks for this configuration and runtime (which must be built with `ensureIndex: false`),
 * or, when the runtime could not be opened, for everything else plus why it could not.
 */
export function preflight(rt: Runtime | { readonly openFailed: unknown }, config: Config): Promise<PreflightReport> {
  return runPreflight({
    mode: config.mode,
    describeConfig:
      config.mode === 'embedded'
        ? `embedded, state in ${config.home}`
        : `aws (${config.AWS_REGION ?? '?'}), index ${config.OPENSEARCH_INDEX} at ${config.OPENSEARCH_ENDPOINT ?? '?'}`,
    backends:
      'openFailed' in rt
        ? rt
        : { queue: rt.queue, dlq: rt.dlq, index: rt.index, store: rt.store, ...(rt.checkCredentials === undefined ? {} : { credentials: rt.checkCredentials }) },
    ...(config.S3_BUCKET === undefined ? {} : { bucket: config.S3_BUCKET }),
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
    .description('check configuration, credentials, queue, DLQ, bucket, index, OCR and PDF tools, temp dir, disk and memory; exit 1 on any FAIL')
    .option('--json', 'print JSON for scripts')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const config = loadCliConfig(cmd, { LOG_LEVEL: 'silent' });
      const rt = await createRuntime(config, { ensureIndex: false }).catch((err: unknown) => {
        if (err instanceof ConfigError) throw err;
        return { openFailed: err };
      });
      const closeWithinGrace = () => ('close' in rt ? Promise.race([rt.close(), new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref())]) : undefined);
      const report = await preflight(rt, config).catch(async (err: unknown) => {
        await closeWithinGrace();
        throw err;
      });
      await write(opts.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatPreflight(report));
      await closeWithinGrace();
      // A check that timed out leaves its request running inside its client (the AWS SDK's
      // destroy() and OpenSearch's close() wait for in-flight requests, for minutes with their
      // own retries). The answer is out, so a one-shot command leaves now instead of waiting.
      process.exit(report.ok ? 0 : 1);
    });
}

function write(text: string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve())));
}
