import { TextDecoder } from 'node:util';
import { SaxesParser } from 'saxes';
import { corruptFile } from './failures.js';
import type { SafeZip } from './zip-reader.js';

/** Callbacks get local names (`w:t` → `t`): prefixes vary between producers, local names do not. */
export interface XmlHandler {
  open?(name: string, attributes: Readonly<Record<string, string>>): void;
  close?(name: string): void;
  text?(text: string): void;
}

export const localName = (qname: string): string => {
  const colon = qname.indexOf(':');
  return colon < 0 ? qname : qname.slice(colon + 1);
};

/** Past this many well-formedness errors a part is garbage, not a sloppy producer. */
const MAX_XML_ERRORS = 50;

/** Parts are UTF-8 unless a BOM or the UTF-16 form of `<?` says otherwise. */
function sniffEncoding(head: Uint8Array): string {
  const [a, b, c, d] = head;
  if (a === 0xff && b === 0xfe) return 'utf-16le';
  if (a === 0xfe && b === 0xff) return 'utf-16be';
  if (a === 0x3c && b === 0x00 && c === 0x3f && d === 0x00) return 'utf-16le';
  if (a === 0x00 && b === 0x3c && c === 0x00 && d === 0x3f) return 'utf-16be';
  return 'utf-8';
}

/**
 * Streaming XML over saxes, which never expands DTD entities (no billion laughs, no external
 * entities). Recoverable errors (a stray control character) are counted and parsing goes on;
 * too many make the part corrupt.
 */
export class XmlStream {
  private readonly parser = new SaxesParser<{ xmlns: false; position: false }>({ xmlns: false, position: false });
  private decoder: TextDecoder | undefined;
  errors = 0;

  constructor(handler: XmlHandler, part: string) {
    const { open, close, text } = handler;
    if (open !== undefined) this.parser.on('opentag', (tag) => open(localName(tag.name), tag.attributes));
    if (close !== undefined) this.parser.on('closetag', (tag) => close(localName(tag.name)));
    if (text !== undefined) {
      this.parser.on('text', text);
      this.parser.on('cdata', text);
    }
    this.parser.on('error', (err) => {
      if (/disallowed character/.test(err.message)) return;
      this.errors += 1;
      if (this.errors > MAX_XML_ERRORS) throw corruptFile(`${part} is not well-formed XML: ${err.message}`, err);
    });
  }

  write(chunk: Uint8Array): void {
    this.decoder ??= new TextDecoder(sniffEncoding(chunk));
    const text = this.decoder.decode(chunk, { stream: true });
    if (text !== '') this.parser.write(text);
  }

  end(): void {
    const rest = this.decoder?.decode() ?? '';
    if (rest !== '') this.parser.write(rest);
    this.parser.close();
  }
}

export interface XmlPartResult {
  readonly found: boolean;
  readonly errors: number;
}

/** Parses one zip entry as it inflates. `shouldStop` ends the read early (the text sink is full). */
export async function parseZipXml(zip: SafeZip, part: string, handler: XmlHandler, shouldStop?: () => boolean): Promise<XmlPartResult> {
  const xml = new XmlStream(handler, part);
  let stopped = false;
  const stop = (): boolean => (stopped = shouldStop?.() === true);
  const found = await zip.stream(part, (chunk) => xml.write(chunk), stop);
  if (!found) return { found, errors: 0 };
  // An early stop leaves elements open; closing would only report that as errors.
  if (!stopped) xml.end();
  return { found, errors: xml.errors };
}

/** Text of the first element with one of these local names, for small metadata parts. */
export async function readZipXmlFields(zip: SafeZip, part: string, names: readonly string[]): Promise<Map<string, string>> {
  const fields = new Map<string, string>();
  let current: string | undefined;
  let value = '';
  await parseZipXml(zip, part, {
    open: (name) => {
      if (current === undefined && names.includes(name) && !fields.has(name)) {
        current = name;
        value = '';
      }
    },
    text: (t) => {
      if (current !== undefined && value.length < 10_000) value += t;
    },
    close: (name) => {
      if (name !== current) return;
      if (value.trim() !== '') fields.set(name, value.trim());
      current = undefined;
    },
  });
  return fields;
}

/** Tracks whether the parser is inside an element whose whole subtree is ignored (ruby readings, fallbacks). */
export class SubtreeFilter {
  private depth = 0;
  constructor(private readonly skipped: ReadonlySet<string>) {}

  /** Call on every open tag; true when this element is skipped (`force` skips it whatever its name). */
  enter(name: string, force = false): boolean {
    if (this.depth > 0 || force || this.skipped.has(name)) {
      this.depth += 1;
      return true;
    }
    return false;
  }

  /** Call on every close tag; true when the element was inside a skipped subtree. */
  leave(): boolean {
    if (this.depth === 0) return false;
    this.depth -= 1;
    return true;
  }

  get active(): boolean {
    return this.depth > 0;
  }
}

/** The relationship id attribute (`r:id`, whatever the prefix). */
export function relIdOf(attributes: Readonly<Record<string, string>>): string | undefined {
  for (const [key, value] of Object.entries(attributes)) if (key.endsWith(':id')) return value;
  return undefined;
}
