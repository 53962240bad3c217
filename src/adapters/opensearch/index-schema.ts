import type { Client } from '@opensearch-project/opensearch';
import { ErrorCodes, FatalError } from '../../domain/errors.js';
import { responseOf, toIndexError } from './opensearch-errors.js';

/**
 * Settings, mappings and analyzer detection of the OpenSearch index.
 *
 * Matching runs on the `tokens.*` fields: text pre-tokenised in JS exactly like the embedded
 * index (token-text.ts), split on spaces by `fs_tokens`, so a Japanese query is a phrase of
 * single characters and both adapters find the same files. Ranking additionally uses `content`
 * analysed by kuromoji (or CJK bigrams without the plugin) as an optional clause: it reorders,
 * it never decides what matches. `tokens` is left out of `_source` so no text is stored twice.
 */

export type AnalyzerOption = 'auto' | 'kuromoji' | 'standard';
/** What the index ranks Japanese content with. `standard`: an existing index with neither. */
export type Analysis = 'kuromoji' | 'cjk_bigram' | 'standard';

export const TOKEN_ANALYZER = 'fs_tokens';
const BIGRAM_ANALYZER = 'fs_bigram';
const KUROMOJI_PLUGIN = 'analysis-kuromoji';
/** Longest token the whitespace tokenizer keeps whole (Lucene refuses terms over 32,766 bytes). */
const MAX_TOKEN_CHARS = 8_000;

/** Fields written by bulk but never returned as part of a document. */
export const INTERNAL_FIELDS = ['tokens', 'deleted', 'deletedAt', 'deleteOutcome'] as const;

const keyword = { type: 'keyword', ignore_above: 4096 } as const;
const stored = { type: 'keyword', index: false, doc_values: false } as const;
const date = { type: 'date', ignore_malformed: true } as const;
const tokenField = { type: 'text', analyzer: TOKEN_ANALYZER } as const;

function mappings(analysis: Analysis): Record<string, unknown> {
  const rankAnalyzer = analysis === 'kuromoji' ? 'kuromoji' : analysis === 'cjk_bigram' ? BIGRAM_ANALYZER : 'standard';
  return {
    // Fields added by a later worker version are kept in _source without breaking this mapping.
    dynamic: false,
    _source: { excludes: ['tokens', 'tokens.*'] },
    properties: {
      id: keyword,
      bucket: keyword,
      key: keyword,
      fileName: keyword,
      extension: keyword,
      mimeType: keyword,
      size: { type: 'long' },
      etag: keyword,
      versionId: keyword,
      sequencer: keyword,
      lastModified: date,
      content: { type: 'text', analyzer: rankAnalyzer },
      truncated: { type: 'boolean' },
      charCount: { type: 'long' },
      pageCount: { type: 'long' },
      language: keyword,
      title: keyword,
      author: keyword,
      ocrUsed: { type: 'boolean' },
      metadataOnly: { type: 'boolean' },
      extractor: keyword,
      typeMismatch: keyword,
      warnings: stored,
      processingMs: { type: 'long' },
      indexedAt: date,
      tokens: { properties: { names: tokenField, title: tokenField, content: tokenField } },
      deleted: { type: 'boolean' },
      deletedAt: date,
      deleteOutcome: stored,
    },
  };
}

function settings(): Record<string, unknown> {
  return {
    // One shard: a file index is small, and one shard scores BM25 over all documents at once.
    number_of_shards: 1,
    analysis: {
      tokenizer: { fs_whitespace: { type: 'whitespace', max_token_length: MAX_TOKEN_CHARS } },
      analyzer: {
        [TOKEN_ANALYZER]: { type: 'custom', tokenizer: 'fs_whitespace', filter: ['lowercase'] },
        [BIGRAM_ANALYZER]: { type: 'custom', tokenizer: 'standard', filter: ['cjk_width', 'lowercase', 'cjk_bigram'] },
      },
    },
  };
}

export function indexBody(analysis: Analysis): Record<string, unknown> {
  return { settings: settings(), mappings: mappings(analysis) };
}

/** Whether the cluster can analyse with kuromoji: its plugin list, else an `_analyze` probe. */
async function hasKuromoji(client: Client): Promise<boolean> {
  try {
    const { body } = await client.cat.plugins({ format: 'json' });
    const plugins = Array.isArray(body) ? (body as Array<{ component?: string }>) : [];
    return plugins.some((p) => p.component === KUROMOJI_PLUGIN);
  } catch (err) {
    const status = responseOf(err)?.status;
    // Managed clusters may forbid _cat; asking the analyzer itself needs no cluster privilege.
    if (status !== 401 && status !== 403 && status !== 404) throw toIndexError(err);
  }
  try {
    await client.indices.analyze({ body: { analyzer: 'kuromoji', text: '検出' } });
    return true;
  } catch (err) {
    if (responseOf(err)?.status === 400) return false;
    throw toIndexError(err);
  }
}

/** The analysis to create a new index with, from the option and what the cluster offers. */
export async function chooseAnalysis(client: Client, option: AnalyzerOption): Promise<Analysis> {
  if (option === 'standard') return 'cjk_bigram';
  const available = await hasKuromoji(client);
  if (available) return 'kuromoji';
  if (option === 'kuromoji') {
    throw new FatalError(
      ErrorCodes.DependencyMissing,
      'OPENSEARCH_ANALYZER=kuromoji but the cluster has no analysis-kuromoji plugin. Fix: install the plugin ' +
        '(bin/opensearch-plugin install analysis-kuromoji) or set OPENSEARCH_ANALYZER=auto.',
    );
  }
  return 'cjk_bigram';
}

interface FieldMapping {
  readonly type?: string;
  readonly analyzer?: string;
  readonly properties?: Readonly<Record<string, FieldMapping>>;
}

/**
 * The analysis of an existing index, read from its mapping; undefined when the index does not
 * exist. An index without our token fields was not made by this worker: refuse to write to it.
 */
export async function readAnalysis(client: Client, index: string): Promise<Analysis | undefined> {
  let body: Record<string, { mappings?: FieldMapping }>;
  try {
    ({ body } = await client.indices.getMapping({ index }, { ignore: [404] }));
  } catch (err) {
    throw toIndexError(err);
  }
  // An alias resolves to its concrete index, whose name is the key.
  const mapping = Object.values(body ?? {}).find((v) => typeof v === 'object' && v !== null && 'mappings' in v)?.mappings;
  if (mapping === undefined) return undefined;
  const tokens = mapping.properties?.['tokens']?.properties;
  if (tokens?.['content']?.analyzer !== TOKEN_ANALYZER || tokens['names']?.analyzer !== TOKEN_ANALYZER) {
    throw new FatalError(
      ErrorCodes.ConfigInvalid,
      `OpenSearch index "${index}" exists but was not created by this worker (no ${TOKEN_ANALYZER} token fields). ` +
        'Fix: set OPENSEARCH_INDEX to a new name (it is created on start), or delete that index.',
    );
  }
  const analyzer = mapping.properties?.['content']?.analyzer;
  return analyzer === 'kuromoji' ? 'kuromoji' : analyzer === BIGRAM_ANALYZER ? 'cjk_bigram' : 'standard';
}

/** Creates the index unless it exists; a concurrent worker creating it first is fine. */
export async function ensureIndex(client: Client, index: string, option: AnalyzerOption): Promise<Analysis> {
  const existing = await readAnalysis(client, index);
  if (existing !== undefined) return existing;
  const analysis = await chooseAnalysis(client, option);
  try {
    await client.indices.create({ index, body: indexBody(analysis) });
    return analysis;
  } catch (err) {
    if (responseOf(err)?.error.type !== 'resource_already_exists_exception') throw toIndexError(err);
    return (await readAnalysis(client, index)) ?? analysis;
  }
}
