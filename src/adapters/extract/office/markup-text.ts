import { Parser } from 'htmlparser2';

/** HTML, XML and JSON turned into readable text. Pure functions over decoded strings. */

export interface MarkupText {
  readonly text: string;
  readonly title?: string;
  readonly author?: string;
}

/** Elements whose content is code or an alternative nobody reads as the page. */
const HTML_SKIPPED = new Set(['script', 'style', 'noscript', 'template']);
const HTML_BLOCKS = new Set([
  'address', 'article', 'aside', 'blockquote', 'body', 'caption', 'center', 'dd', 'details', 'dialog', 'div', 'dl',
  'dt', 'fieldset', 'figcaption', 'figure', 'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hgroup',
  'hr', 'legend', 'li', 'main', 'nav', 'ol', 'option', 'p', 'pre', 'section', 'summary', 'table', 'tbody', 'tfoot',
  'thead', 'tr', 'ul', 'textarea',
]);

const CJK = '\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef';
/** A source line break between two Japanese characters is not a space (CSS segment-break rules). */
const CJK_BREAK = new RegExp(`([${CJK}])[ \\t\\r\\f]*\\n[ \\t\\r\\n\\f]*(?=[${CJK}])`, 'g');
const HTML_SPACE = /[ \t\n\f\r]+/g;

/** Collects text with block boundaries as single line breaks. */
class Lines {
  private readonly parts: string[] = [];
  private last = '\n';
  push(text: string): void {
    if (text === '') return;
    this.parts.push(text);
    this.last = text.slice(-1);
  }
  newline(): void {
    if (this.last !== '\n') this.push('\n');
  }
  /** Collapsed inline text: no space at the start of a line. */
  pushInline(text: string): void {
    this.push(this.last === '\n' ? text.replace(/^ +/, '') : text);
  }
  toString(): string {
    return this.parts.join('').replace(/ +\n/g, '\n').replace(/\n +/g, '\n').replace(/ {2,}/g, ' ');
  }
}

const optional = (key: 'title' | 'author', value: string | undefined): Partial<MarkupText> => {
  const v = value?.replace(HTML_SPACE, ' ').trim();
  return v === undefined || v === '' ? {} : { [key]: v };
};

/** Visible text of an HTML page, `<title>` and `<meta name="author">`. */
export function htmlToText(html: string): MarkupText {
  const lines = new Lines();
  let skip = 0;
  let pre = 0;
  let inTitle = false;
  let title: string | undefined;
  let author: string | undefined;
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (skip > 0 || HTML_SKIPPED.has(name)) {
          skip += 1;
          return;
        }
        if (name === 'title' && title === undefined) inTitle = true;
        else if (name === 'meta' && attributes['name']?.toLowerCase() === 'author') author ??= attributes['content'];
        else if (name === 'br') lines.push('\n');
        else if (name === 'pre') pre += 1;
        if (HTML_BLOCKS.has(name)) lines.newline();
      },
      onclosetag(name) {
        if (skip > 0) {
          skip -= 1;
          return;
        }
        if (name === 'title' && inTitle) {
          inTitle = false;
          title ??= '';
        } else if (name === 'pre') pre -= 1;
        if (name === 'td' || name === 'th') lines.push('\t');
        if (HTML_BLOCKS.has(name)) lines.newline();
      },
      ontext(text) {
        if (skip > 0) return;
        if (inTitle) title = (title ?? '') + text;
        else if (pre > 0) lines.push(text);
        else lines.pushInline(text.replace(CJK_BREAK, '$1').replace(HTML_SPACE, ' '));
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.end(html);
  return { text: lines.toString().trim(), ...optional('title', title), ...optional('author', author) };
}

/** Text nodes (and CDATA) of any XML, one element per line; the first `title` element is the title. */
export function xmlToText(xml: string): MarkupText {
  const lines = new Lines();
  let depthInTitle = 0;
  let title: string | undefined;
  const isTitle = (name: string): boolean => name === 'title' || name.endsWith(':title');
  const parser = new Parser(
    {
      onopentag(name) {
        if (depthInTitle > 0) depthInTitle += 1;
        else if (title === undefined && isTitle(name)) depthInTitle = 1;
      },
      onclosetag() {
        if (depthInTitle > 0) {
          depthInTitle -= 1;
          if (depthInTitle === 0) title ??= '';
        }
        lines.newline();
      },
      ontext(text) {
        if (depthInTitle > 0) title = (title ?? '') + text;
        if (text.trim() !== '') lines.pushInline(text.replace(CJK_BREAK, '$1').replace(HTML_SPACE, ' '));
      },
    },
    // No DTD processing: entities declared in a DOCTYPE are never expanded.
    { xmlMode: true, decodeEntities: true, recognizeCDATA: true },
  );
  parser.end(xml);
  return { text: lines.toString().trim(), ...optional('title', title) };
}

/** JSON keys and values, one `key: value` per line, nesting as `key:` lines; iterative, so depth is free. */
export function jsonValueToLines(root: unknown): string[] {
  const lines: string[] = [];
  const stack: Array<{ key?: string; value: unknown }> = [{ value: root }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { key, value } = item;
    if (value !== null && typeof value === 'object') {
      if (key !== undefined) lines.push(`${key}:`);
      const children = Array.isArray(value)
        ? value.map((v: unknown) => ({ value: v }))
        : Object.entries(value as Record<string, unknown>).map(([k, v]) => ({ key: k, value: v }));
      for (let i = children.length - 1; i >= 0; i -= 1) stack.push(children[i] as { key?: string; value: unknown });
    } else if (typeof value === 'string' || typeof value === 'number') {
      lines.push(key === undefined ? String(value) : `${key}: ${String(value)}`);
    } else if (key !== undefined) {
      lines.push(key);
    }
  }
  return lines;
}

/** JSON, or JSON Lines when `lines` is set; text that does not parse is kept as it is. */
export function jsonToText(text: string, lines: boolean): { text: string; valid: boolean } {
  const parse = (s: string): string | undefined => {
    try {
      return jsonValueToLines(JSON.parse(s)).join('\n');
    } catch {
      return undefined;
    }
  };
  const body = text.replace(/^\uFEFF/, '');
  if (!lines) {
    const parsed = parse(body);
    return parsed === undefined ? { text, valid: false } : { text: parsed, valid: true };
  }
  let valid = true;
  const out = body.split(/\r?\n/).map((line) => {
    if (line.trim() === '') return '';
    const parsed = parse(line);
    if (parsed === undefined) valid = false;
    return parsed ?? line;
  });
  return { text: out.join('\n'), valid };
}
