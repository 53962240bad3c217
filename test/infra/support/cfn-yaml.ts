/**
 * A strict reader for the YAML subset our CloudFormation templates are written in, with the
 * short-form intrinsic function tags (!Ref, !Sub, !GetAtt, ...). The repo has no YAML library
 * (neither `yaml` nor `js-yaml` is installed), so this covers exactly: block mappings and
 * sequences, plain/'single'/"double" quoted scalars, `|`, `|-`, `>`, `>-` block scalars, one-line
 * flow sequences, comments, and the tags. Anything else (anchors, aliases, flow mappings,
 * multi-line plain scalars, several documents, tabs) is an error rather than a silent misread.
 * test/infra/cloudformation-moto.test.ts checks it against moto's own YAML reading of the same
 * templates.
 */

export type CfnValue = string | number | boolean | null | CfnValue[] | { [key: string]: CfnValue };
export type CfnObject = { [key: string]: CfnValue };

const FN_TAGS = new Set([
  'And', 'Base64', 'Cidr', 'Equals', 'FindInMap', 'GetAZs', 'If', 'ImportValue', 'Join', 'Not', 'Or', 'Select', 'Split', 'Sub', 'Transform', 'ToJsonString', 'Length',
]);

interface Line {
  readonly no: number; // 1-based
  indent: number;
  text: string; // without the indentation
}

export function parseCfnYaml(source: string, name = 'template'): CfnObject {
  const reader = new Reader(source, name);
  const first = reader.peek();
  if (first === undefined) return {};
  if (first.indent !== 0) reader.fail(first, 'the document must start at column 0');
  const doc = reader.block(0);
  const rest = reader.peek();
  if (rest !== undefined) reader.fail(rest, 'unexpected indentation');
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${name}: the document is not a mapping`);
  return doc;
}

class Reader {
  private readonly raw: string[];
  private pos = 0;
  private pending: Line | undefined; // a sequence item's inline content, re-read as its own line

  constructor(source: string, private readonly name: string) {
    this.raw = source.replace(/\r\n/g, '\n').split('\n');
  }

  fail(line: Pick<Line, 'no'>, message: string): never {
    throw new Error(`${this.name}:${line.no}: ${message}`);
  }

  /** The next line with content (comments and blank lines skipped). */
  peek(): Line | undefined {
    if (this.pending !== undefined) return this.pending;
    while (this.pos < this.raw.length) {
      const text = this.raw[this.pos] as string;
      const body = text.trimStart();
      if (body === '' || body.startsWith('#')) {
        this.pos += 1;
        continue;
      }
      if (/^[ ]*\t/.test(text)) this.fail({ no: this.pos + 1 }, 'tabs in indentation');
      if (this.pos === 0 && body.startsWith('---')) this.fail({ no: 1 }, 'document markers are not supported');
      return { no: this.pos + 1, indent: text.length - body.length, text: body.trimEnd() };
    }
    return undefined;
  }

  private take(): Line {
    const line = this.peek() as Line;
    if (this.pending !== undefined) this.pending = undefined;
    else this.pos += 1;
    return line;
  }

  /** A mapping or sequence whose lines start at exactly `indent`. */
  block(indent: number): CfnValue {
    const first = this.peek();
    if (first === undefined || first.indent !== indent) return null;
    return isDash(first.text) ? this.sequence(indent) : this.mapping(indent);
  }

  private sequence(indent: number): CfnValue[] {
    const items: CfnValue[] = [];
    for (let line = this.peek(); line !== undefined && line.indent === indent && isDash(line.text); line = this.peek()) {
      this.take();
      const content = line.text.slice(1).trimStart();
      const column = indent + (line.text.length - content.length);
      if (content === '') items.push(this.nested(indent, false));
      else if (isDash(content) || mappingKey(content) !== undefined) {
        // `- key: value` / `- - item`: the content is the first line of a block at its column.
        this.pending = { no: line.no, indent: column, text: content };
        items.push(this.block(column));
      } else items.push(this.value(content, indent, false, line));
    }
    return items;
  }

  private mapping(indent: number): CfnObject {
    const out: CfnObject = {};
    for (let line = this.peek(); line !== undefined && line.indent === indent && !isDash(line.text); line = this.peek()) {
      this.take();
      const key = mappingKey(line.text);
      if (key === undefined) this.fail(line, `expected "key: value", got ${JSON.stringify(line.text)}`);
      if (Object.hasOwn(out, key.key)) this.fail(line, `duplicate key ${key.key}`);
      out[key.key] = this.value(line.text.slice(key.end).trim(), indent, true, line);
    }
    return out;
  }

  /** The value after `key:` or `- `, which may continue on the following lines. */
  private value(text: string, parentIndent: number, inMapping: boolean, line: Line): CfnValue {
    let rest = stripComment(text);
    let tag: string | undefined;
    const tagged = /^!([A-Za-z]+)(?:\s+|$)/.exec(rest);
    if (tagged !== null) {
      tag = tagged[1] as string;
      rest = rest.slice(tagged[0].length);
    }
    if (/^[&*]/.test(rest)) this.fail(line, 'anchors and aliases are not supported');
    let value: CfnValue;
    if (rest === '') value = this.nested(parentIndent, inMapping);
    else if (/^[|>]/.test(rest)) value = this.blockScalar(rest, parentIndent, line);
    else value = new Inline(rest, (m) => this.fail(line, m)).whole();
    return tag === undefined ? value : applyTag(tag, value, (m) => this.fail(line, m));
  }

  private nested(parentIndent: number, inMapping: boolean): CfnValue {
    const next = this.peek();
    if (next === undefined) return null;
    if (next.indent > parentIndent) return this.block(next.indent);
    // A mapping's sequence value may sit at the key's own indentation.
    if (inMapping && next.indent === parentIndent && isDash(next.text)) return this.sequence(parentIndent);
    return null;
  }

  private blockScalar(header: string, parentIndent: number, line: Line): string {
    const match = /^([|>])([-+]?)$/.exec(header);
    if (match === null) this.fail(line, `unsupported block scalar header ${JSON.stringify(header)}`);
    if (match[2] === '+') this.fail(line, 'keep chomping (|+) is not supported');
    const lines: string[] = [];
    let contentIndent: number | undefined;
    while (this.pos < this.raw.length) {
      const text = this.raw[this.pos] as string;
      if (text.trim() === '') {
        lines.push('');
        this.pos += 1;
        continue;
      }
      const indent = text.length - text.trimStart().length;
      if (indent <= parentIndent) break;
      contentIndent ??= indent;
      if (indent < contentIndent) this.fail({ no: this.pos + 1 }, 'block scalar line indented less than its first line');
      lines.push(text.slice(contentIndent));
      this.pos += 1;
    }
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    const body = match[1] === '|' ? lines.join('\n') : fold(lines);
    return match[2] === '-' || body === '' ? body : `${body}\n`;
  }
}

function isDash(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}

/** `key:` at the start of a line: the key and where the value begins, or undefined. */
function mappingKey(text: string): { key: string; end: number } | undefined {
  const quoted = /^(['"])(.*?)\1:(?:\s|$)/.exec(text);
  if (quoted !== null) return { key: quoted[2] as string, end: quoted[0].length };
  if (/^[\s!&*[\]{},|>'"%@`#-]/.test(text) && !/^-[^\s]/.test(text)) return undefined;
  const colon = /:(?:\s|$)/.exec(text);
  if (colon === null || text.slice(0, colon.index).includes(' #')) return undefined;
  return { key: text.slice(0, colon.index), end: colon.index + 1 };
}

/** Drops a trailing ` # comment`. Quotes count only where a quoted scalar can start (not in `worker's`). */
function stripComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== undefined) {
      if (c === "'" && quote === "'" && text[i + 1] === "'") i++; // '' is an escaped quote
      else if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if ((c === "'" || c === '"') && (i === 0 || /[\s[,]/.test(text[i - 1] as string))) quote = c;
    else if (c === '#' && (i === 0 || text[i - 1] === ' ')) return text.slice(0, i).trimEnd();
  }
  return text.trim();
}

/** Folded scalar: lines join with spaces, an empty line is a line break. */
function fold(lines: readonly string[]): string {
  let out = '';
  let previousBlank = true;
  for (const line of lines) {
    if (line === '') {
      out += '\n';
      previousBlank = true;
    } else {
      if (/^\s/.test(line)) throw new Error('more-indented lines in a folded scalar are not supported');
      out += (previousBlank ? '' : ' ') + line;
      previousBlank = false;
    }
  }
  return out;
}

function applyTag(tag: string, value: CfnValue, fail: (m: string) => never): CfnValue {
  if (tag === 'Ref') return { Ref: value };
  if (tag === 'Condition') return { Condition: value };
  if (tag === 'GetAtt') {
    if (typeof value !== 'string') return { 'Fn::GetAtt': value };
    const dot = value.indexOf('.');
    if (dot < 1) fail(`!GetAtt ${value}: expected Resource.Attribute`);
    return { 'Fn::GetAtt': [value.slice(0, dot), value.slice(dot + 1)] };
  }
  if (FN_TAGS.has(tag)) return { [`Fn::${tag}`]: value };
  return fail(`unknown tag !${tag}`);
}

/** One-line values: scalars, tags and flow sequences (`[a, !Ref B, [c]]`). */
class Inline {
  private i = 0;
  constructor(
    private readonly s: string,
    private readonly fail: (m: string) => never,
  ) {}

  whole(): CfnValue {
    const v = this.node(false);
    this.space();
    if (this.i < this.s.length) this.fail(`unexpected ${JSON.stringify(this.s.slice(this.i))}`);
    return v;
  }

  private space(): void {
    while (this.s[this.i] === ' ') this.i++;
  }

  private node(inFlow: boolean): CfnValue {
    this.space();
    const tag = /^!([A-Za-z]+)(?:\s+|(?=[\],]|$))/.exec(this.s.slice(this.i));
    if (tag !== null) {
      this.i += tag[0].length;
      return applyTag(tag[1] as string, this.node(inFlow), this.fail);
    }
    const c = this.s[this.i];
    if (c === '{') this.fail('flow mappings are not supported');
    if (c === '&' || c === '*') this.fail('anchors and aliases are not supported');
    if (c === '[') return this.flowSequence();
    if (c === "'") return this.single();
    if (c === '"') return this.double();
    return this.plain(inFlow);
  }

  private flowSequence(): CfnValue[] {
    this.i++; // [
    const items: CfnValue[] = [];
    this.space();
    if (this.s[this.i] === ']') {
      this.i++;
      return items;
    }
    for (;;) {
      items.push(this.node(true));
      this.space();
      const c = this.s[this.i++];
      if (c === ']') return items;
      if (c !== ',') this.fail(`expected , or ] in a flow sequence: ${this.s}`);
    }
  }

  private single(): string {
    let out = '';
    for (this.i++; this.i < this.s.length; this.i++) {
      const c = this.s[this.i];
      if (c === "'") {
        if (this.s[this.i + 1] === "'") {
          out += "'";
          this.i++;
        } else {
          this.i++;
          return out;
        }
      } else out += c;
    }
    return this.fail(`unterminated '...' scalar: ${this.s}`);
  }

  private double(): string {
    const m = /^"((?:[^"\\]|\\.)*)"/.exec(this.s.slice(this.i));
    if (m === null) this.fail(`unterminated "..." scalar: ${this.s}`);
    this.i += m[0].length;
    return JSON.parse(`"${(m[1] as string).replace(/\\'/g, "'")}"`) as string;
  }

  private plain(inFlow: boolean): CfnValue {
    const rest = this.s.slice(this.i);
    const m = inFlow ? /^[^,\]]*/.exec(rest) : /^.*/.exec(rest);
    const text = (m?.[0] ?? '').trim();
    this.i += m?.[0].length ?? 0;
    if (text === '') this.fail(`empty value in ${JSON.stringify(this.s)}`);
    return typed(text);
  }
}

/** YAML 1.2 core schema resolution of a plain scalar. */
function typed(text: string): CfnValue {
  if (/^(true|True|TRUE)$/.test(text)) return true;
  if (/^(false|False|FALSE)$/.test(text)) return false;
  if (/^(null|Null|NULL|~)$/.test(text)) return null;
  if (/^[-+]?[0-9]+$/.test(text)) return Number(text);
  if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(text)) return Number(text);
  return text;
}
