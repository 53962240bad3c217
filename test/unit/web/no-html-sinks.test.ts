import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The pages are XSS-safe by construction: the browser code never turns a string into markup. This
 * keeps it so — a future `innerHTML` fails here, before any browser test has to catch it.
 */
const webSrc = path.resolve(import.meta.dirname, '..', '..', '..', 'web', 'src');
const SINKS = /\binnerHTML\b|\bouterHTML\b|insertAdjacentHTML|document\.write|\beval\s*\(|new Function\s*\(|createContextualFragment/;

describe('browser code', () => {
  it('has no HTML-string sinks', () => {
    const files = fs.readdirSync(webSrc).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) {
      const offending = fs
        .readFileSync(path.join(webSrc, file), 'utf8')
        .split('\n')
        .filter((line) => SINKS.test(line) && !line.trim().startsWith('*') && !line.trim().startsWith('//'));
      expect(offending, file).toEqual([]);
    }
  });

  it('pages load no inline script or style and nothing from elsewhere', () => {
    const dir = path.resolve(webSrc, '..', 'static');
    for (const page of fs.readdirSync(dir).filter((f) => f.endsWith('.html'))) {
      const html = fs.readFileSync(path.join(dir, page), 'utf8');
      expect(html, page).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
      expect(html, page).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
      expect(html, page).not.toMatch(/(src|href)="(https?:)?\/\//);
    }
  });
});
