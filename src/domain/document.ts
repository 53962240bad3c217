import { createHash } from 'node:crypto';
import path from 'node:path';
import type { ObjectEvent } from './events.js';
import { capText, guessLanguage, normalizeText, type Language } from './text.js';

/** One indexed object. Field names are the index schema; both index adapters store exactly these. */
export interface SearchDocument {
  readonly id: string;
  readonly bucket: string;
  readonly key: string;
  readonly fileName: string;
  readonly extension: string;
  readonly mimeType: string;
  readonly size: number;
  readonly etag?: string;
  readonly versionId?: string;
  readonly sequencer?: string;
  readonly lastModified?: string;
  readonly content: string;
  readonly truncated: boolean;
  readonly charCount: number;
  readonly pageCount?: number;
  readonly language: Language;
  readonly title?: string;
  readonly author?: string;
  readonly ocrUsed: boolean;
  readonly metadataOnly: boolean;
  readonly extractor: string;
  readonly typeMismatch?: string;
  readonly warnings: readonly string[];
  readonly processingMs: number;
  readonly indexedAt: string;
}

/** Deterministic id: a re-delivered message overwrites its document instead of duplicating it. */
export function documentId(bucket: string, key: string): string {
  return createHash('sha256').update(bucket).update('\0').update(key).digest('hex').slice(0, 40);
}

export function fileNameOf(key: string): string {
  return path.posix.basename(key);
}

export function extensionOf(key: string): string {
  const ext = path.posix.extname(fileNameOf(key));
  return ext.length > 1 ? ext.slice(1).toLowerCase() : '';
}

export interface DocumentInputs {
  readonly event: ObjectEvent;
  readonly object: { readonly size: number; readonly etag?: string; readonly versionId?: string; readonly lastModified?: Date };
  readonly mimeType: string;
  readonly typeMismatch?: string;
  readonly extraction: {
    readonly text: string;
    readonly title?: string;
    readonly author?: string;
    readonly pageCount?: number;
    readonly ocrUsed: boolean;
    readonly metadataOnly: boolean;
    readonly extractor: string;
    readonly warnings: readonly string[];
  };
  readonly maxChars: number;
  readonly processingMs: number;
  readonly now: Date;
}

export function buildDocument(i: DocumentInputs): SearchDocument {
  const { event, object, extraction } = i;
  const normalized = normalizeText(extraction.text);
  const { text, truncated } = capText(normalized, i.maxChars);
  const optional = {
    etag: object.etag ?? event.etag,
    versionId: object.versionId ?? event.versionId,
    sequencer: event.sequencer,
    lastModified: object.lastModified?.toISOString(),
    pageCount: extraction.pageCount,
    title: extraction.title === undefined ? undefined : normalizeText(extraction.title) || undefined,
    author: extraction.author === undefined ? undefined : normalizeText(extraction.author) || undefined,
    typeMismatch: i.typeMismatch,
  };
  const defined = Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined));
  return {
    id: documentId(event.bucket, event.key),
    bucket: event.bucket,
    key: event.key,
    fileName: fileNameOf(event.key),
    extension: extensionOf(event.key),
    mimeType: i.mimeType,
    size: object.size,
    content: text,
    truncated,
    charCount: [...text].length,
    language: guessLanguage(text),
    ocrUsed: extraction.ocrUsed,
    metadataOnly: extraction.metadataOnly,
    extractor: extraction.extractor,
    warnings: [...extraction.warnings],
    processingMs: Math.round(i.processingMs),
    indexedAt: i.now.toISOString(),
    ...defined,
  };
}
