import { posix } from 'node:path';
import { parseZipXml, readZipXmlFields } from './xml-stream.js';
import type { SafeZip } from './zip-reader.js';

/** OPC (the packaging under docx/xlsx/pptx): relationships and document properties. */

export interface Relationship {
  readonly id: string;
  /** Last segment of the relationship type URI: `officeDocument`, `slide`, `notesSlide`, … */
  readonly kind: string;
  /** The target as a zip entry name. */
  readonly target: string;
}

/** `word/document.xml` → `word/_rels/document.xml.rels`; the package itself ('') → `_rels/.rels`. */
export function relsPartOf(part: string): string {
  if (part === '') return '_rels/.rels';
  return posix.join(posix.dirname(part), '_rels', `${posix.basename(part)}.rels`);
}

function safeDecode(uri: string): string {
  try {
    return decodeURIComponent(uri);
  } catch {
    return uri;
  }
}

/** Resolves a relationship target against its source part; `/x` is package-absolute. */
export function resolveTarget(sourcePart: string, target: string): string {
  const decoded = safeDecode(target.split('#')[0] ?? '');
  if (decoded.startsWith('/')) return posix.normalize(decoded.slice(1));
  return posix.normalize(posix.join(posix.dirname(sourcePart === '' ? 'x' : sourcePart), decoded));
}

/** Internal relationships of a part, in document order; missing rels mean none. */
export async function readRels(zip: SafeZip, sourcePart: string): Promise<Relationship[]> {
  const rels: Relationship[] = [];
  await parseZipXml(zip, relsPartOf(sourcePart), {
    open: (name, a) => {
      if (name !== 'Relationship' || a['TargetMode'] === 'External') return;
      const type = a['Type'] ?? '';
      const target = a['Target'];
      if (target === undefined) return;
      rels.push({ id: a['Id'] ?? '', kind: type.slice(type.lastIndexOf('/') + 1), target: resolveTarget(sourcePart, target) });
    },
  });
  return rels;
}

export const targetsOf = (rels: readonly Relationship[], kind: string): string[] =>
  rels.filter((r) => r.kind === kind).map((r) => r.target);

export interface PackageProperties {
  readonly title?: string;
  readonly author?: string;
  /** `Pages` from docProps/app.xml (Word writes it; it is Word's count at the last save). */
  readonly pages?: number;
}

/** `dc:title`, `dc:creator` from the core properties and `Pages` from the extended ones. */
export async function readPackageProperties(zip: SafeZip, rootRels: readonly Relationship[]): Promise<PackageProperties> {
  const corePart = targetsOf(rootRels, 'core-properties')[0] ?? 'docProps/core.xml';
  const appPart = targetsOf(rootRels, 'extended-properties')[0] ?? 'docProps/app.xml';
  const core = await readZipXmlFields(zip, corePart, ['title', 'creator']);
  const app = await readZipXmlFields(zip, appPart, ['Pages']);
  const pages = Number.parseInt(app.get('Pages') ?? '', 10);
  const title = core.get('title');
  const author = core.get('creator');
  return {
    ...(title === undefined ? {} : { title }),
    ...(author === undefined ? {} : { author }),
    ...(Number.isInteger(pages) && pages > 0 ? { pages } : {}),
  };
}
