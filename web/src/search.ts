import type { SearchHitView, SearchResponse } from '../../src/web/api-types.js';
import { ApiFailure, apiJson, errorMessage } from './api.js';
import { byTestId, el, highlightedNodes, render, setText } from './dom.js';
import { formatBytes, formatDateTime, formatInt } from './format.js';

/** The search page: the form drives the URL, the URL drives the API call. */

const PAGE_SIZE = 20;
const WINDOW = 7;

const form = document.getElementById('search-form') as HTMLFormElement;
const qInput = byTestId<HTMLInputElement>('query');
const typeSelect = byTestId<HTMLSelectElement>('type-filter');
const fromInput = byTestId<HTMLInputElement>('date-from');
const toInput = byTestId<HTMLInputElement>('date-to');
const totalEl = byTestId('total');
const resultsEl = byTestId<HTMLOListElement>('results');
const paginationEl = byTestId('pagination');
const errorEl = byTestId('search-error');

interface Params {
  readonly q: string;
  readonly type: string;
  readonly from: string;
  readonly to: string;
  readonly page: number;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function readParams(): Params {
  const sp = new URLSearchParams(location.search);
  const page = Number.parseInt(sp.get('page') ?? '1', 10);
  const from = (sp.get('from') ?? '').trim();
  const to = (sp.get('to') ?? '').trim();
  return {
    q: (sp.get('q') ?? '').trim(),
    type: (sp.get('type') ?? '').trim(),
    from: DATE.test(from) ? from : '',
    to: DATE.test(to) ? to : '',
    page: Number.isFinite(page) && page >= 1 ? page : 1,
  };
}

/** The query string for `p` (empty values left out). */
function toSearch(p: Params): URLSearchParams {
  const sp = new URLSearchParams();
  if (p.q) sp.set('q', p.q);
  if (p.type) sp.set('type', p.type);
  if (p.from) sp.set('from', p.from);
  if (p.to) sp.set('to', p.to);
  if (p.page > 1) sp.set('page', String(p.page));
  return sp;
}

function pageHref(p: Params, page: number): string {
  return '/search?' + toSearch({ ...p, page }).toString();
}

function fillForm(p: Params): void {
  qInput.value = p.q;
  if (p.type && ![...typeSelect.options].some((o) => o.value === p.type)) {
    // A type list from a shared link that the menu does not offer: keep it selectable.
    typeSelect.append(el('option', { value: p.type }, p.type));
  }
  typeSelect.value = p.type;
  fromInput.value = p.from;
  toInput.value = p.to;
}

function showError(message: string | undefined): void {
  errorEl.hidden = message === undefined;
  setText(errorEl, message ?? '');
}

function hitNode(hit: SearchHitView, q: string): HTMLLIElement {
  const docHref = '/document?' + new URLSearchParams({ id: hit.id, q }).toString();
  const ext = hit.extension.replace(/^\./, '').toUpperCase() || '—';
  const date = hit.lastModified ?? hit.indexedAt;
  return el(
    'li',
    { class: 'hit', 'data-testid': 'hit', 'data-id': hit.id },
    el('div', { class: 'hit-head' }, el('a', { class: 'hit-name', href: docHref }, hit.fileName), hit.title && hit.title !== hit.fileName ? el('span', { class: 'hit-title' }, hit.title) : null),
    el('div', { class: 'hit-key' }, `${hit.bucket}/${hit.key}`),
    el(
      'div',
      { class: 'hit-meta' },
      el('span', { class: 'hit-type' }, el('span', { class: 'ext-badge' }, ext), hit.ocrUsed ? el('span', { class: 'badge badge-ocr' }, 'OCR') : null),
      el('span', { class: 'hit-size', 'data-value': String(hit.size) }, formatBytes(hit.size)),
      hit.pageCount !== undefined ? el('span', { class: 'hit-pages' }, `${formatInt(hit.pageCount)} ${hit.pageCount === 1 ? 'page' : 'pages'}`) : null,
      el('span', { class: 'hit-date', title: hit.lastModified ? 'Last modified' : 'Indexed at' }, el('time', { datetime: date }, formatDateTime(date))),
    ),
    el('p', { class: 'hit-snippet' }, ...highlightedNodes(hit.snippet.text, hit.snippet.highlights)),
  );
}

/** Page numbers to show: up to WINDOW around the current one, plus the first and last (0 = gap). */
function pageWindow(current: number, last: number): number[] {
  let start = Math.max(1, current - Math.floor(WINDOW / 2));
  const end = Math.min(last, start + WINDOW - 1);
  start = Math.max(1, end - WINDOW + 1);
  const pages: number[] = [];
  if (start > 1) pages.push(1);
  if (start > 2) pages.push(0);
  for (let i = start; i <= end; i++) pages.push(i);
  if (end < last - 1) pages.push(0);
  if (end < last) pages.push(last);
  return pages;
}

function renderPagination(p: Params, res: SearchResponse): void {
  const size = res.pageSize > 0 ? res.pageSize : PAGE_SIZE;
  const last = Math.max(1, Math.ceil(res.total / size));
  const current = Math.min(Math.max(1, res.page), last);
  if (res.total <= size) {
    paginationEl.hidden = true;
    render(paginationEl);
    return;
  }
  const edge = (label: string, page: number, rel: string, enabled: boolean): HTMLElement =>
    enabled
      ? el('a', { class: 'page-link page-edge', href: pageHref(p, page), rel, 'data-page': String(page) }, label)
      : el('span', { class: 'page-link page-edge is-disabled', 'aria-disabled': 'true' }, label);
  render(
    paginationEl,
    edge('‹ Prev', current - 1, 'prev', current > 1),
    ...pageWindow(current, last).map((n) =>
      n === 0
        ? el('span', { class: 'page-gap', 'aria-hidden': 'true' }, '…')
        : el('a', { class: 'page-link', href: pageHref(p, n), 'data-page': String(n), 'aria-current': n === current ? 'page' : null }, String(n)),
    ),
    edge('Next ›', current + 1, 'next', current < last),
  );
  paginationEl.hidden = false;
}

function renderResults(p: Params, res: SearchResponse): void {
  const q = res.query || p.q;
  const totalText = res.total === 0 ? `No results for “${q}”` : `${formatInt(res.total)} ${res.total === 1 ? 'result' : 'results'} for “${q}”`;
  totalEl.setAttribute('data-value', String(res.total));
  const size = res.pageSize > 0 ? res.pageSize : PAGE_SIZE;
  const first = (res.page - 1) * size + 1;
  render(
    totalEl,
    totalText,
    res.total > size && res.hits.length > 0 ? el('span', { class: 'muted' }, ` · showing ${formatInt(first)}–${formatInt(first + res.hits.length - 1)}`) : null,
  );
  resultsEl.setAttribute('start', String(Math.max(1, first)));
  render(resultsEl, ...res.hits.map((h) => hitNode(h, q)));
  renderPagination(p, res);
}

async function run(): Promise<void> {
  const p = readParams();
  fillForm(p);
  if (!p.q) {
    render(totalEl);
    render(resultsEl);
    return;
  }
  document.title = `${p.q} — filesearch — Search`;
  const sp = toSearch(p);
  sp.set('page', String(p.page));
  sp.set('size', String(PAGE_SIZE));
  totalEl.classList.add('is-loading');
  setText(totalEl, 'Searching…');
  try {
    const res = await apiJson<SearchResponse>('/api/search?' + sp.toString());
    showError(undefined);
    renderResults(p, res);
  } catch (err) {
    if (err instanceof ApiFailure && err.redirecting) return;
    render(totalEl);
    render(resultsEl);
    paginationEl.hidden = true;
    showError(`Search failed: ${errorMessage(err)}`);
  } finally {
    totalEl.classList.remove('is-loading');
  }
}

form.addEventListener('submit', (event) => {
  // Same as the native GET submission, minus the empty parameters; a new search starts at page 1.
  event.preventDefault();
  const next: Params = { q: qInput.value.trim(), type: typeSelect.value, from: fromInput.value, to: toInput.value, page: 1 };
  const qs = toSearch(next).toString();
  location.assign(qs ? '/search?' + qs : '/search');
});

void run();
