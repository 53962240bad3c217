import os from 'node:os';
import { z } from 'zod';

/**
 * The one configuration schema. Keys are the seeds' environment variable names (SPEC §5), so
 * the same names work in the environment, in a config file and in error messages. Defaults
 * are the seeds' production values where they gave one.
 */

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const num = (min: number, max: number) => z.coerce.number().min(min).max(max);
const optionalString = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();
const bool = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');

export const configSchema = z.object({
  // --- where it runs: absent AWS settings mean embedded mode ---
  AWS_REGION: optionalString,
  SQS_QUEUE_URL: optionalString,
  DLQ_QUEUE_URL: optionalString,
  S3_BUCKET: optionalString,
  OPENSEARCH_ENDPOINT: optionalString,
  OPENSEARCH_INDEX: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lower case letters, digits, . _ - (an OpenSearch index name)')
    .default('file-index'),
  /** `auto`: SigV4 for *.amazonaws.com endpoints, basic when OPENSEARCH_USERNAME is set, else none. */
  OPENSEARCH_AUTH: z.enum(['auto', 'none', 'basic', 'sigv4']).default('auto'),
  OPENSEARCH_USERNAME: optionalString,
  OPENSEARCH_PASSWORD: optionalString,
  /** `auto` uses kuromoji when the cluster has the plugin (ranking only; matching is identical). */
  OPENSEARCH_ANALYZER: z.enum(['auto', 'kuromoji', 'standard']).default('auto'),
  /** Custom endpoints: VPC endpoints, or S3/SQS-compatible servers in tests. */
  SQS_ENDPOINT: optionalString,
  S3_ENDPOINT: optionalString,
  S3_FORCE_PATH_STYLE: bool.default(false),
  FILESEARCH_HOME: z.string().trim().min(1).default('.filesearch'),

  // --- queue ---
  SQS_MAX_MESSAGES: int(1, 10).default(10),
  SQS_WAIT_TIME: int(0, 20).default(20),
  SQS_VISIBILITY_TIMEOUT: int(1, 43_200).default(300),
  MAX_RECEIVE_COUNT: int(1, 1000).default(3),

  // --- processing ---
  MAX_WORKERS: int(1, 256).default(Math.max(1, os.availableParallelism())),
  MAX_RETRIES: int(0, 20).default(3),
  INITIAL_RETRY_DELAY: num(0, 600).default(2),
  /** Consecutive failed calls to a downstream (index, object store) that open its circuit. */
  CIRCUIT_BREAKER_THRESHOLD: int(1, 1_000).default(5),
  /** Seconds an open circuit waits before one probe call is let through. */
  CIRCUIT_BREAKER_COOLDOWN: num(0.1, 3_600).default(30),
  MAX_FILE_SIZE_MB: num(0.001, 100_000).default(100),
  PROCESSING_TIMEOUT: num(1, 43_200).default(300),
  MAX_CONTENT_CHARS: int(1_000, 100_000_000).default(1_000_000),
  PDF_ENGINE: z.enum(['auto', 'poppler', 'pdfjs']).default('auto'),
  MAX_PAGES: int(1, 100_000).default(2_000),
  MAX_IMAGE_PIXELS: int(1, 2_000_000_000).default(150_000_000),
  MAX_DECOMPRESSED_MB: num(1, 100_000).default(1_024),
  /** `auto`: OCR scans and images when tesseract + languages are installed; `off`: metadata only. */
  OCR: z.enum(['auto', 'off']).default('auto'),
  OCR_LANGUAGES: z
    .string()
    .trim()
    .regex(/^[a-z_]+(\+[a-z_]+)*$/, 'must be tesseract language codes joined by +, e.g. jpn+eng')
    .default('jpn+eng'),
  OCR_DPI: int(72, 600).default(300),
  /** Extraction child processes; default one per CPU core. */
  EXTRACT_POOL_SIZE: int(1, 64).default(Math.max(1, os.availableParallelism())),
  /** Heap cap of each extraction child process. */
  EXTRACT_MEMORY_MB: int(128, 65_536).default(1_024),
  TEMP_DIR: z.string().trim().min(1).default(os.tmpdir()),

  // --- bulk indexing: flush by count, bytes or time ---
  BULK_MAX_DOCUMENTS: int(1, 10_000).default(100),
  // A bulk request carries ~2.3× the content bytes (content + token text); 4 MiB stays under the
  // 10 MiB request limit of small Amazon OpenSearch instances.
  BULK_MAX_BYTES: int(1_024, 100 * 1024 * 1024).default(4 * 1024 * 1024),
  BULK_FLUSH_MS: int(0, 60_000).default(250),
  /**
   * Messages processed at once: their downloads, index requests and deletes overlap (network
   * round trips, not CPU); at most MAX_WORKERS of them are extracted at a time.
   */
  MAX_IN_FLIGHT: int(1, 1_024).default(32),
  /** Receive the next batch while the current one is processed; `false` mimics the old worker (benchmarks). */
  PREFETCH: bool.default(true),

  // --- operations ---
  /** Seconds a stopping worker waits for in-flight messages before it releases the rest (visibility 0). */
  DRAIN_TIMEOUT: num(0, 3_600).default(60),
  /** The worker's /healthz, /readyz and /metrics; `off` disables them, 0 picks a free port. */
  HTTP_PORT: z.union([z.literal('off'), int(0, 65_535)]).default(9400),
  HTTP_HOST: z.string().trim().min(1).default('127.0.0.1'),
  /**
   * Required by the web app (`serve`, `run --http`) when HTTP_HOST is not a loopback address:
   * `Authorization: Bearer <token>` or the login form. When set, /metrics needs it too.
   */
  HTTP_TOKEN: z
    .string()
    .trim()
    .transform((s) => (s === '' ? undefined : s))
    .pipe(z.string().min(16).optional())
    .optional(),
  /** CloudWatch Embedded Metric Format lines on stdout: `auto` = on in AWS mode. */
  METRICS_EMF: z.enum(['auto', 'on', 'off']).default('auto'),
  METRICS_NAMESPACE: z.string().trim().min(1).max(255).default('FileSearch/Worker'),
  METRICS_EMF_INTERVAL: num(1, 3_600).default(60),
  /** The WorkerId metric dimension and DLQ attribute; default: host name. Keep it stable per machine. */
  WORKER_ID: optionalString,
  /** IMDSv2 polling for Spot interruption and Auto Scaling termination notices (the SDK's names). */
  AWS_EC2_METADATA_DISABLED: bool.default(false),
  AWS_EC2_METADATA_SERVICE_ENDPOINT: z.string().trim().url().default('http://169.254.169.254'),
  /** The termination lifecycle hook the worker completes (CONTINUE) after draining; both or neither. */
  ASG_NAME: optionalString,
  LIFECYCLE_HOOK_NAME: optionalString,
  /** Tests: an Auto Scaling-API endpoint. */
  AUTOSCALING_ENDPOINT: optionalString,
  /** Receiving pauses while free disk in TEMP_DIR is below this, or memory use above MAX_MEMORY_PERCENT. */
  MIN_FREE_DISK_MB: num(0, 10_000_000).default(1_024),
  MAX_MEMORY_PERCENT: num(1, 100).default(90),

  // --- logs ---
  LOG_LEVEL: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .default('info'),
  LOG_PRETTY: bool.default(false),
});

export type ConfigInput = z.input<typeof configSchema>;
export type ConfigValues = z.output<typeof configSchema>;
export type ConfigKey = keyof ConfigValues;

export const configKeys = Object.keys(configSchema.shape) as ConfigKey[];

/** One-line hints printed with a validation problem: what a valid value looks like. */
export const configHints: Partial<Record<ConfigKey, string>> = {
  SQS_MAX_MESSAGES: 'a whole number from 1 to 10 (SQS returns at most 10 per receive)',
  SQS_WAIT_TIME: 'a whole number of seconds from 0 to 20 (SQS long polling maximum)',
  SQS_VISIBILITY_TIMEOUT: 'whole seconds from 1 to 43200 (12 h), longer than a file takes to process',
  MAX_WORKERS: 'a whole number from 1 to 256; default is the number of CPU cores',
  MAX_FILE_SIZE_MB: 'a size in megabytes, e.g. 100',
  PROCESSING_TIMEOUT: 'seconds a single file may take, e.g. 300',
  LOG_LEVEL: 'one of fatal, error, warn, info, debug, trace, silent',
  HTTP_PORT: "a port from 0 to 65535 (0 = any free port), or 'off'",
  HTTP_TOKEN: 'a secret of at least 16 characters, e.g. the output of `openssl rand -hex 24`',
  DRAIN_TIMEOUT: 'seconds to finish in-flight work on SIGTERM, e.g. 60 (keep systemd TimeoutStopSec longer)',
  AWS_EC2_METADATA_SERVICE_ENDPOINT: 'a URL, e.g. http://169.254.169.254',
  CIRCUIT_BREAKER_THRESHOLD: 'a whole number of consecutive failures, e.g. 5',
  CIRCUIT_BREAKER_COOLDOWN: 'seconds an open circuit waits before probing, e.g. 30',
  PDF_ENGINE: "'auto' (poppler when installed, else pdf.js), 'poppler' or 'pdfjs'",
};
