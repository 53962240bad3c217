import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, tempHome } from '../support/cli.js';

/** Issue #2, must-show 1: the README's first command (after `npm ci`) does the whole job. */
describe('npm run demo', () => {
  it('ingests the shipped samples, indexes them all and shows Japanese search results', () => {
    const home = tempHome('fs-demo-');
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'demo.mjs')], {
      cwd: repoRoot,
      env: { ...process.env, FILESEARCH_HOME: home },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('queued 6 file(s) from');
    expect(r.stderr).toContain('6 indexed · 0 removed · 0 ignored · 0 dead-lettered');
    // Piped output marks highlights with 【】: the 2-character word, the 1-character word, Shift_JIS and PDF hits.
    expect(r.stdout).toMatch(/samples\/議事録_定例会議_第12回\.txt[\s\S]*定例【会議】/);
    expect(r.stdout).toMatch(/新倉庫の設計【図】/);
    expect(r.stdout).toMatch(/見積依頼_ShiftJIS\.txt[\s\S]*text\/shift_jis/);
    expect(r.stdout).toMatch(/製品カタログ_2026\.pdf[\s\S]*application\/pdf · 7651 B · 1 p\./);
    expect(r.stdout).toContain('【FileSearch】');
    expect(r.stdout).toMatch(/documents\s+6 indexed/);
  });
});
