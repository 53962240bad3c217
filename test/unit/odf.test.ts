import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OdfExtractor } from '../../src/adapters/extract/office/odf.js';
import { defaultExtractors, ExtractorRegistry } from '../../src/adapters/extract/registry.js';
import { MagicTypeDetector } from '../../src/adapters/extract/type-detector.js';
import { ErrorCodes } from '../../src/domain/errors.js';
import type { Extraction } from '../../src/ports/extractor.port.js';
import { buildZip, type ZipEntrySpec } from '../support/zip-builder.js';

const NS =
  'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" ' +
  'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" ' +
  'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" ' +
  'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"';
const content = (body: string): string => `<?xml version="1.0" encoding="UTF-8"?><office:document-content ${NS}><office:body>${body}</office:body></office:document-content>`;
const META = `<?xml version="1.0" encoding="UTF-8"?><office:document-meta ${NS}><office:meta><dc:title>議事録</dc:title><meta:initial-creator>山田</meta:initial-creator><dc:creator>佐藤</dc:creator><meta:document-statistic meta:page-count="2"/></office:meta></office:document-meta>`;

function odf(mimetype: string, body: string, extra: readonly ZipEntrySpec[] = []): Buffer {
  return buildZip([
    { name: 'mimetype', data: mimetype, store: true },
    { name: 'content.xml', data: content(body) },
    { name: 'meta.xml', data: META },
    ...extra,
  ]);
}

let dir: string;
let counter = 0;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'odf-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Through the real detector and registry, as the worker does. */
async function extract(bytes: Uint8Array, ext: string): Promise<Extraction> {
  counter += 1;
  const file = path.join(dir, `d${counter}.${ext}`);
  await writeFile(file, bytes);
  const type = await new MagicTypeDetector().detect(file, ext);
  return new ExtractorRegistry(defaultExtractors()).extract({ path: file, fileName: path.basename(file), extension: ext, size: bytes.length, type });
}

describe('OdfExtractor', () => {
  it('extracts an odt: paragraphs, spaces, tabs, notes and annotations, without ruby readings or deleted text', async () => {
    const body =
      '<office:text><text:tracked-changes><text:changed-region><text:deletion><text:p>削除された文</text:p></text:deletion></text:changed-region></text:tracked-changes>' +
      '<text:h text:outline-level="1">見出し</text:h>' +
      '<text:p><text:ruby><text:ruby-base>東京</text:ruby-base><text:ruby-text>とうきょう</text:ruby-text></text:ruby>都<text:s text:c="2"/>港区<text:tab/>タブ<text:line-break/>改行</text:p>' +
      '<text:p>脚注付き<text:note text:note-class="footnote"><text:note-citation>1</text:note-citation><text:note-body><text:p>脚注本文</text:p></text:note-body></text:note></text:p>' +
      '<text:p>注釈付き<office:annotation><dc:creator>佐藤</dc:creator><dc:date>2024-01-01</dc:date><text:p>注釈本文</text:p></office:annotation></text:p></office:text>';
    const r = await extract(odf('application/vnd.oasis.opendocument.text', body), 'odt');
    expect(r).toMatchObject({ extractor: 'office/odt', title: '議事録', author: '山田', pageCount: 2, metadataOnly: false });
    expect(r.text).toContain('見出し\n東京都  港区\tタブ\n改行\n');
    expect(r.text).toContain('脚注付き脚注本文');
    expect(r.text).toContain('注釈本文');
    for (const absent of ['とうきょう', '削除された文', '佐藤', '2024', '付き1']) expect(r.text).not.toContain(absent);
  });

  it('extracts an ods: one line per row, tabs between cells, sheets counted; repeated empty cells stay cheap', async () => {
    const sheet = (name: string, cells: string[]): string =>
      `<table:table table:name="${name}"><table:table-row>${cells.map((c) => `<table:table-cell><text:p>${c}</text:p></table:table-cell>`).join('')}` +
      '<table:table-cell table:number-columns-repeated="16384"/></table:table-row><table:table-row table:number-rows-repeated="1048575"><table:table-cell/></table:table-row></table:table>';
    const body = `<office:spreadsheet>${sheet('売上', ['品名', '数量'])}${sheet('在庫', ['りんご', '3'])}</office:spreadsheet>`;
    const r = await extract(odf('application/vnd.oasis.opendocument.spreadsheet', body), 'ods');
    expect(r).toMatchObject({ extractor: 'office/ods', pageCount: 2 });
    expect(r.text).toContain('品名\t数量\t');
    expect(r.text).toContain('りんご\t3\t');
  });

  it('extracts an odp: text boxes and notes, slides counted', async () => {
    const page = (title: string, note: string): string =>
      `<draw:page draw:name="p"><draw:frame><draw:text-box><text:p>${title}</text:p></draw:text-box></draw:frame>` +
      `<presentation:notes><draw:frame><draw:text-box><text:p>${note}</text:p></draw:text-box></draw:frame></presentation:notes></draw:page>`;
    const r = await extract(odf('application/vnd.oasis.opendocument.presentation', `<office:presentation>${page('第一章', 'メモ一')}${page('第二章', 'メモ二')}</office:presentation>`), 'odp');
    expect(r).toMatchObject({ extractor: 'office/odp', pageCount: 2, text: '第一章\nメモ一\n第二章\nメモ二\n' });
  });

  it('fails a password-protected package as encrypted_file and one without content.xml as corrupt_file', async () => {
    const manifest = `<manifest:manifest ${NS}><manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data manifest:checksum="x"/></manifest:file-entry></manifest:manifest>`;
    const locked = odf('application/vnd.oasis.opendocument.text', '', [{ name: 'META-INF/manifest.xml', data: manifest }]);
    await expect(extract(locked, 'odt')).rejects.toMatchObject({ code: ErrorCodes.EncryptedFile });
    const empty = buildZip([{ name: 'mimetype', data: 'application/vnd.oasis.opendocument.text', store: true }]);
    await expect(extract(empty, 'odt')).rejects.toMatchObject({ code: ErrorCodes.CorruptFile });
  });

  it('reads a package without its leading mimetype entry, which only the .odt name identifies', async () => {
    const bytes = buildZip([{ name: 'content.xml', data: content('<office:text><text:p>名前で判別</text:p></office:text>') }]);
    expect(await extract(bytes, 'odt')).toMatchObject({ extractor: 'office/odt', text: '名前で判別\n' });
  });

  it('claims OpenDocument types only', () => {
    const e = new OdfExtractor({ maxDecompressedBytes: 1024 });
    expect(e.supports({ mime: 'application/vnd.oasis.opendocument.text', ext: 'odt', source: 'magic' })).toBe(true);
    expect(e.supports({ mime: 'application/zip', ext: 'zip', source: 'magic' })).toBe(false);
  });
});
