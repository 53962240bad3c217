import type { DocumentResponse } from '../../src/web/api-types.js';
import { ApiFailure, apiJson, errorMessage } from './api.js';
import { byTestId, el, highlightedNodes, render, setText } from './dom.js';
import type { Child } from './dom.js';
import { formatBytes, formatDateTimeSeconds, formatInt, formatMs } from './format.js';

/** The document page: metadata and extracted text of one indexed file, with the query's matches marked. */

const errorEl = byTestId('doc-error');
const loadingEl = byTestId('doc-loading');
const article = byTestId('doc');

function yesNo(v: boolean): string {
  return v ? 'Yes' : 'No';
}

function metaRows(d: DocumentResponse): [string, string, Child][] {
  const ext = d.extension.replace(/^\./, '');
  const rows: [string, string, Child | undefined][] = [
    ['bucket', 'Bucket', d.bucket],
    ['key', 'Key', el('span', { class: 'mono break' }, d.key)],
    ['type', 'Type', `${d.mimeType}${ext ? ` (.${ext})` : ''}`],
    ['size', 'Size', `${formatBytes(d.size)} (${formatInt(d.size)} bytes)`],
    ['pages', 'Pages', d.pageCount !== undefined ? formatInt(d.pageCount) : undefined],
    ['last-modified', 'Last modified', d.lastModified ? formatDateTimeSeconds(d.lastModified) : undefined],
    ['indexed-at', 'Indexed at', formatDateTimeSeconds(d.indexedAt)],
    ['language', 'Language', d.language || undefined],
    ['extractor', 'Extractor', d.extractor ? `${d.extractor}${d.processingMs ? ` · ${formatMs(d.processingMs)}` : ''}` : undefined],
    ['ocr', 'OCR used', yesNo(d.ocrUsed)],
    ['title', 'Title', d.title || undefined],
    ['author', 'Author', d.author || undefined],
    ['characters', 'Characters', formatInt(d.charCount)],
    ['truncated', 'Truncated', yesNo(d.truncated)],
    ['warnings', 'Warnings', d.warnings.length > 0 ? el('ul', { class: 'plain-list' }, ...d.warnings.map((w) => el('li', null, w))) : undefined],
    ['type-mismatch', 'Type mismatch', d.typeMismatch || undefined],
    ['etag', 'ETag', d.etag ? el('span', { class: 'mono break' }, d.etag) : undefined],
    ['version', 'Version', d.versionId ? el('span', { class: 'mono break' }, d.versionId) : undefined],
  ];
  return rows.filter((r): r is [string, string, Child] => r[2] !== undefined);
}

function showDocument(d: DocumentResponse, q: string): void {
  document.title = `${d.fileName} — filesearch`;
  setText(byTestId('doc-name'), d.fileName);
  render(
    byTestId('doc-meta'),
    ...metaRows(d).flatMap(([field, label, value]) => [el('dt', { 'data-field': field }, label), el('dd', { 'data-field': field }, value)]),
  );

  const notes: string[] = [];
  if (d.metadataOnly) notes.push('Only metadata was indexed for this file: no text was extracted.');
  if (d.truncated) notes.push('The text was truncated at index time (only the beginning is searchable).');
  if (d.contentClipped) notes.push(`Content clipped: only the first ${formatInt(d.content.length)} characters are shown.`);
  const notesEl = byTestId('doc-notes');
  render(notesEl, ...notes.map((n) => el('li', null, n)));
  notesEl.hidden = notes.length === 0;

  const content = byTestId('doc-content');
  if (d.content.length === 0) {
    content.classList.add('is-empty');
    setText(content, '(no text)');
  } else {
    render(content, ...highlightedNodes(d.content, d.highlights));
  }
  const count = byTestId('doc-highlight-count');
  setText(count, q ? `${formatInt(d.highlights.length)} ${d.highlights.length === 1 ? 'match' : 'matches'} for “${q}”` : '');

  article.hidden = false;
  // Bring the first match into view, as a reader looking for the words would.
  const first = content.querySelector('mark');
  if (first && first.offsetTop > window.innerHeight / 2) first.scrollIntoView({ block: 'center' });
}

function showError(message: string): void {
  errorEl.hidden = false;
  setText(errorEl, message);
}

async function run(): Promise<void> {
  const sp = new URLSearchParams(location.search);
  const id = sp.get('id') ?? '';
  const q = (sp.get('q') ?? '').trim();
  if (q) {
    const back = byTestId<HTMLAnchorElement>('doc-back');
    back.setAttribute('href', '/search?' + new URLSearchParams({ q }).toString());
    back.hidden = false;
  }
  try {
    if (!id) {
      showError('No document given (the link has no id).');
      return;
    }
    const api = new URLSearchParams({ id });
    if (q) api.set('q', q);
    const d = await apiJson<DocumentResponse>('/api/document?' + api.toString());
    showDocument(d, q);
  } catch (err) {
    if (err instanceof ApiFailure && err.redirecting) return;
    if (err instanceof ApiFailure && err.status === 404) showError('Document not found');
    else showError(`Could not load the document: ${errorMessage(err)}`);
  } finally {
    loadingEl.hidden = true;
  }
}

void run();
