// Types of workloads.mjs for the TypeScript tests (test/unit/bench-workloads.test.ts).

export type WorkloadName = 'text-heavy' | 'ocr-heavy' | 'mixed';
export type WorkloadCategory = 'text' | 'pdf-text' | 'office' | 'scan' | 'image';
export type GeneratedEncoding = 'utf-8' | 'utf-8-bom' | 'shift_jis' | 'euc-jp' | 'iso-2022-jp';

export interface WorkloadFile {
  /** Relative to the workload folder, `/`-separated; folder and file names may be Japanese and contain spaces. */
  readonly path: string;
  readonly category: WorkloadCategory;
  readonly bytes: number;
  /** Corpus copies: the corpus-relative path of the (byte-identical) source, e.g. `pdf-text/pdfjs_vertical.pdf`. */
  readonly source?: string;
  /** Generated text/CSV: the encoding the file is written in. */
  readonly encoding?: GeneratedEncoding;
  /** Generated text/CSV: a token (`tok-000042`) that occurs in this file only. */
  readonly token?: string;
}

export interface Workload {
  readonly name: WorkloadName;
  /** Absolute (real) path of the workload folder. */
  readonly dir: string;
  readonly files: readonly WorkloadFile[];
  /** Sum of the files' sizes. */
  readonly bytes: number;
  /** Every category, with 0 for the absent ones. */
  readonly byCategory: Readonly<Record<WorkloadCategory, number>>;
  readonly count: number;
  readonly seed: number;
  /** sha256 over the generator version, name, count, seed and the corpus files' contents. */
  readonly fingerprint: string;
  /** True when an existing, intact folder with the same fingerprint was reused without writing. */
  readonly reused: boolean;
}

export interface BuildOptions {
  /** Defaults to DEFAULT_COUNTS[name]. */
  count?: number;
  /** Defaults to 1. */
  seed?: number;
  /** The corpus folder; else FILESEARCH_CORPUS, else ../shared/corpus. */
  corpus?: string;
}

export const DEFAULT_COUNTS: Readonly<Record<WorkloadName, number>>;
export const CATEGORIES: readonly WorkloadCategory[];
export function buildWorkload(name: WorkloadName, dir: string, options?: BuildOptions): Promise<Workload>;
/** Resolves the corpus folder (one with MANIFEST.tsv) or throws with a clear message. */
export function corpusDir(explicit?: string): string;
