import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../domain/errors.js';
import type { ExtractionSettings } from '../ports/extractor.port.js';
import { configHints, configKeys, configSchema, type ConfigKey, type ConfigValues } from './schema.js';

export const Modes = { Embedded: 'embedded', Aws: 'aws' } as const;
export type Mode = (typeof Modes)[keyof typeof Modes];

export type OpenSearchAuth =
  | { readonly kind: 'none' }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'sigv4'; readonly region: string; readonly service: 'es' | 'aoss' };

export interface Config extends ConfigValues {
  readonly mode: Mode;
  /** FILESEARCH_HOME resolved to an absolute path. */
  readonly home: string;
  readonly maxFileBytes: number;
  readonly processingTimeoutMs: number;
  /** OPENSEARCH_AUTH resolved (auto → sigv4 / basic / none). */
  readonly openSearchAuth: OpenSearchAuth;
  /** Where the settings came from, for `preflight` and logs (never the values of secrets). */
  readonly sources: readonly string[];
}

export interface LoadConfigOptions {
  /** Usually process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A JSON file with the same keys (e.g. {"MAX_WORKERS": 4}). */
  readonly file?: string;
  /** Highest precedence: values from CLI flags, already mapped to schema keys. */
  readonly overrides?: Partial<Record<ConfigKey, string | number | boolean>>;
  readonly cwd?: string;
}

function readFileSource(file: string, problems: string[]): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    problems.push(`config file ${file}: cannot be read (${(err as Error).message}). Fix: pass an existing file to --config / FILESEARCH_CONFIG.`);
    return {};
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    const obj = parsed as Record<string, unknown>;
    for (const k of Object.keys(obj)) {
      if (!(configKeys as string[]).includes(k)) problems.push(`config file ${file}: unknown key ${k}. Fix: use one of ${configKeys.join(', ')}.`);
    }
    return obj;
  } catch (err) {
    problems.push(`config file ${file}: not valid JSON (${(err as Error).message}). Fix: write a JSON object such as {"MAX_WORKERS": 4}.`);
    return {};
  }
}

function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

function crossFieldProblems(c: ConfigValues): string[] {
  const problems: string[] = [];
  for (const key of ['SQS_QUEUE_URL', 'DLQ_QUEUE_URL', 'OPENSEARCH_ENDPOINT', 'SQS_ENDPOINT', 'S3_ENDPOINT'] as const) {
    const v = c[key];
    if (v !== undefined && !isHttpUrl(v)) problems.push(`${key}: not an http(s) URL (got ${JSON.stringify(v)}). Fix: use the full URL, e.g. https://…`);
  }
  if (c.OPENSEARCH_AUTH === 'basic' && (c.OPENSEARCH_USERNAME === undefined || c.OPENSEARCH_PASSWORD === undefined)) {
    problems.push('OPENSEARCH_AUTH: basic needs OPENSEARCH_USERNAME and OPENSEARCH_PASSWORD. Fix: set both, or use OPENSEARCH_AUTH=sigv4 for Amazon OpenSearch Service.');
  }
  if (c.SQS_QUEUE_URL !== undefined) {
    if (c.AWS_REGION === undefined) problems.push('AWS_REGION: required when SQS_QUEUE_URL is set. Fix: export AWS_REGION=ap-northeast-1 (your region).');
    if (c.DLQ_QUEUE_URL === undefined) problems.push('DLQ_QUEUE_URL: required when SQS_QUEUE_URL is set (permanent failures are sent there). Fix: set it to the dead-letter queue URL.');
    if (c.OPENSEARCH_ENDPOINT === undefined) problems.push('OPENSEARCH_ENDPOINT: required when SQS_QUEUE_URL is set. Fix: set it to https://<domain endpoint>.');
  } else {
    const stray = (['DLQ_QUEUE_URL', 'OPENSEARCH_ENDPOINT'] as const).filter((k) => c[k] !== undefined);
    if (stray.length > 0) {
      problems.push(`${stray.join(', ')}: set without SQS_QUEUE_URL, so the worker would silently run embedded. Fix: also set SQS_QUEUE_URL, or unset ${stray.join(' and ')}.`);
    }
  }
  return problems;
}

/** Parses env + file + overrides into one frozen Config, or throws ConfigError listing every problem. */
const SECRET_KEYS: ReadonlySet<string> = new Set(['HTTP_TOKEN', 'OPENSEARCH_PASSWORD', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']);

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? {};
  const cwd = options.cwd ?? process.cwd();
  const problems: string[] = [];
  const sources: string[] = ['defaults'];

  const file = options.file ?? env['FILESEARCH_CONFIG'];
  const fromFile = file !== undefined && file !== '' ? readFileSource(path.resolve(cwd, file), problems) : {};
  if (file !== undefined && file !== '') sources.push(`file:${file}`);

  const fromEnv: Record<string, unknown> = {};
  for (const k of configKeys) {
    const v = env[k];
    if (v !== undefined) fromEnv[k] = v;
  }
  if (Object.keys(fromEnv).length > 0) sources.push('env');
  const overrides = Object.fromEntries(Object.entries(options.overrides ?? {}).filter(([, v]) => v !== undefined));
  if (Object.keys(overrides).length > 0) sources.push('flags');

  const parsed = configSchema.safeParse({ ...fromFile, ...fromEnv, ...overrides });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? '?') as ConfigKey;
      const raw = { ...fromFile, ...fromEnv, ...overrides }[key];
      const hint = configHints[key];
      // A secret's value is never repeated back (errors end up in logs and terminals).
      const got = SECRET_KEYS.has(key) ? `a value of ${String(raw).length} characters` : JSON.stringify(raw);
      problems.push(`${key}: ${issue.message} (got ${got}).${hint === undefined ? '' : ` Fix: set ${key} to ${hint}.`}`);
    }
  } else {
    problems.push(...crossFieldProblems(parsed.data));
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);

  const v = parsed.data;
  return Object.freeze({
    ...v,
    mode: v.SQS_QUEUE_URL === undefined ? Modes.Embedded : Modes.Aws,
    home: path.resolve(cwd, v.FILESEARCH_HOME),
    maxFileBytes: Math.floor(v.MAX_FILE_SIZE_MB * 1024 * 1024),
    processingTimeoutMs: Math.round(v.PROCESSING_TIMEOUT * 1000),
    openSearchAuth: resolveOpenSearchAuth(v),
    sources: Object.freeze(sources),
  });
}

function resolveOpenSearchAuth(v: ConfigValues): OpenSearchAuth {
  const host = v.OPENSEARCH_ENDPOINT === undefined ? '' : new URL(v.OPENSEARCH_ENDPOINT).hostname;
  const aws = /\.(es|aoss)\.amazonaws\.com(\.cn)?$/.exec(host);
  const kind = v.OPENSEARCH_AUTH !== 'auto' ? v.OPENSEARCH_AUTH : aws !== null ? 'sigv4' : v.OPENSEARCH_USERNAME !== undefined ? 'basic' : 'none';
  if (kind === 'basic') return { kind, username: v.OPENSEARCH_USERNAME ?? '', password: v.OPENSEARCH_PASSWORD ?? '' };
  if (kind === 'sigv4') return { kind, region: v.AWS_REGION ?? 'us-east-1', service: aws?.[1] === 'aoss' ? 'aoss' : 'es' };
  return { kind: 'none' };
}

/** The only place that reads the process environment. */
export function loadConfigFromProcess(options: Omit<LoadConfigOptions, 'env'> = {}): Config {
  return loadConfig({ ...options, env: process.env });
}

/** The extraction settings (plain data) that the extractors and the pool's children are built from. */
export function extractionSettings(config: Config): ExtractionSettings {
  return {
    pdfEngine: config.PDF_ENGINE,
    timeoutMs: config.processingTimeoutMs,
    maxBytes: config.maxFileBytes,
    maxPages: config.MAX_PAGES,
    maxImagePixels: config.MAX_IMAGE_PIXELS,
    maxDecompressedBytes: Math.floor(config.MAX_DECOMPRESSED_MB * 1024 * 1024),
    ocr: { mode: config.OCR, languages: config.OCR_LANGUAGES, dpi: config.OCR_DPI },
  };
}
