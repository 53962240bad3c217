import { readRels, targetsOf, type Relationship } from './opc.js';
import { CellLayout, type TextSink } from './text-sink.js';
import { parseZipXml, relIdOf, SubtreeFilter, type XmlHandler } from './xml-stream.js';
import type { SafeZip } from './zip-reader.js';

/** `Fallback` repeats content for old readers; run properties hold no text. */
const SKIPPED = new Set(['Fallback', 'rPr', 'pPr', 'endParaRPr']);

/** DrawingML text: `a:t` runs, `a:p` paragraphs as lines, table cells as tabs. */
function drawingHandler(sink: TextSink): XmlHandler {
  const skip = new SubtreeFilter(SKIPPED);
  const cells = new CellLayout(sink);
  let inText = 0;
  return {
    open(name, a) {
      // The slide-number field of a notes page is not text anyone wrote.
      if (skip.enter(name, name === 'fld' && a['type'] === 'slidenum')) return;
      if (name === 't') inText += 1;
      else if (name === 'br') cells.push('\n');
      else if (name === 'tc') cells.openCell();
    },
    close(name) {
      if (skip.leave()) return;
      if (name === 't') inText -= 1;
      else if (name === 'p' || name === 'pt') cells.endParagraph();
      else if (name === 'tc') cells.closeCell();
      else if (name === 'tr') sink.newline();
    },
    text(text) {
      if (inText > 0 && !skip.active) cells.push(text);
    },
  };
}

async function readSlideOrder(zip: SafeZip, presentation: string, rels: readonly Relationship[]): Promise<string[]> {
  const byId = new Map(rels.map((r) => [r.id, r]));
  const slides: string[] = [];
  await parseZipXml(zip, presentation, {
    open(name, a) {
      if (name !== 'sldId') return;
      const rel = byId.get(relIdOf(a) ?? '');
      if (rel?.kind === 'slide') slides.push(rel.target);
    },
  });
  if (slides.length > 0) return slides;
  // No slide list: the relationships, in the numeric order of their names.
  return targetsOf(rels, 'slide').sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** Slides in presentation order, each followed by its SmartArt text and its speaker notes. */
export async function extractPptx(zip: SafeZip, presentation: string, sink: TextSink): Promise<{ pageCount: number; warnings: string[] }> {
  const slides = await readSlideOrder(zip, presentation, await readRels(zip, presentation));
  const warnings: string[] = [];
  for (const slide of slides) {
    if (sink.full) break;
    const slideRels = await readRels(zip, slide);
    const parts = [slide, ...targetsOf(slideRels, 'diagramData'), ...targetsOf(slideRels, 'notesSlide')];
    for (const part of parts) {
      const { errors } = await parseZipXml(zip, part, drawingHandler(sink), () => sink.full);
      if (errors > 0) warnings.push(`xml_errors:${part}`);
      sink.newline();
    }
  }
  return { pageCount: slides.length, warnings };
}
