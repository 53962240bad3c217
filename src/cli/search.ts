import type { Command } from 'commander';
import type { SearchHit, Snippet } from '../ports/search-index.port.js';
import { loadCliConfig, parsePositiveInt, printJson, withRuntime } from './context.js';

export function registerSearch(program: Command): void {
  program
    .command('search')
    .description('search the index (Japanese 1-2 character words work; "quoted phrases"; terms are ANDed)')
    .argument('<query...>', 'words to find')
    .option('--json', 'print JSON for scripts')
    .option('-n, --limit <n>', 'results per page', parsePositiveInt('--limit'), 10)
    .option('--offset <n>', 'skip this many results', (v) => Number(v), 0)
    .option('--ext <list>', 'only these extensions, comma separated (e.g. pdf,docx)')
    .action(async (words: string[], opts: { json?: boolean; limit: number; offset: number; ext?: string }, cmd: Command) => {
      const config = loadCliConfig(cmd, { LOG_LEVEL: 'silent' });
      const text = words.join(' ');
      const extensions = opts.ext?.split(',').map((e) => e.trim().replace(/^\./, '').toLowerCase()).filter(Boolean);
      const result = await withRuntime(config, (rt) =>
        rt.index.search({ text, limit: opts.limit, offset: opts.offset, ...(extensions === undefined ? {} : { filters: { extensions } }) }),
      );
      if (opts.json === true) {
        printJson({ query: text, total: result.total, hits: result.hits });
        return;
      }
      if (result.total === 0) {
        process.stdout.write(`No documents match ${JSON.stringify(text)}.\n`);
        return;
      }
      process.stdout.write(`${result.total} document(s) match ${JSON.stringify(text)}:\n\n`);
      result.hits.forEach((hit, i) => process.stdout.write(formatHit(hit, opts.offset + i + 1)));
    });
}

function formatHit(hit: SearchHit, rank: number): string {
  const d = hit.document;
  const meta = [d.mimeType, `${d.size} B`, d.pageCount === undefined ? undefined : `${d.pageCount} p.`, d.language, d.extractor]
    .filter((x) => x !== undefined)
    .join(' · ');
  return `${rank}. ${d.bucket}/${d.key}\n   ${meta}\n   ${renderSnippet(hit.snippet, process.stdout.isTTY === true)}\n\n`;
}

/** Bold on a terminal, 【】 brackets when piped: highlights survive either way. */
export function renderSnippet(snippet: Snippet, tty: boolean): string {
  const [open, close] = tty ? ['\u001b[1;33m', '\u001b[0m'] : ['【', '】'];
  let out = '';
  let at = 0;
  for (const [start, end] of snippet.highlights) {
    out += snippet.text.slice(at, start) + open + snippet.text.slice(start, end) + close;
    at = end;
  }
  return (out + snippet.text.slice(at)).replace(/\s+/g, ' ').trim();
}
