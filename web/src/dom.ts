/**
 * DOM building without HTML strings. Every piece of text goes in as a Text node and every
 * attribute through setAttribute, so data from the API can never become markup. Event handler
 * attributes and script-bearing URLs are refused outright.
 */

export type Child = Node | string | number | null | undefined | false;
export type AttrValue = string | number | boolean | null | undefined;
export type Attrs = Readonly<Record<string, AttrValue>>;

const URL_ATTRS = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'srcset', 'poster']);

/** Only same-origin paths, fragments and http(s) links may be put in a URL attribute. */
function isSafeUrl(value: string): boolean {
  const v = value.trim();
  if (v.startsWith('//')) return false;
  if (v.startsWith('/') || v.startsWith('#') || v.startsWith('?')) return true;
  return /^https?:\/\//i.test(v);
}

export function setAttr(node: Element, name: string, value: AttrValue): void {
  const lower = name.toLowerCase();
  if (lower.startsWith('on') || lower === 'style' || lower === 'srcdoc') {
    throw new Error(`refusing to set attribute ${name}`);
  }
  if (value === null || value === undefined || value === false) {
    node.removeAttribute(name);
    return;
  }
  const text = value === true ? '' : String(value);
  if (URL_ATTRS.has(lower) && !isSafeUrl(text)) throw new Error(`refusing unsafe URL in ${name}`);
  node.setAttribute(name, text);
}

export function appendChildren(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

/** `el('a', { href: '/x', class: 'link' }, 'text', el('b', null, 'bold'))` */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) setAttr(node, name, value);
  }
  appendChildren(node, children);
  return node;
}

/** Replaces the children of `parent` (no HTML parsing involved). */
export function render(parent: Element, ...children: Child[]): void {
  const frag = document.createDocumentFragment();
  appendChildren(frag, children);
  parent.replaceChildren(frag);
}

export function setText(node: Element | null, text: string): void {
  if (node) node.textContent = text;
}

/** The element with `data-testid=<id>`, or an error naming the missing piece of the page. */
export function byTestId<T extends HTMLElement = HTMLElement>(id: string, root: ParentNode = document): T {
  const found = root.querySelector<T>(`[data-testid="${CSS.escape(id)}"]`);
  if (!found) throw new Error(`page is missing [data-testid=${id}]`);
  return found;
}

export function query<T extends Element = HTMLElement>(selector: string, root: ParentNode = document): T | null {
  return root.querySelector<T>(selector);
}

/**
 * `text` as Text nodes with each [start, end) range (UTF-16 offsets) wrapped in `<mark>`. Ranges
 * are sorted, clamped to the text and overlaps are merged, whatever order they come in.
 */
export function highlightedNodes(text: string, ranges: ReadonlyArray<readonly [number, number]>): Node[] {
  const len = text.length;
  const sorted = ranges
    .filter((r) => Array.isArray(r) && Number.isFinite(r[0]) && Number.isFinite(r[1]))
    .map(([s, e]) => [Math.max(0, Math.min(len, Math.floor(s))), Math.max(0, Math.min(len, Math.floor(e)))] as const)
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const nodes: Node[] = [];
  let cursor = 0;
  for (const [rs, end] of sorted) {
    const start = Math.max(rs, cursor);
    if (end <= start) continue;
    if (start > cursor) nodes.push(document.createTextNode(text.slice(cursor, start)));
    nodes.push(el('mark', null, text.slice(start, end)));
    cursor = end;
  }
  if (cursor < len) nodes.push(document.createTextNode(text.slice(cursor)));
  return nodes;
}

/** A table with a header row; `rows` are `<tr>` elements built by the caller. */
export function table(className: string, headers: readonly (string | readonly [string, string])[], rows: readonly HTMLTableRowElement[]): HTMLTableElement {
  const head = el(
    'tr',
    null,
    ...headers.map((h) => (typeof h === 'string' ? el('th', { scope: 'col' }, h) : el('th', { scope: 'col', class: h[1] }, h[0]))),
  );
  const body = el('tbody');
  appendChildren(body, rows);
  return el('table', { class: `table ${className}` }, el('thead', null, head), body);
}

export function emptyState(text: string): HTMLParagraphElement {
  return el('p', { class: 'empty' }, text);
}
