import { parseQuery } from '../../domain/search-text.js';

/** FTS5 string quoting: the whole token in double quotes, inner quotes doubled. */
function quote(token: string): string {
  return `"${token.replace(/"/g, '""')}"`;
}

/**
 * The FTS5 MATCH expression for a user query: each term a phrase of quoted tokens, terms ANDed.
 * Every token is quoted, so no user input can form an operator (AND, NEAR, *, ^, column:).
 * Undefined when nothing in the query is searchable; the caller returns no hits.
 */
export function buildMatchQuery(userQuery: string): string | undefined {
  const terms = parseQuery(userQuery);
  if (terms.length === 0) return undefined;
  return terms.map((t) => t.tokens.map(quote).join(' + ')).join(' AND ');
}
